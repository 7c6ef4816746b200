"""One look at the test split per best trial when two processes finish one study at once."""

from __future__ import annotations

import multiprocessing as mp

import pytest

import nntune
from nntune.executors._common import worker_identity
from nntune.sealed_look import CLAIM_KEY, CLAIM_WAIT_S, claim_look, look_once
from nntune.trial import TrialState


@pytest.fixture
def finished(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    study = nntune.create_study(study_name="l", storage=url, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    best = study.best_trial
    return url, best


def test_the_second_process_waits_for_the_first_ones_look(finished):
    url, best = finished
    first, second = nntune.load_study(study_name="l", storage=url), nntune.load_study(study_name="l", storage=url)
    other = {"host": worker_identity()["host"], "pid": 1, "started": worker_identity(1)["started"]}  # init: alive
    assert claim_look(first, best, now=100.0, me=other)["by"] == other
    waits = []

    def sleep(seconds: float) -> None:  # the other process records its look while we wait
        waits.append(seconds)
        if len(waits) == 2:
            first.storage.record_test_evaluation(first.id, best.number, {"accuracy": 0.9})

    result = look_once(second, None, None, best, clock=lambda: 101.0, sleep=sleep)  # type: ignore[arg-type]
    assert result.recorded and result.metrics == {"accuracy": 0.9} and result.trial == best.number
    assert len(waits) == 2 and len(second.storage.get_test_evaluations(second.id)) == 1  # opened once


def _dead_pid() -> int:
    proc = mp.get_context("spawn").Process(target=int)
    proc.start()
    proc.join()
    return proc.pid


def test_a_claim_whose_process_is_gone_or_too_old_is_taken_over(finished):
    url, best = finished
    study = nntune.load_study(study_name="l", storage=url)
    me = worker_identity()
    gone = {"host": me["host"], "pid": _dead_pid(), "started": 1.0}
    study.storage.set_study_attr(study.id, CLAIM_KEY, {"trial": best.number, "by": gone, "at": 100.0})
    assert claim_look(study, best, now=101.0, me=me)["by"] == me
    alive = {"host": "another-machine", "pid": 7, "started": 1.0}  # never judged from here
    study.storage.set_study_attr(study.id, CLAIM_KEY, {"trial": best.number, "by": alive, "at": 100.0})
    assert claim_look(study, best, now=101.0, me=me)["by"] == alive
    assert claim_look(study, best, now=100.0 + CLAIM_WAIT_S + 1, me=me)["by"] == me
    other_trial = next(t for t in study.trials if t.state == TrialState.COMPLETE and t.number != best.number)
    assert claim_look(study, other_trial, now=101.0, me=me)["by"] == me  # a claim on another trial is no claim
