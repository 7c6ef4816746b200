"""``search.population: K`` beyond the trials the study may still start: the stacks hold
no more slots than those trials, so a K far past the budget trains them all."""

from nntune.config import parse_config
from nntune.executors import run_population
from nntune.executors._population import STATS_ATTR
from nntune.runner import open_study, prepare
from nntune.trial import TrialState


def test_a_k_far_past_the_budget_makes_no_more_slots_than_trials_left():
    from nntune.builtin_stack import StackTrainer

    p = prepare(parse_config({
        "study": "size", "storage": "memory",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"executor": "population", "population": 10**9, "trials": 2, "seed": 3},
        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}},
        "fixed": {"epochs": 1, "batch_size": 128, "layers": 1, "units": 16}}))
    study = open_study(p)
    run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs), total=2, population=10**9)
    assert [t.state for t in study.storage.get_trials(study.id)] == [TrialState.COMPLETE] * 2
    assert study.storage.load_study(study.study_name).attrs[STATS_ATTR]["capacity"] == 2


def test_a_study_resumed_with_a_smaller_k_still_says_the_largest_stacks_it_trained():
    from nntune.executors._members import Occupancy, add_stats
    from nntune.show import population_data

    first = add_stats(None, Occupancy(3, rounds=2, member_epochs=6, slot_epochs=6, stack_epochs=2,
                                      auto={"rule": "bound", "bound": 3, "k": 3}))
    both = add_stats(first, Occupancy(1, rounds=4, member_epochs=4, slot_epochs=4, stack_epochs=4))
    assert both["capacity"] == 3 and both["auto"] == first["auto"]
    # 10 member epochs in 6 stack epochs: 1.7 members a stack epoch, in stacks of up to 3.
    assert population_data(both)["text"].startswith("stacks of up to 3 members (auto: 3")
    assert add_stats(first, Occupancy(4, rounds=1, member_epochs=4, slot_epochs=4))["capacity"] == 4
    assert "auto" not in add_stats(first, Occupancy(4, rounds=1, member_epochs=4, slot_epochs=4))
