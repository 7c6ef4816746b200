"""One look at the test split per trial of the Pareto front when two processes finish one
study of several objectives at once."""

from __future__ import annotations

import nntune
from nntune.executors._common import worker_identity
from nntune.sealed_look import claim_look, look_at_front


def test_a_front_trial_another_process_is_looking_at_is_waited_for_not_looked_at_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    study = nntune.create_study(study_name="f", storage=url, directions=["maximize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=6)
    front = sorted(study.best_trials, key=lambda t: t.number)
    first, second = nntune.load_study(study_name="f", storage=url), nntune.load_study(study_name="f", storage=url)
    for t in front[:-1]:  # looked at already
        first.storage.record_test_evaluation(first.id, t.number, {"accuracy": 0.5})
    last = front[-1]
    other = {"host": worker_identity()["host"], "pid": 1, "started": worker_identity(1)["started"]}  # init: alive
    assert claim_look(first, last, now=100.0, me=other)["by"] == other
    waits = []

    def sleep(seconds: float) -> None:  # the other process records its look while we wait
        waits.append(seconds)
        if len(waits) == 2:
            first.storage.record_test_evaluation(first.id, last.number, {"accuracy": 0.9})

    results = look_at_front(second, None, None, front, clock=lambda: 101.0, sleep=sleep)  # type: ignore[arg-type]
    assert [r.trial for r in results] == [t.number for t in front] and all(r.recorded for r in results)
    assert results[-1].metrics == {"accuracy": 0.9} and len(waits) == 2
    assert len(second.storage.get_test_evaluations(second.id)) == len(front)  # each opened once
