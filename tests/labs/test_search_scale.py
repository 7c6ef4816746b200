"""Lab ``search-scale``: shares per decade on a linear and a log scale."""

from nntune.labs import run_lab


def test_linear_crowds_the_top_decade_log_spreads_evenly():
    result = run_lab("search-scale", seed=0)
    shares = result.numbers["shares"]
    assert result.numbers["draws"] == 1000
    assert 0.86 < shares["lr_linear"][-1] < 0.94
    assert sum(shares["lr_linear"][:3]) < 0.14
    assert all(0.2 < s < 0.3 for s in shares["lr_log"])
    assert shares["beta_linear"][0] > 0.85
    assert all(0.44 < s < 0.56 for s in shares["beta_one_minus_log"])
    assert abs(sum(shares["lr_log"]) - 1) < 1e-9
    assert result.held
