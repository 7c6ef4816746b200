"""``TuneSummary``'s repr, what ``nntune.tune`` returns as a notebook prints it: the study,
its trials by state, the best trial and its test metrics, or the Pareto front's numbers."""

from __future__ import annotations

from nntune.builtin import TestResult as Look
from nntune.distributions import FloatDistribution, IntDistribution
from nntune.runner_summary import TuneSummary
from nntune.trial import TrialState, create_trial

COUNTS = {"complete": 2, "pruned": 1, "failed": 0, "diverged": 0}


def trial(number: int, **given):
    t = create_trial(user_attrs={"model_summary": [{"name": f"fc{i}", "params": 640} for i in range(50)]}, **given)
    t.number = number
    return t


def test_a_single_objective_shows_the_best_trial_and_its_test_metrics() -> None:
    best = trial(4, value=0.8999999999999999, params={"lr": 0.01, "units": 64},
                 distributions={"lr": FloatDistribution(1e-4, 1.0, log=True), "units": IntDistribution(16, 512)},
                 intermediate_values={e: 0.5 for e in range(100)})
    summary = TuneSummary(study="iris", direction="maximize", metric="accuracy", counts=COUNTS, best=best,
                          leaderboard=[best] * 10, test=Look(4, {"accuracy": 0.87512, "confusion": [[1, 0]]}, 1),
                          stop_reason="trials", new_trials=3)
    assert repr(summary) == ("TuneSummary(study='iris', trials={'complete': 2, 'pruned': 1, 'failed': 0, 'diverged': 0}"
                             ", metric='accuracy', best={'trial': 4, 'value': 0.9, 'params': {'lr': 0.01, 'units': "
                             "64}}, test={'accuracy': 0.8751})")  # scores to 4 digits, parameters exact
    none = TuneSummary(study="iris", direction="maximize", metric="accuracy", counts={**COUNTS, "complete": 0},
                       best=None, leaderboard=[], test=None, stop_reason="trials", new_trials=3)
    assert repr(none).endswith("metric='accuracy', best=None, test={})")


def test_several_objectives_show_the_fronts_trial_numbers() -> None:
    front = [trial(n, values=[0.9 - n / 10, 100.0 * n], state=TrialState.COMPLETE) for n in (1, 3)]
    summary = TuneSummary(study="mo", direction="maximize", metric="accuracy", counts=COUNTS, best=None,
                          leaderboard=front, test=None, stop_reason="trials", new_trials=3,
                          objectives=["accuracy", "params"], front=front)
    assert repr(summary) == ("TuneSummary(study='mo', trials={'complete': 2, 'pruned': 1, 'failed': 0, 'diverged': 0}"
                             ", objectives=['accuracy', 'params'], front=[1, 3])")
