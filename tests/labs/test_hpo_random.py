"""Lab ``hpo-random``: the notes' random search over learning rate and weight decay (figure 6-24)."""

import pytest

from nntune.labs import run_lab


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
    assert abs(n["rank_correlation_with_val_accuracy"]["log_weight_decay"]) < 0.3
    assert len(n["top_curves"]) == 20
    assert result.held
