"""kept_model: the test look reads the best trial's weights kept in this process instead of
training the configuration again, and they are the weights a retrain gives on the CPU."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

import nntune.builtin
from nntune.builtin import make_objective, rebuild_model
from nntune.config import parse_config
from nntune.kept_model import KeptModel
from nntune.runner import open_study, prepare, run_tune


def linear(weight: float) -> torch.nn.Module:
    m = torch.nn.Linear(1, 1)
    torch.nn.init.constant_(m.weight, weight)
    return m


@pytest.mark.parametrize("direction, values, kept", [
    ("maximize", [0.5, 0.7, 0.6], 1), ("minimize", [0.5, 0.7, 0.4], 2),
    ("maximize", [0.5, 0.5], 0),  # a tie keeps the earlier trial
    ("maximize", [math.nan, math.inf, 0.1], 2),  # no value that is not a number is kept
])
def test_the_best_finite_value_offered_is_kept(direction, values, kept):
    keep = KeptModel(direction=direction)
    for number, value in enumerate(values):
        keep.offer(number, value, linear(float(number)))
    assert keep.number == kept and keep.value == values[kept]
    assert keep.state_of(kept)["weight"].item() == float(kept)
    assert all(keep.state_of(n) is None for n in range(len(values)) if n != kept)


def test_the_kept_weights_are_a_copy_on_the_host():
    keep, model = KeptModel(), linear(1.0)
    keep.offer(0, 0.5, model)
    with torch.no_grad():
        model.weight.fill_(2.0)  # the trainer's model goes on changing, or is reused
    assert keep.state_of(0)["weight"].item() == 1.0 and keep.state_of(0)["weight"].device.type == "cpu"


def small(tmp_path, **search):
    return parse_config({
        "study": "kept", "storage": f"sqlite:///{tmp_path / 'k.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"sampler": "random", "trials": 3, "seed": 2, **search},
        "space": {"lr": {"type": "float", "low": 1e-3, "high": 0.3, "log": True},
                  "units": {"type": "int", "low": 8, "high": 32}},
        "fixed": {"epochs": 3, "batch_size": 64}})


def counting_fits(monkeypatch) -> list[int]:
    """The real trainer, counted: each call of ``fit`` that ``nntune.builtin`` makes."""
    calls: list[int] = []
    real = nntune.builtin.fit

    def fit(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(nntune.builtin, "fit", fit)
    return calls


def test_the_look_takes_the_best_trials_kept_weights_which_a_retrain_gives_again(tmp_path, monkeypatch):
    calls = counting_fits(monkeypatch)
    p = prepare(small(tmp_path))
    summary = run_tune(p, model_file=tmp_path / "best.pt")
    assert len(calls) == 3  # the three trials; the look trained nothing more
    study = open_study(p)
    best = study.best_trial
    assert summary.test.trial == best.number
    kept = torch.load(tmp_path / "best.pt", map_location="cpu", weights_only=False)
    retrained = rebuild_model(study, p.cfg, p.splits, best).state_dict()
    assert len(calls) == 4
    state = kept["model"]
    assert state.keys() == retrained.keys()
    assert all(torch.equal(state[k], retrained[k]) for k in retrained)


@pytest.mark.parametrize("bound, kept", [(10, False), (10_000, True)])
def test_a_model_that_broke_the_constraints_is_not_kept(tmp_path, bound, kept):
    # The digits MLP of 8-32 units has 610-2410 parameters: over 10 it breaks the bound, and
    # a trial that broke it is never the best one looked at.
    raw = small(tmp_path).model_dump(mode="json")
    raw["task"]["constraints"] = {"params": {"max": bound}}
    p = prepare(parse_config(raw))
    keep = KeptModel()
    study = open_study(p)
    study.optimize(make_objective(p.cfg, p.space, p.splits, keep=keep), n_trials=1)
    assert (keep.number == 0) is kept


def test_a_study_of_several_objectives_keeps_no_model(tmp_path):
    raw = small(tmp_path).model_dump(mode="json")
    raw["task"]["metric"] = ["accuracy", "params"]
    p = prepare(parse_config(raw))
    keep = KeptModel()
    open_study(p).optimize(make_objective(p.cfg, p.space, p.splits, keep=keep), n_trials=1)
    assert keep.number is None  # its front's looks retrain each trial


@pytest.mark.slow
def test_worker_processes_keep_their_best_in_a_file_which_the_look_reads(tmp_path, monkeypatch):
    calls = counting_fits(monkeypatch)  # this process's fits: the workers train in their own
    p = prepare(small(tmp_path, trials=6, workers=2, checkpoint_dir=str(tmp_path / "ck")))
    summary = run_tune(p)
    study = open_study(p)
    best = study.best_trial
    assert summary.test.trial == best.number and calls == []  # the look trained nothing
    # Exactly one file per worker, of the first trial with that worker's best value (a tie
    # keeps the earlier), and no other trial names a file: each better trial replaced the last.
    by_worker: dict[int, list] = {}
    for t in study.trials:
        by_worker.setdefault(t.system_attrs["worker"]["pid"], []).append(t)
    assert len(by_worker) == 2
    bests = {max(trials, key=lambda t: (t.value, -t.number)).number for trials in by_worker.values()}
    named = {t.number: t.system_attrs.get("checkpoint") for t in study.trials}
    assert {n for n, v in named.items() if v} == bests
    files = sorted(str(f.resolve()) for f in (tmp_path / "ck" / "kept").glob("trial-*.pt"))
    assert files == sorted(named[n] for n in bests)
    assert named[best.number] and Path(named[best.number]).is_file()
    # The file holds the weights a retrain of the best configuration gives on CPU.
    state = torch.load(named[best.number], map_location="cpu", weights_only=True)["model"]
    no_file = study.storage.get_trial(study.id, best.number)
    no_file.system_attrs.pop("checkpoint")
    retrained = rebuild_model(study, p.cfg, p.splits, no_file).state_dict()
    assert all(torch.equal(state[k], retrained[k]) for k in retrained)


@pytest.mark.slow
def test_a_study_of_the_same_name_in_another_storage_keeps_its_own_files(tmp_path):
    # Both studies' workers wrote <checkpoint_dir>/kept/trial-N.pt: the second study's models
    # replaced the first's, which the first's export-model and test look then read.
    named = []
    for storage in ("one", "two"):
        cfg = small(tmp_path, trials=2, workers=2, checkpoint_dir=str(tmp_path / "ck"))
        p = prepare(cfg.model_copy(update={"storage": f"sqlite:///{tmp_path / storage}.db"}))
        run_tune(p)
        named.append({t.number: t.system_attrs.get("checkpoint") for t in open_study(p).trials})
    one, two = ({v for v in n.values() if v} for n in named)
    assert one and two and not one & two
    assert all(Path(v).is_file() for v in one | two)
