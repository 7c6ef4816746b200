"""A study tuned with another scheduler is not resumed under PBT: PBT would take its
trials for the population's members and start none of its own."""

from __future__ import annotations

import pytest
import yaml

import nntune
from nntune.config import DEFAULT_YAML, parse_config
from nntune.exceptions import ConfigError
from nntune.runner_search import check_pbt_resumable


PBT = ("--scheduler", "pbt", "--set", "search.scheduler_options={population: 2, ready_epochs: 1}")


def tiny_config(tmp_path):
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 'pbt.db'}"
    raw["fixed"]["epochs"] = 2
    raw["search"]["trials"] = 3
    raw["task"]["train_size"] = 0.3
    path = tmp_path / "pbt.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.mark.slow
def test_pbt_refuses_in_one_line_a_study_tuned_with_another_scheduler(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path)
    code, _, err = call_cli("tune", str(cfg), "--scheduler", "asha", "--trials", "2")
    assert code == 0, err
    code, out, err = call_cli("tune", str(cfg), *PBT, "--trials", "6")
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("nntune: error: search.scheduler: pbt cannot resume study digits-mlp: it holds 2 trials "
                          "tuned with scheduler asha"), err
    assert "--study NAME" in err and "--scheduler asha" in err
    assert len(nntune.load_study("digits-mlp", f"sqlite:///{tmp_path / 'pbt.db'}").trials) == 2  # nothing ran


@pytest.mark.slow
def test_a_study_tuned_with_pbt_is_resumed_under_pbt(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path)
    code, _, err = call_cli("tune", str(cfg), *PBT, "--trials", "2")
    assert code == 0, err
    code, _, err = call_cli("tune", str(cfg), *PBT, "--trials", "3")
    assert code == 0, err


def test_only_pbt_over_trials_of_another_scheduler_is_refused(tmp_path) -> None:
    pbt = parse_config({"search": {"scheduler": "pbt"}})
    asha = parse_config({"search": {"scheduler": "asha"}})
    with pytest.raises(ConfigError) as err:
        check_pbt_resumable(pbt, {"search": {"scheduler": "none"}}, 1)
    assert err.value.field == "search.scheduler" and "1 trial tuned with scheduler none" in err.value.problem
    check_pbt_resumable(pbt, {"search": {"scheduler": "asha"}}, 0)  # an empty study starts a population
    check_pbt_resumable(pbt, {"search": {"scheduler": "pbt"}}, 5)
    check_pbt_resumable(pbt, None, 5)  # stored without a config: nothing to hold it to
    check_pbt_resumable(asha, {"search": {"scheduler": "pbt"}}, 5)
