"""``nntune export-model --trial N`` without ``-o`` writes ``models/STUDY-trialN.pt``, the
name tune gives a Pareto front's files; it overwrote ``models/STUDY.pt``, the best model
that ``nntune tune`` wrote (with its test look), with trial N's."""

from __future__ import annotations

import pytest
import yaml

import nntune
from nntune.config import DEFAULT_YAML


def small_config(tmp_path, *, trials: int) -> None:
    """``c.yaml``: the default config cut to ``trials`` trials of one epoch on a fifth of digits."""
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["search"]["trials"], raw["fixed"]["epochs"], raw["task"]["train_size"] = trials, 1, 0.2
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))


@pytest.mark.slow
def test_a_named_trial_gets_its_own_file(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small_config(tmp_path, trials=2)
    code, _, err = call_cli("tune", "c.yaml")
    assert code == 0, err
    best = tmp_path / "models" / "digits-mlp.pt"
    written = best.read_bytes()
    best_number = nntune.load_model(best).meta["trial"]
    other = 1 - best_number

    code, out, err = call_cli("export-model", "--study", "digits-mlp", "--trial", str(other))
    assert code == 0, err
    assert out.startswith(f"trial {other} of digits-mlp ") and out.rstrip().endswith(
        f"written to models/digits-mlp-trial{other}.pt; the test split stays shut")
    assert best.read_bytes() == written  # tune's best model, untouched
    assert nntune.load_model(tmp_path / "models" / f"digits-mlp-trial{other}.pt").meta["trial"] == other


@pytest.mark.slow
def test_export_model_refuses_to_write_over_the_config_it_was_given(call_cli, tmp_path, monkeypatch):
    # export-model c.yaml -o c.yaml wrote the model over the user's config.
    monkeypatch.chdir(tmp_path)
    small_config(tmp_path, trials=1)
    assert call_cli("tune", "c.yaml")[0] == 0
    written = (tmp_path / "c.yaml").read_text()
    code, out, err = call_cli("export-model", "c.yaml", "-o", "c.yaml")
    assert (code, out) == (2, "")
    assert err == "nntune: error: --output: c.yaml is the config this command reads; writing there would destroy it\n"
    assert (tmp_path / "c.yaml").read_text() == written
