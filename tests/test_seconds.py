"""``FrozenTrial.duration`` is seconds as a float that reads as the timedelta Optuna's
duration is: scripts that compare it with a timedelta, sum durations from ``timedelta()``
or print its ``seconds`` ran into TypeError or AttributeError."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import nntune
from nntune.trial import FrozenTrial, TrialState


def _trial(seconds: float) -> FrozenTrial:
    start = datetime(2026, 1, 1, 12, 0, 0)
    return FrozenTrial(number=0, state=TrialState.COMPLETE, value=1.0, datetime_start=start,
                       datetime_complete=start + timedelta(seconds=seconds))


def test_a_duration_reads_as_optunas_timedelta() -> None:
    duration = _trial(3725.5).duration
    assert duration is not None
    assert (duration.total_seconds(), duration.days, duration.seconds, duration.microseconds) == (3725.5, 0, 3725, 500000)
    assert duration > timedelta(hours=1) and duration <= timedelta(seconds=3725.5) and duration != timedelta(0)
    assert sum([duration, _trial(0.5).duration], timedelta()) == timedelta(seconds=3726)
    assert timedelta(hours=2) - duration == timedelta(seconds=3474.5)
    assert duration - timedelta(seconds=0.5) == timedelta(seconds=3725)


def test_a_duration_is_still_a_plain_float() -> None:
    duration = _trial(2.5).duration
    assert duration == 2.5 and duration + 1 == 3.5 and sum([duration, duration]) == 5.0
    assert sorted([_trial(3).duration, duration]) == [2.5, 3.0] and duration < 3
    assert json.dumps({"d": duration}) == '{"d": 2.5}' and {duration: "x"}[2.5] == "x"


def test_a_studys_trials_carry_such_durations() -> None:
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    total = sum((t.duration for t in study.trials), timedelta())
    assert isinstance(total, timedelta) and total < timedelta(minutes=1)
