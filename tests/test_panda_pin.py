"""``babysit --set`` pins a value of the space: nothing is searched, so the conditions other
entries put on it go with it, and the ranges left still bound later changes."""

from nntune.config import parse_config
from nntune.panda import declared_ranges, pin, pinned_ranges
from nntune.space import Beta


def test_pinning_the_optimizer_keeps_the_momentum_range_without_its_condition():
    space = {"optimizer": {"type": "choice", "values": ["sgd", "momentum", "adam"]},
             "momentum": {"type": "beta", "low": 0.8, "high": 0.99, "when": {"optimizer": ["momentum"]}},
             "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True}}
    taken = pin(space, "optimizer")
    assert taken == {"type": "choice", "values": ["sgd", "momentum", "adam"]}
    assert space["momentum"]["when"] == {} and "optimizer" not in space
    cfg = parse_config({"space": space, "fixed": {"optimizer": "sgd"}})  # no dangling condition
    assert declared_ranges(cfg, pinned_ranges({"optimizer": taken}))["momentum"] == Beta(0.8, 0.99)


def test_babysit_set_optimizer_on_the_default_config(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    code, out, err = call_cli("babysit", "--set", "optimizer=sgd", "--set", "lr=0.1", "--set", "epochs=1",
                              "--set", "layers=1", "--set", "units=16", "--study", "b", "--storage", url)
    assert code == 0 and "trial 0 of study b: complete" in out, err
