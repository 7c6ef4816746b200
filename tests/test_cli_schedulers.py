"""Schedulers end to end through `nntune tune`: real training, stored decisions."""

import json
from pathlib import Path

import pytest
import torch

import nntune
from nntune.trial import TrialState


def tune(call_cli, tmp_path, *args):
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{tmp_path / 's.db'}"
    code, out, err = call_cli("tune", "--json", "--storage", db, "--set", "search.seed=1", *args)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1]), nntune.load_study("digits-mlp", db), out + err


@pytest.mark.slow
def test_asha_stops_trials_early_and_trains_fewer_epochs_than_no_scheduler(call_cli, tmp_path):
    # 30 trials: at search seeds 1-8 ASHA trained 47-60% of the epochs of no scheduler (at 40
    # trials 52-58%; at 20 up to 67%, too close to the 70% bar).
    common = ("--trials", "30", "--set", "fixed.epochs=3")
    none_summary, none_study, _ = tune(call_cli, tmp_path / "none", "--scheduler", "none", *common)
    asha_summary, asha_study, text = tune(call_cli, tmp_path / "asha", "--scheduler", "asha", *common)
    assert none_summary["trials"]["pruned"] == 0
    assert asha_summary["trials"]["pruned"] > 0
    epochs = lambda study: sum(t.epochs for t in study.get_trials())  # noqa: E731
    assert epochs(asha_study) < 0.7 * epochs(none_study)
    # The same trials were proposed: only the budget differs.
    assert [t.params for t in asha_study.get_trials()] == [t.params for t in none_study.get_trials()]
    pruned = [t for t in asha_study.get_trials() if t.state == TrialState.PRUNED]
    assert all(t.system_attrs["scheduler"]["rung_step"] == 1 for t in pruned)  # rungs at 1 (and 3 = the end)
    assert "rung" in text  # the leaderboard shows where trials stopped


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["median", "hyperband", "bohb"])
def test_other_schedulers_run_from_the_cli(call_cli, tmp_path, scheduler):
    summary, study, _ = tune(call_cli, tmp_path, "--scheduler", scheduler, "--trials", "8",
                             "--set", "fixed.epochs=3")
    assert sum(summary["trials"].values()) == 8 and summary["test"]["accuracy"] > 0.5
    if scheduler != "median":
        assert all("bracket" in t.system_attrs.get("scheduler", {}) for t in study.get_trials())
    if scheduler == "bohb":
        assert type(study.sampler).__name__ == "TPESampler"  # a loaded study gets the default; the run used BOHB's


@pytest.mark.slow
def test_pbt_copies_weights_and_records_lineage(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary, study, text = tune(call_cli, tmp_path, "--scheduler", "pbt", "--trials", "10",
                                "--set", "fixed.epochs=4",
                                "--set", "search.scheduler_options={population: 5, ready_epochs: 2, quantile: 0.5}")
    trials = study.get_trials()
    children = [t for t in trials if "pbt_parent" in t.user_attrs]
    assert children, "no member was replaced"
    by_number = {t.number: t for t in trials}
    for child in children:
        parent = by_number[child.user_attrs["pbt_parent"]]
        step = child.user_attrs["pbt_parent_step"]
        # The child continues the parent's epochs, from the parent's weights.
        assert min(child.intermediate_values, default=step + 1) == step + 1
        assert step in parent.intermediate_values
        fixed = {k: v for k, v in parent.params.items() if k in ("layers", "units")}
        assert all(child.params[k] == v for k, v in fixed.items())  # architecture is inherited
    # PBT's explore step is in each child's history of changes, after the epoch it was copied at.
    marks = {child.number: study.param_changes(child.number) for child in children}
    assert any(marks.values()) and all(c.who == "pbt" and c.epoch == by_number[n].user_attrs["pbt_parent_step"]
                                       for n, cs in marks.items() for c in cs)
    assert not any(t.state == TrialState.FAILED for t in trials), [t.error for t in trials]
    assert "from #" in text
    assert summary["test_evaluations"] == 1
    # The folder keeps the snapshots a replacement may still start from, each holding its
    # epoch's state, and the best trial's final weights (PBT.parents_needed), not every member's.
    best = Path(by_number[summary["best"]["trial"]].system_attrs["checkpoint"])
    snaps = list(best.parent.glob("trial-*-epoch-*.pt"))
    assert best.is_file() and 0 < len(snaps) <= 5  # the best 5 members' at epoch 2 (4 is the last)
    for snap in snaps:
        assert torch.load(snap, weights_only=True)["epoch"] == int(snap.stem.rsplit("-", 1)[1])


@pytest.mark.slow
def test_pbt_with_two_worker_processes_shares_one_population(call_cli, tmp_path, monkeypatch):
    """Caviar-style PBT: two worker processes train members at once, replacements are
    enqueued by the supervisor and claimed by whichever worker is free."""
    monkeypatch.chdir(tmp_path)
    # Two good members train first; the two poor ones meet them at epoch 2 and are
    # replaced, whatever order the workers report in.
    good = "{optimizer: adam, units: 64, layers: 1, batch_size: 64, lr_schedule: constant, lr: %s}"
    poor = "{optimizer: sgd, units: 16, layers: 1, batch_size: 64, lr_schedule: constant, lr: %s}"
    members = ", ".join([good % 0.01, good % 0.005, poor % 1.0e-4, poor % 1.1e-4])
    summary, study, _ = tune(call_cli, tmp_path, "--scheduler", "pbt", "--trials", "12", "--workers", "2",
                             "--set", "fixed.epochs=4", "--set", f"search.enqueue=[{members}]",
                             "--set", "search.scheduler_options={population: 4, ready_epochs: 2, quantile: 0.5}")
    trials = study.get_trials()
    assert not any(t.state in (TrialState.FAILED, TrialState.RUNNING) for t in trials), \
        [t.error for t in trials]
    assert len({t.system_attrs["worker"]["pid"] for t in trials}) == 2
    fresh = [t for t in trials if "pbt_parent" not in t.user_attrs]
    children = [t for t in trials if "pbt_parent" in t.user_attrs]
    assert len(fresh) == 4 and children, "no member was replaced"
    for child in children:
        assert min(child.intermediate_values) == child.user_attrs["pbt_parent_step"] + 1
    assert summary["stop_reason"] in ("every member of the population has finished", "the study holds 12 trials")
    assert summary["test_evaluations"] == 1


def test_pbt_queues_its_founding_members_once_so_workers_never_add_one_too_many(tmp_path):
    from nntune.config import parse_config
    from nntune.runner import open_study, prepare

    baseline = {"lr": 0.01}
    cfg = parse_config({
        "study": "pbt", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"scheduler": "pbt", "enqueue": [baseline], "scheduler_options": {"population": 4}},
        "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True}},
        "fixed": {"epochs": 4}})
    p = prepare(cfg)
    study = open_study(p)
    queued = study.get_trials()
    assert [t.state for t in queued] == [TrialState.WAITING] * 4
    assert queued[0].system_attrs["fixed_params"] == baseline
    assert all(t.user_attrs.get("pbt_founder") and not t.system_attrs["fixed_params"] for t in queued[1:])
    # With the whole population queued, a worker may only claim, never number a fifth member.
    assert p.scheduler.admission(queued) == "queued"
    assert len(open_study(p).get_trials()) == 4  # opening it again (a worker, a resume) adds none


@pytest.mark.slow
def test_curve_extrapolation_from_the_cli_with_two_workers_stores_and_draws_predictions(call_cli, tmp_path):
    report = tmp_path / "r.html"
    summary, study, _ = tune(call_cli, tmp_path, "--scheduler", "curve", "--trials", "5", "--workers", "2",
                             "--set", "fixed.epochs=5", "--report", str(report))
    assert sum(summary["trials"].values()) == 5 and summary["test"]["accuracy"] > 0.5
    predicted = [t for t in study.get_trials() if "curve" in t.system_attrs]
    assert predicted, "no trial stored a prediction"
    for t in predicted:
        rec = t.system_attrs["curve"]
        assert rec["horizon"] == 5 and rec["step"] == 4 and rec["steps"] == [5]
    assert "predicted at epoch" in report.read_text()


def test_a_bad_curve_option_is_one_line_naming_it(call_cli, tmp_path):
    code, out, err = call_cli("tune", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--scheduler", "curve",
                              "--set", "search.scheduler_options={threshold: 2}")
    assert code == 2 and "search.scheduler_options.threshold" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.db").exists()
