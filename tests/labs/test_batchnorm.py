"""Lab ``batchnorm``: with and without batch norm across initial weight scales."""

import numpy as np
import pytest

from nntune.labs import run_lab


@pytest.mark.slow
def test_batch_norm_learns_faster_and_at_more_scales():
    result = run_lab("batchnorm", seed=0, quick=True)
    n = result.numbers
    scales = n["weight_std"]
    assert len(scales) == 5 and scales[0] == 1.0 and abs(scales[-1] - 1e-4) < 1e-12
    mean = n["mean_train_accuracy"]
    assert np.mean(mean["with"]) > np.mean(mean["without"])
    assert sum(w > wo for w, wo in zip(mean["with"], mean["without"])) >= 2 * len(scales) / 3
    assert n["scales_learned"]["with"] > n["scales_learned"]["without"]
    assert result.held


def test_the_trainers_batch_norm_layer_follows_the_notes_formulas():
    from nntune.labs.regularization import LABS, batch_norm_layer

    layer = batch_norm_layer(seed=0)
    assert layer["eps"] == 1e-5 and layer["momentum"] == 0.1 and layer["gamma_beta_learnable"]
    assert layer["training_matches_formula"] and layer["running_mean_is_weighted_average"]
    assert layer["test_uses_running_statistics"]
    assert layer["bias_before_changes_output_by"] < 1e-4
    lab = next(lab for lab in LABS if lab.name == "batchnorm")
    assert "bias before it that changes nothing" in lab.text and "no regularizer to rely on" in lab.text
