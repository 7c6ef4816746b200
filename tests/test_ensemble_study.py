"""nntune ensemble: the best trials of a stored study combined, scored once on test."""

import pytest
import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.ensemble_study import ensemble_for_study, ensemble_lines
from nntune.exceptions import ConfigError
from nntune.runner import prepare, run_tune


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """Four short trials of the embedded default with search.ensemble: 3."""
    db = tmp_path_factory.mktemp("ens") / "s.db"
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=f"sqlite:///{db}")
    raw["search"].update(trials=4, ensemble=3)
    raw["space"] = {"lr": {"type": "float", "low": 3e-3, "high": 3e-2, "log": True},
                    "units": {"type": "int", "low": 16, "high": 64, "log": True}}
    raw["fixed"] = {"epochs": 3, "optimizer": "adam"}
    summary = run_tune(prepare(parse_config(raw)))
    return summary, f"sqlite:///{db}"


@pytest.mark.slow
def test_tune_adds_the_ensemble_beside_the_single_best(tuned):
    summary, _ = tuned
    ens = summary.to_json()["ensemble"]
    assert len(ens["members"]) == 3 and ens["members"][0] == summary.best.number
    assert ens["single_best_test"]["accuracy"] == pytest.approx(summary.test.metrics["accuracy"])  # same retrained model
    assert ens["single_best_val"] == pytest.approx(summary.best.value)
    assert ens["test_evaluations"] == 2  # the single best's look, then the ensemble's
    looks = summary.storage.get_test_evaluations(summary.storage.load_study("digits-mlp").id)
    assert looks[-1]["metrics"]["ensemble_of"] == ens["members"]
    assert looks[-1]["metrics"]["ensemble_accuracy"] == pytest.approx(ens["test"]["accuracy"])


@pytest.mark.slow
def test_the_command_reads_the_stored_config_and_picks_greedily(tuned):
    summary, url = tuned
    result = ensemble_for_study(url, "digits-mlp", top=4, method="greedy")
    assert len(result.weights) == 4 and sum(result.weights) == 8  # 2 x 4 rounds, with replacement
    assert result.val >= result.single_val  # greedy starts from the best single model and only adds what helps
    assert result.looks == 3
    lines = ensemble_lines(result)
    assert lines[0].startswith(f"single best (trial {summary.best.number})") and "greedy ensemble" in lines[1]
    with pytest.raises(ConfigError, match="method"):
        ensemble_for_study(url, "digits-mlp", top=2, method="vote")


def test_a_study_without_a_config_asks_for_one(tmp_path):
    from nntune.storage import get_storage

    get_storage(f"sqlite:///{tmp_path / 'x.db'}").create_study("bare", "maximize")
    with pytest.raises(ConfigError, match="stores no config"):
        ensemble_for_study(f"sqlite:///{tmp_path / 'x.db'}", "bare", top=2)


@pytest.mark.slow
def test_a_resumed_tune_shows_the_best_trials_own_look_not_the_ensembles(tuned, tmp_path):
    import sqlite3

    from nntune.report.data import test_data

    summary, url = tuned
    db = tmp_path / "copy.db"  # the module's study stays as the other tests find it (a backup: WAL's pages too)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=f"sqlite:///{db}")
    raw["search"].update(trials=4)
    raw["space"] = {"lr": {"type": "float", "low": 3e-3, "high": 3e-2, "log": True},
                    "units": {"type": "int", "low": 16, "high": 64, "log": True}}
    raw["fixed"] = {"epochs": 3, "optimizer": "adam"}
    from nntune.storage import get_storage

    copied = get_storage(f"sqlite:///{db}")
    before = copied.get_test_evaluations(copied.load_study("digits-mlp").id)
    assert before[-1]["trial"] == summary.best.number and "ensemble_of" in before[-1]["metrics"]
    again = run_tune(prepare(parse_config(raw)))
    # Its last look scored the ensemble, recorded under the best trial: that is no look at
    # the trial itself, whose own look (the first) is shown again, the split left shut.
    assert again.best.number == summary.best.number and again.test.recorded
    assert again.test.metrics == summary.test.metrics and not any(k.startswith("ensemble") for k in again.test.metrics)
    assert again.test.looks == len(before) and again.to_json()["test_evaluations"] == len(before)  # no new look
    looks = again.storage.get_test_evaluations(again.storage.load_study("digits-mlp").id)
    assert test_data(looks)["confusion_matrix"] == summary.test.metrics["confusion_matrix"]
