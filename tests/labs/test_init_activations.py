"""Lab ``init-activations``: activation histograms per initializer (figures 6-10 to 6-14)."""

from nntune.labs import run_lab


def test_histograms_match_the_notes():
    result = run_lab("init-activations", seed=0)
    stats = result.numbers["stats"]
    sat, tiny, xavier = stats["sigmoid, std 1"], stats["sigmoid, std 0.01"], stats["sigmoid, Xavier"]
    assert len(sat["std"]) == 5
    # std 1: most sigmoid outputs pinned near 0 or 1 in every layer
    assert min(sat["share_near_0_or_1"]) > 0.5
    # std 0.01: everything collapses at 0.5
    assert min(tiny["share_near_0.5"]) > 0.9 and max(tiny["std"]) < 0.03
    # Xavier: spread, neither saturated nor collapsed
    assert max(xavier["share_near_0_or_1"]) < 0.1 and max(xavier["share_near_0.5"]) < 0.5
    relu = {k: stats[k]["std"] for k in ("ReLU, std 0.01", "ReLU, Xavier", "ReLU, He")}
    for name in ("ReLU, std 0.01", "ReLU, Xavier"):
        assert all(b < a for a, b in zip(relu[name], relu[name][1:])), name
    ratio = result.numbers["relu_std_ratio_layer5_to_layer1"]
    assert ratio["ReLU, std 0.01"] < 1e-3
    assert ratio["ReLU, Xavier"] < 0.5
    assert 0.5 <= ratio["ReLU, He"] <= 2.0
    assert result.held


def test_same_seed_same_numbers_other_seed_other_draws():
    a = run_lab("init-activations", seed=3).numbers["stats"]
    b = run_lab("init-activations", seed=3).numbers["stats"]
    c = run_lab("init-activations", seed=4).numbers["stats"]
    assert a == b
    assert a != c
