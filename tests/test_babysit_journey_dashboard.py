"""The dashboard's fork control refuses an epoch that is not a plain whole number with a
one-line error (a 400), as ``nntune trial fork --from-epoch`` does."""

import pytest

from nntune.dashboard.control import act
from nntune.exceptions import ConfigError
from nntune.storage import SQLStorage


@pytest.mark.parametrize("epoch", ["²", "3.5", "", "-1", "٣"])
def test_a_fork_epoch_that_is_no_plain_number_is_refused_naming_the_field(tmp_path, epoch):
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    sid = store.create_study("s", "maximize")
    number = store.create_trial(sid)
    rec = store.load_study("s")
    assert rec is not None
    with pytest.raises(ConfigError, match=r"^epoch: must be a whole number"):
        act(store, rec, number, "fork", {"epoch": [epoch]})
    assert len(store.get_trials(sid)) == 1  # nothing queued
