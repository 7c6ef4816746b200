"""``optimize(gc_after_trial=True)`` collects after every trial, as Optuna's does: after
one whose error ends ``optimize`` too (a CUDA out-of-memory the caller catches and
retries with a smaller batch), and before the callbacks run."""

from __future__ import annotations

import gc
import weakref

import pytest

import nntune


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _leave_a_cycle(collected: list[str], name: str) -> None:
    cycle = _Cycle()
    weakref.finalize(cycle, collected.append, name)
    del cycle  # garbage now, freed only by a collection


@pytest.fixture
def no_automatic_gc():
    gc.disable()
    yield
    gc.enable()


def test_a_trial_whose_error_ends_optimize_is_collected_after(no_automatic_gc):
    collected: list[str] = []

    def objective(trial):
        _leave_a_cycle(collected, "failed trial")
        raise RuntimeError("CUDA out of memory")

    with pytest.raises(RuntimeError):
        nntune.create_study().optimize(objective, n_trials=1, gc_after_trial=True)
    assert collected == ["failed trial"]


def test_the_collection_comes_before_the_callbacks(no_automatic_gc):
    collected: list[str] = []
    seen: list[list[str]] = []

    def objective(trial):
        _leave_a_cycle(collected, f"trial {trial.number}")
        return 1.0

    nntune.create_study().optimize(objective, n_trials=2, gc_after_trial=True,
                                   callbacks=[lambda study, trial: seen.append(list(collected))])
    assert seen == [["trial 0"], ["trial 0", "trial 1"]]
