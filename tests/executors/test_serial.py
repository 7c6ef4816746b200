"""The in-process executor: budget, timeout, stop, heartbeats, peak memory, recovery."""

import time

import _objectives as ob
import nntune
from executors._dead import dead_identity
from nntune.executors import WorkerOptions, run_serial
from nntune.samplers import RandomSampler
from nntune.trial import TrialState


def study():
    return nntune.create_study(sampler=RandomSampler(0), seed=0)


def test_runs_until_the_study_holds_the_total():
    s = study()
    s.optimize(ob.quadratic, n_trials=2)
    assert run_serial(s, ob.quadratic, total=5) == "the study holds 5 trials"
    trials = s.trials
    assert len(trials) == 5 and all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.system_attrs["peak_rss_mb"] > 10 for t in trials[2:])
    assert run_serial(s, ob.quadratic, total=5) == "the study holds 5 trials"  # nothing more
    assert len(s.trials) == 5


def test_timeout_and_stop_end_the_search_between_trials():
    now = [0.0]  # each trial takes one second of this clock

    def tick(st, frozen):
        now[0] += 1
    s = study()
    assert run_serial(s, ob.quadratic, total=100, timeout=3, clock=lambda: now[0], callbacks=[tick]) \
        == "timeout of 3s reached"
    assert len(s.trials) == 3

    def stop_at_two(st, frozen):
        if frozen.number == 1:
            st.stop("enough")
    s = study()
    assert run_serial(s, ob.quadratic, total=100, callbacks=[stop_at_two]) == "enough"
    assert len(s.trials) == 2


def test_a_trial_abandoned_elsewhere_is_requeued_while_the_study_runs():
    s = study()
    ghost = s.storage.claim_trial(s.id, system_attrs={"worker": {"host": "elsewhere", "pid": 1}})
    time.sleep(0.3)
    run_serial(s, ob.slow_quadratic, total=8, options=WorkerOptions(stale_grace=0.2))
    trials = s.trials
    assert len(trials) == 8 and all(t.state == TrialState.COMPLETE for t in trials)
    assert trials[ghost.number].system_attrs["retries"] == 1


def test_failures_are_recorded_and_the_study_goes_on():
    s = study()
    run_serial(s, ob.numpy_fit, total=2)
    run_serial(s, lambda t: 1 / 0, total=3)
    failed = s.trials[2]
    assert failed.state == TrialState.FAILED and failed.error.startswith("ZeroDivisionError")


def test_a_trial_taken_from_this_worker_is_dropped_and_the_study_goes_on():
    import logging

    from nntune.space import Float

    s = study()
    store = s.storage
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("nntune.executors").addHandler(handler)
    announced: list[int] = []

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:
            # This worker stalls past the grace period: the trial is recovered, and another
            # worker claims it and finishes it before this one writes again.
            store.recover_trial(s.id, 0, "no heartbeat", max_retries=1)
            other = store.claim_trial(s.id, number=0).system_attrs["claim"]
            store.set_trial_params(s.id, 0, {"x": 0.25}, {"x": Float(0, 1)}, claim=other)
            store.finish_trial(s.id, 0, TrialState.COMPLETE, 0.0625, claim=other)
        trial.report(x, 0)
        return x

    try:
        assert run_serial(s, objective, total=3, callbacks=[lambda st, t: announced.append(t.number)]) \
            == "the study holds 3 trials"
    finally:
        logging.getLogger("nntune.executors").removeHandler(handler)
    taken, *rest = s.trials
    assert (taken.state, taken.params, taken.value) == (TrialState.COMPLETE, {"x": 0.25}, 0.0625)
    assert taken.intermediate_values == {} and "peak_rss_mb" not in taken.system_attrs
    assert "traceback" not in taken.system_attrs
    assert [t.state for t in rest] == [TrialState.COMPLETE] * 2 and announced == [1, 2]
    assert lines == ["trial 0 was taken from this worker after its heartbeat stopped (it may run in another "
                     "worker now); this worker's result is discarded"]


def test_a_trial_whose_process_died_here_during_the_search_runs_before_the_budget_ends_it():
    # Two `nntune tune` on one study, one killed mid-trial: the other must not end at the
    # budget with the dead one's trial counted in it and left running (no value, and its
    # report and test look made on one trial fewer than asked for).
    s = study()
    dead = dead_identity()

    def another_process_dies(st, frozen):
        if frozen.number == 0:
            st.storage.claim_trial(st.id, system_attrs={"worker": dead})

    assert run_serial(s, ob.quadratic, total=3, callbacks=[another_process_dies]) == "the study holds 3 trials"
    trials = s.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert trials[1].system_attrs["retries"] == 1
