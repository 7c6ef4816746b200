"""Lab ``normalization``: loss contours with raw and with standardized inputs."""

import numpy as np

from nntune.labs import run_lab
from nntune.labs.training import descend


def test_standardized_inputs_converge_in_far_fewer_steps(tmp_path):
    result = run_lab("normalization", tmp_path, seed=0)
    raw, std = result.numbers["runs"]["raw inputs"], result.numbers["runs"]["standardized inputs"]
    assert raw["condition_number"] > 50 and std["condition_number"] < 2
    assert std["steps_to_converge"] is not None and raw["steps_to_converge"] >= 10 * std["steps_to_converge"]
    assert raw["min_loss"] == np.float64(std["min_loss"]) or abs(raw["min_loss"] - std["min_loss"]) < 1e-9
    assert result.held and (tmp_path / "normalization.png").is_file()


def test_descent_reaches_the_least_squares_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    y = x @ np.array([1.5, -2.0])
    run = descend(x, y - y.mean())
    assert run["steps_to_converge"] is not None
    assert np.allclose(run["path"][-1], run["minimum"], atol=0.05)
