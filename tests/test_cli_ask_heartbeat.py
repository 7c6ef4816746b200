"""A trial ``nntune ask`` started is Optuna's asked trial: no heartbeat, so a ``tune`` or a
stale-trial sweep beside it never takes it for a lost worker's and re-runs or fails it."""

import json
from datetime import timedelta

import nntune
from nntune.storage import get_storage
from nntune.storage._base import utcnow
from nntune.trial import TrialState

X = {"x": {"name": "FloatDistribution", "attributes": {"low": -10.0, "high": 10.0, "log": False, "step": None}}}


def test_an_asked_trial_outlives_any_grace_period_and_is_told_later(call_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'ask.db'}"
    assert call_cli("create-study", "--storage", url, "--study", "s")[0] == 0
    code, out, err = call_cli("ask", "--storage", url, "--study", "s", "--search-space", json.dumps(X))
    assert code == 0, err
    storage = get_storage(url)
    study_id = storage.load_study("s").id
    later = utcnow() + timedelta(hours=1)  # an hour of silence, as a person takes to train it by hand
    assert storage.recover_stale_trials(study_id, 60.0, now=later) == {}
    assert nntune.load_study(study_name="s", storage=url).trials[0].state == TrialState.RUNNING
    code, out, err = call_cli("tell", "--storage", url, "--study", "s", "--trial-number", "0", "--values", "1.5")
    assert code == 0, err
    assert nntune.load_study(study_name="s", storage=url).trials[0].value == 1.5
