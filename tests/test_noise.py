"""Standard errors of validation values and the split-size warning."""

import math

import pytest

from nntune.noise import binomial_se, split_warning, standard_error


def test_binomial_standard_error():
    assert binomial_se(0.5, 100) == pytest.approx(0.05)
    assert binomial_se(0.9, 10_000) == pytest.approx(0.003)
    assert binomial_se(1.0, 50) == 0.0
    assert math.isnan(binomial_se(0.5, 0))


def test_only_proportions_get_a_standard_error():
    assert standard_error("accuracy", 0.96, 360) == pytest.approx(math.sqrt(0.96 * 0.04 / 360))
    assert standard_error("f1", 0.9, 360) is None
    assert standard_error("accuracy", None, 360) is None
    assert standard_error("accuracy", 0.9, None) is None


def test_a_small_split_cannot_separate_close_trials():
    text = split_warning("accuracy", [0.95, 0.94], 100)
    assert text is not None and "100 samples" in text and "60/20/20" in text
    # 10,000 samples: the standard error (0.0022) is below the gap of 0.01
    assert split_warning("accuracy", [0.95, 0.94], 10_000) is None
    assert split_warning("accuracy", [0.95], 100) is None
    assert split_warning("rmse", [1.0, 1.01], 100) is None


def test_a_test_split_warning_says_its_values_are_validation_values():
    # the test split scores the best trial only: the two values compared are validation values
    text = split_warning("accuracy", [0.9582, 0.9526], 359, "test")
    assert text is not None and text.startswith("the test split (359 samples)")
    assert "validation accuracy 0.9582 vs 0.9526" in text
    assert "standard error 0.0106 a test accuracy near 0.9582 would have there" in text
    assert "validation accuracy 0.95 vs 0.94" in split_warning("accuracy", [0.95, 0.94], 100)
