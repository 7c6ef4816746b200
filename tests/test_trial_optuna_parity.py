"""``FrozenTrial`` built as Optuna scripts build it."""

from __future__ import annotations

import datetime

from nntune.distributions import FloatDistribution
from nntune.trial import FrozenTrial, TrialState


def test_frozen_trial_takes_optunas_positional_order() -> None:
    now = datetime.datetime(2024, 1, 1, 12, 0, 0)
    later = now + datetime.timedelta(seconds=3)
    trial = FrozenTrial(0, TrialState.COMPLETE, 1.0, now, later, {"x": 0.5}, {"x": FloatDistribution(0, 1)},
                        {"u": 1}, {"s": 2}, {0: 2.0}, 7)
    assert (trial.value, trial.params, trial.user_attrs, trial.system_attrs) == (1.0, {"x": 0.5}, {"u": 1}, {"s": 2})
    assert trial.intermediate_values == {0: 2.0} and trial.duration.total_seconds() == 3.0
    assert trial._trial_id == 7
    # nntune's own order (params third) still reads as before.
    assert FrozenTrial(1, TrialState.COMPLETE, {"x": 1}, value=2.0).params == {"x": 1}
