"""The TensorBoard callback when trials finish at the same time, read back as TensorBoard
reads it: with ``n_jobs=2`` each trial still has its own run (its value and curve, nothing
of another's), and several writers of one directory (two ``optimize`` threads or
processes, each with its callback) leave one experiment, the newest, covering every trial."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("tensorboard")

import nntune  # noqa: E402
from nntune.integration import TensorBoardCallback  # noqa: E402
from nntune.trial import TrialState  # noqa: E402
from tests.integration.test_tensorboard import (CURVE, METRIC, experiment_domains, load, objective,  # noqa: E402
                                                runs, session_hparams)


def test_two_jobs_write_each_trial_to_its_own_run(tmp_path: Path) -> None:
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=1), pruner=nntune.pruners.NopPruner())
    study.optimize(objective, n_trials=8, n_jobs=2, callbacks=[TensorBoardCallback(tmp_path, METRIC)])
    completed = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(completed) == 8 and runs(tmp_path) == {f"trial-{t.number}" for t in completed}
    for t in completed:
        events = load(tmp_path / f"trial-{t.number}")
        assert session_hparams(events) == pytest.approx(t.params)
        (point,) = events.Scalars(METRIC)  # one value, its own
        assert point.step == t.number and point.value == pytest.approx(t.value, rel=1e-6)
        assert [(p.step, p.value) for p in events.Scalars(CURVE)] == \
            [(s, pytest.approx(v, rel=1e-6)) for s, v in sorted(t.intermediate_values.items())]
    assert set(experiment_domains(tmp_path)) == {"x", "lr", "layers", "act"}


def test_writers_at_the_same_time_leave_the_newest_experiment(tmp_path: Path) -> None:
    # Eight optimize calls at once, each with its own callback on one directory, as eight
    # processes would; every trial draws a parameter of its own, so each one rewrites the
    # experiment. Several rounds: the writers must not remove each other's experiment, nor
    # leave one read before the last trial.
    for round_ in range(6):
        root = tmp_path / str(round_)
        study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=round_))

        def run() -> None:
            study.optimize(lambda t: t.suggest_float(f"p{t.number}", 0.0, 1.0), n_trials=1,
                           callbacks=[TensorBoardCallback(root, METRIC)])

        threads = [threading.Thread(target=run) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # experiment_domains asserts there is exactly one experiment file
        assert set(experiment_domains(root)) == {f"p{t.number}" for t in study.trials}, f"round {round_}"
        assert runs(root) == {f"trial-{t.number}" for t in study.trials}
