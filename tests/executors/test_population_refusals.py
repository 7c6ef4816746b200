"""What the stacked trainer cannot train is refused in one line before the study is opened."""

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError


def population_config(fixed=None, space=None):
    return {"study": "s", "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
            "search": {"executor": "population", "trials": 2},
            "space": space or {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}},
            "fixed": {"epochs": 1, **(fixed or {})}}


@pytest.mark.parametrize("fixed, space, field", [
    ({"freeze_backbone": True}, None, "fixed.freeze_backbone"),
    ({"backbone_lr_mult": 0.1}, None, "fixed.backbone_lr_mult"),
    (None, {"backbone_lr_mult": {"type": "float", "low": 0.1, "high": 1.0}}, "space.backbone_lr_mult"),
])
def test_a_frozen_or_slower_backbone_is_refused_naming_the_field(fixed, space, field):
    with pytest.raises(ConfigError) as err:
        parse_config(population_config(fixed, space))
    assert err.value.field == field and "from scratch at one rate" in err.value.problem
    parse_config(population_config({"freeze_backbone": False, "backbone_lr_mult": 1.0}))  # off: accepted


def test_pretrained_weights_exit_2_and_nothing_is_written(call_cli, tmp_path, monkeypatch):
    import yaml

    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.pt").write_bytes(b"")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(population_config({"pretrained_weights": str(tmp_path / "w.pt")})))
    code, _, err = call_cli("tune", "c.yaml", "--storage", f"sqlite:///{tmp_path / 's.db'}")
    assert code == 2 and err.strip().count("\n") == 0
    assert err.startswith("nntune: error: fixed.pretrained_weights: the population executor")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "w.pt"]
