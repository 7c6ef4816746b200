"""Lab ``optimizers``: paths on f(x, y) = x^2/20 + y^2 from (-7, 2)."""

from nntune.labs import run_lab


def test_sgd_zig_zags_and_walks_the_longest_path():
    result = run_lab("optimizers", seed=0)
    per = result.numbers["optimizers"]
    sgd = per["SGD"]
    others = [name for name in per if name != "SGD"]
    assert set(per) == {"SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"}
    # SGD reverses its y step at nearly every one of the 30 drawn steps; the others hardly ever.
    assert sgd["dy_sign_changes"] >= 25
    assert all(sgd["dy_sign_changes"] > per[n]["dy_sign_changes"] for n in others)
    assert all(sgd["path_length"] > 2 * per[n]["path_length"] for n in others)
    assert result.held


def test_steps_to_reach_the_minimum():
    per = run_lab("optimizers", seed=0).numbers["optimizers"]
    reach = {name: n["steps_to_reach"] for name, n in per.items()}
    assert all(v is not None for v in reach.values())
    assert reach["AdaGrad"] < reach["SGD"] and reach["RMSProp"] < reach["SGD"]
    # With the notes' rates Momentum and Adam roll past the minimum along x: more steps than SGD.
    assert reach["Momentum"] > reach["SGD"] and reach["Adam"] > reach["SGD"]
    # Adam sways across the valley less than Momentum (the notes' remark on figure 6-7).
    assert per["Adam"]["dy_sign_changes"] < per["Momentum"]["dy_sign_changes"]
