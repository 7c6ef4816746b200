"""A change refused for lying outside its range names the range in words (``[0.0001, 1] on
a log scale``), not as the Python repr ``Float(low=0.0001, high=1.0, log=True, step=None)``."""

from __future__ import annotations

import pytest

from nntune.changes import check_change, range_words
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Float, Int


def test_ranges_in_words():
    assert range_words(Float(1e-4, 1.0, log=True)) == "[0.0001, 1] on a log scale"
    assert range_words(Float(0.0, 0.5, step=0.1)) == "[0, 0.5] in steps of 0.1"
    assert range_words(Int(16, 512, log=True)) == "[16, 512] on a log scale"
    assert range_words(Int(0, 10, step=2)) == "[0, 10] in steps of 2"
    assert range_words(Beta(0.8, 0.99)) == "[0.8, 0.99]"
    assert range_words(Choice(("sgd", "adam"))) == "one of sgd, adam"


def test_a_change_outside_the_declared_range_says_it_in_words():
    with pytest.raises(ConfigError) as caught:
        check_change("lr", 0.5, Float(1e-4, 1e-1, log=True))
    assert str(caught.value) == "lr: 0.5 is outside the trial's declared range, [0.0001, 0.1] on a log scale"


def test_babysit_pinning_a_value_outside_the_space(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("babysit", "--set", "lr=5", "--set", "epochs=1")
    assert (code, out) == (2, "")
    assert err == "nntune: error: lr: 5 is outside the range the space gives it, [0.0001, 1] on a log scale\n"
    assert not list(tmp_path.iterdir())
