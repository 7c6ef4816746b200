"""Lab ``ensemble``: the top-K ensembles of a random search against the single best."""

import pytest

from nntune.labs import run_lab


@pytest.mark.slow
def test_the_ensemble_matches_or_beats_the_single_best():
    result = run_lab("ensemble", seed=0, quick=True)
    n = result.numbers
    assert n["k"] == list(range(1, n["trials"] + 1))
    vals = [t["val_accuracy"] for t in n["ranked_trials"]]
    assert vals == sorted(vals, reverse=True)
    assert n["ensemble_val_accuracy"][0] == pytest.approx(vals[0])  # K = 1 is the single best
    single = n["single_best_test"]
    assert single["accuracy"] == n["ensemble_test_accuracy"][0]
    assert n["ensemble_test_accuracy"][n["k_chosen_on_validation"] - 1] >= single["accuracy"]
    assert n["ensemble_test_log_loss"][2] < single["log_loss"]
    assert n["greedy"]["test_accuracy"] >= single["accuracy"]
    assert sum(n["greedy"]["weights"]) == 2 * n["trials"]
    assert result.held
