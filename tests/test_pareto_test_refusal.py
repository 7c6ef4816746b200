"""``nntune test`` on a study of several objectives: refused, and when a trial joined the
front after the search without a look, the refusal says how to look at it."""

from __future__ import annotations

import pytest

from _objectives import tiny_front_config
from nntune.exceptions import ConfigError
from nntune.runner import look_again, prepare, run_tune
from nntune.study import load_study
from nntune.trial import create_trial


def test_a_front_trial_without_a_look_is_named_and_tune_looks_at_it(tmp_path):
    cfg = tiny_front_config(tmp_path, "late")
    first = run_tune(prepare(cfg))
    study = load_study("late", cfg.storage)
    done = first.front[0]
    study.add_trial(create_trial(values=[1.0, 1.0], params=done.params, distributions=done.distributions,
                                 user_attrs={"params": 1.0}))  # joins the front with no look
    late = study.get_trials()[-1].number
    with pytest.raises(ConfigError, match=f"trial {late} of its Pareto front had no look yet"):
        look_again(prepare(cfg))
    again = run_tune(prepare(cfg))
    assert late in [r.trial for r in again.front_tests]
    with pytest.raises(ConfigError, match="was looked at once"):
        look_again(prepare(cfg))
