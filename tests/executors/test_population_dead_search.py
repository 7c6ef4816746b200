"""The population executor at its budget while another search on the study lies dead."""

import _objectives  # noqa: F401  (the tests' folder on the path, as the other executor tests)
from executors._dead import dead_identity
from executors.test_population import config
from nntune.builtin_stack import StackTrainer
from nntune.executors import run_population
from nntune.runner import open_study, prepare
from nntune.trial import TrialState


def test_a_trial_whose_process_died_here_during_the_search_runs_before_the_budget_ends_it():
    # Two `nntune tune --executor population` on one study, one killed mid-trial: the other
    # must not end at the budget with the dead one's trial counted in it and left running.
    p = prepare(config(trials=3, population=1))
    study = open_study(p)
    dead = dead_identity()

    def another_process_dies(st, frozen):
        if frozen.number == 0:
            st.storage.claim_trial(st.id, system_attrs={"worker": dead})

    reason = run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs), total=3,
                            population=1, callbacks=[another_process_dies])
    assert reason == "the study holds 3 trials"
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert trials[1].system_attrs["retries"] == 1
