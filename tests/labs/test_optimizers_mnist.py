"""Lab ``optimizers-mnist``: the five optimizers training a 5-layer MLP on real digits."""

import pytest

from nntune.labs import run_lab


@pytest.mark.slow
def test_sgd_is_the_slowest():
    result = run_lab("optimizers-mnist", seed=0, quick=True)
    n = result.numbers
    assert n["data"] in ("mnist_5k", "digits")
    final, mean = n["final_train_loss"], n["mean_train_loss"]
    assert set(final) == {"SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"}
    for name in final:
        if name != "SGD":
            assert final["SGD"] > final[name]
            assert mean["SGD"] > mean[name]
    # every optimizer learns something: the loss falls from its first epoch
    assert all(curve[-1] < curve[0] for curve in n["train_loss"].values())
    assert result.held
