"""The population executor's stack figures are stored as the run goes, so that a run killed
(kill -9) before its end leaves the figures of what it trained beside its finished trials."""

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
