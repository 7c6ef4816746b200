"""The population executor's stack figures are stored as the run goes, so that a run killed
(kill -9) before its end leaves the figures of what it trained beside its finished trials."""

import time

import pytest

from executors.test_population import config
from nntune.builtin_stack import StackTrainer
from nntune.executors import run_population
from nntune.runner import open_study, prepare


@pytest.mark.parametrize("process", [None, "cpu:0"])
def test_the_figures_count_every_finished_trial_while_the_run_goes_on_and_once_at_its_end(process):
    p = prepare(config(trials=3, population=1, fixed={"epochs": 3}))
    study = open_study(p)
    seen = {}  # trial number: the stored figures when it ended

    def figures_now(st, frozen):  # what a run killed right here would leave
        seen[frozen.number] = st.storage.load_study(st.study_name).attrs.get("population")

    run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs), total=3, population=1,
                   callbacks=[figures_now], process=process)
    # One member at a time: trial 0's three epochs are stored by the time trial 1 ends.
    assert seen[1] is not None and seen[1]["member_epochs"] == 3 and seen[1]["stack_epochs"] == 3
    assert seen[2]["member_epochs"] == 6
    stored = study.storage.load_study(study.study_name).attrs["population"]
    steps = sum(len(t.intermediate_values) for t in study.trials)
    assert stored["member_epochs"] == stored["stack_epochs"] == stored["rounds"] == steps == 9  # none counted twice
    assert stored["stacks_started"] == 1 and stored["capacity"] == 1  # each next trial took the freed slot
    if process is not None:
        assert stored["processes"][process]["member_epochs"] == 9


def test_a_place_refilled_within_a_round_is_held_once_in_it(monkeypatch):
    # K=2, stacks a and b of one member each: a's member ends and its place is refilled into b,
    # which trains after a in the same round (3 member epochs); the next round trains one member.
    # Before, the round's 3 epochs made up for the next round's empty place: 0% left empty.
    from types import SimpleNamespace

    from nntune.executors._common import WorkerOptions
    from nntune.executors._members import add_stats
    from nntune.executors._population import Occupancy, Population

    run = Population(None, SimpleNamespace(device=None), 2, WorkerOptions(), (), time.monotonic)
    run.stacks = {"a": SimpleNamespace(members={0: "a member"}), "b": SimpleNamespace(members={0: "a member"})}
    monkeypatch.setattr("nntune.train.threads.use_threads", lambda device=None: None)
    trained = iter([1, 2, 1])  # a, then b with a's refill; then b alone

    def epoch(key, heartbeat):
        run.stats.member_epochs += next(trained)
    run.epoch = epoch
    run.round(None, lambda: True)
    del run.stacks["a"]
    run.round(None, lambda: True)
    assert run.stats.member_epochs == 4 and run.stats.rounds == 2
    assert run.stats.unfilled_share == 0.25 and run.stats.to_json()["held"] == 3
    assert add_stats(None, run.stats)["unfilled_share"] == 0.25
    # Figures stored before places were counted keep what they said.
    older = {"capacity": 2, "rounds": 2, "member_epochs": 3, "slot_epochs": 3, "stack_epochs": 2}
    assert add_stats(older, Occupancy(2, rounds=1, member_epochs=1, slot_epochs=1))["unfilled_share"] == \
        round(1 - 4 / 6, 4)
