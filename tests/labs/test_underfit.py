"""Lab ``underfit``: a too-small network over growing training sets."""

import pytest

from nntune.labs import run_lab
from nntune.labs.capacity import UPDATES, epochs_for


@pytest.mark.slow
def test_more_data_does_not_cure_underfitting():
    result = run_lab("underfit", seed=0, quick=True)
    small, big = result.numbers["learning_curves"].values()
    assert [r["train_size"] for r in small] == [100, 400, 1079]
    assert small[-1]["train_error"] >= 0.2 and small[-1]["val_error"] >= 0.3
    assert small[-1]["val_error"] - small[-1]["train_error"] < 0.1
    assert small[-1]["train_error"] >= small[0]["train_error"]
    assert big[-1]["val_error"] < 0.5 * small[-1]["val_error"] and big[-1]["val_error"] < big[0]["val_error"]
    assert result.held


def test_every_run_gets_about_the_same_updates():
    for n in (100, 400, 1079):
        updates = epochs_for(n) * -(-n // 32)
        assert UPDATES <= updates < UPDATES + 2 * -(-n // 32)
