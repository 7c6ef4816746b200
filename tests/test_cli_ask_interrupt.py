"""Ctrl-C during ``nntune ask`` (a slow sampler drawing) leaves no running trial behind that
no one was given the number of: the trial it started is failed."""

from __future__ import annotations

import json
import random

import pytest

import nntune
from conftest import ctrl_c_when, nntune_command
from nntune.distributions import FloatDistribution
from nntune.trial import TrialState

SPACE = {f"p{i}": FloatDistribution(0, 1) for i in range(8)}


@pytest.mark.slow
def test_ctrl_c_while_the_sampler_draws_fails_the_trial_it_started(tmp_path):
    url = f"sqlite:///{tmp_path / 'slow.db'}"
    study = nntune.create_study(study_name="s", storage=url)
    rng = random.Random(0)
    # Enough told trials that GPSampler takes seconds to draw: the Ctrl-C lands while it does.
    study.add_trials([nntune.trial.create_trial(params={k: rng.random() for k in SPACE}, distributions=SPACE,
                                                value=rng.random()) for _ in range(300)])

    def running() -> bool:
        return bool(nntune.load_study(study_name="s", storage=url).get_trials(states=[TrialState.RUNNING]))

    space = json.dumps({k: {"type": "float", "low": 0, "high": 1} for k in SPACE})
    code, out, err = ctrl_c_when([*nntune_command(), "ask", "--storage", url, "--study-name", "s", "--sampler",
                                  "GPSampler", "--search-space", space], tmp_path, running, "the ask's trial")
    if out:  # the draw finished before the Ctrl-C: the trial was handed out, nothing to check
        pytest.skip("the sampler finished before the Ctrl-C landed")
    assert code == 130, err
    last = nntune.load_study(study_name="s", storage=url).trials[-1]
    assert last.number == 300 and last.state == TrialState.FAILED
