"""Lab ``hpo-random``: the notes' random search over learning rate and weight decay (figure 6-24)."""

import numpy as np
import pytest

from nntune.labs import run_lab
from nntune.labs.search import chance_band, partial_rank_correlation, rank_correlation


@pytest.mark.slow
def test_best_trials_sit_at_the_top_of_the_learning_rate_range():
    result = run_lab("hpo-random", seed=0, quick=True)
    n = result.numbers
    assert n["complete"] == n["trials"] == 40
    best = n["best"]
    assert [b["rank"] for b in best] == list(range(1, 11))
    assert all(b["val_accuracy"] >= c["val_accuracy"] for b, c in zip(best, best[1:]))
    assert all(1e-6 <= b["lr"] <= 1e-2 and 1e-8 <= b["weight_decay"] <= 1e-4 for b in best)
    assert min(b["lr"] for b in best[:5]) > 1e-3
    assert best[0]["val_accuracy"] >= 0.3
    low = [a for decade, accs in n["val_accuracy_by_lr_decade"].items() if decade.startswith(("1e-06", "1e-05"))
           for a in accs]
    assert low and max(low) < 0.2
    rho = n["rank_correlation_with_val_accuracy"]
    assert abs(rho["log_weight_decay_given_log_lr"]) < rho["chance_band"]
    assert len(n["top_curves"]) == 20
    assert result.held


def test_tied_accuracies_share_their_rank():
    # Trials stuck at guessing tie at 0.1; breaking ties by order would invent a correlation.
    assert rank_correlation(np.array([4.0, 3.0, 2.0, 1.0]), np.array([0.1, 0.1, 0.1, 0.5])) == pytest.approx(-3 / np.sqrt(15))


def test_weight_decay_draws_that_follow_the_learning_rate_are_not_an_effect():
    rng = np.random.default_rng(0)
    log_lr = rng.uniform(-6, -2, 100)
    log_wd = 0.6 * log_lr + rng.normal(0, 0.8, 100)  # drawn to follow lr, no effect of its own
    acc = 1 / (1 + np.exp(-3 * (log_lr + 3)))
    assert abs(rank_correlation(log_wd, acc)) > 0.5
    assert abs(partial_rank_correlation(log_wd, acc, log_lr)) < chance_band(100)


def test_chance_band_shrinks_with_the_trials():
    assert chance_band(100) == pytest.approx(3 / np.sqrt(97))
    assert chance_band(40) > chance_band(100) > chance_band(1000)
    assert chance_band(2) == 3.0


@pytest.mark.slow
def test_a_seed_whose_decay_draws_happen_to_follow_the_rate_still_holds():
    result = run_lab("hpo-random", seed=3, quick=True)
    rho = result.numbers["rank_correlation_with_val_accuracy"]
    assert abs(rho["log_weight_decay"]) > 0.3  # the plain correlation alone would call this an effect
    assert result.held
