"""The stack-asking wrapper: a block's structure held, every other parameter the base's own."""

from nntune.samplers import GridSampler, RandomSampler, TPESampler
from nntune.samplers._partial_fixed import HeldSampler, StructureAsker, structural_names, structure_block
from nntune.space import Choice, Float, Int, Space

SPACE = Space({"lr": Float(1e-4, 1.0, log=True), "optimizer": Choice(("sgd", "momentum", "adam")),
               "momentum": Float(0.8, 0.99), "units": Int(8, 64, log=True), "layers": Int(1, 3)},
              {"momentum": {"optimizer": ["momentum"]}})


def test_fixed_parameters_are_held_and_the_rest_is_the_base_suggestion():
    base = RandomSampler(3)
    for number in range(20):
        plain = base.suggest(SPACE, [], number=number)
        held = HeldSampler({"units": 17, "layers": 2}, base).suggest(SPACE, [], number=number)
        assert held["units"] == 17 and held["layers"] == 2
        assert {k: v for k, v in held.items() if k not in ("units", "layers")} == \
            {k: v for k, v in plain.items() if k not in ("units", "layers")}


def test_a_held_parent_switches_its_children_on_and_off():
    base = RandomSampler(0)
    off = HeldSampler({"optimizer": "sgd"}, base).suggest(SPACE, [], number=1)
    assert "momentum" not in off
    sampler = HeldSampler({"optimizer": "momentum"}, base)
    on = sampler.suggest(SPACE, [], number=1)
    value = on.get("momentum", sampler.suggest_one("momentum", SPACE.params["momentum"], [], number=1))
    assert 0.8 <= value <= 0.99


def test_each_block_shares_the_structure_of_its_first_trial():
    base = RandomSampler(7)
    asker = StructureAsker(base, block=4)
    drawn = {n: asker.suggest(SPACE, [], number=n) for n in range(12)}
    assert structural_names(SPACE) == ("optimizer", "units", "layers")
    for n in range(12):
        first = base.suggest(SPACE, [], number=n - n % 4)
        assert {k: drawn[n][k] for k in ("optimizer", "units", "layers")} == \
            {k: first[k] for k in ("optimizer", "units", "layers")}
        assert drawn[n]["lr"] == base.suggest(SPACE, [], number=n)["lr"]  # the rest: the base's own draw
    assert drawn[0] == base.suggest(SPACE, [], number=0)  # a block's first trial is untouched
    assert len({drawn[n]["units"] for n in (0, 4, 8)}) > 1  # blocks try other structures


def test_the_same_trial_gets_the_same_parameters_in_any_order():
    forward, backward = StructureAsker(RandomSampler(1), block=3), StructureAsker(RandomSampler(1), block=3)
    a = {n: forward.suggest(SPACE, [], number=n) for n in range(9)}
    b = {n: backward.suggest(SPACE, [], number=n) for n in reversed(range(9))}
    assert a == b


def test_stored_structures_win_and_a_model_based_sampler_is_asked_once_per_block():
    asker = StructureAsker(TPESampler(seed=0), block=5, structures={0: {"units": 9, "layers": 1, "optimizer": "adam"}})
    for n in range(5):
        params = asker.suggest(SPACE, [], number=n)
        assert (params["units"], params["layers"], params["optimizer"]) == (9, 1, "adam")
    assert set(asker.structures) == {0}


def test_a_grid_keeps_its_points_whole_and_a_space_without_structure_is_one_block():
    space = Space({"units": Int(8, 64), "lr": Float(1e-3, 1e-1, log=True)})
    grid = GridSampler(points=3, seed=0)
    asker = StructureAsker(grid, block=4, hold=False)
    assert [asker.suggest(space, [], number=n) for n in range(6)] == [grid.suggest(space, [], number=n) for n in range(6)]
    lr_only = Space({"lr": Float(1e-3, 1e-1, log=True)})
    assert StructureAsker(RandomSampler(0), block=2).structure_for(5, lr_only, []) == {}


def test_the_block_size_follows_the_budget_not_the_stack():
    assert [structure_block(t) for t in (10, 200, 5000)] == [4, 25, 64]
    # A timeout may end the study long before its trial count: small blocks, so it tries structures.
    assert [structure_block(t, timeout=60.0) for t in (10, 200, 1_000_000)] == [4, 8, 8]
    # A GPU trains a stack of 16 for about the cost of one: a structure may fill a stack.
    assert [structure_block(t, timeout=60.0, accelerator=True) for t in (10, 200, 1_000_000)] == [4, 25, 128]
    assert structure_block(200, accelerator=True) == structure_block(200) == 25  # no timeout: as on a CPU


def test_augmentation_parameters_are_held_per_block_like_the_structure():
    space = Space({"lr": Float(1e-4, 1.0, log=True), "rotation.degrees": Float(0.0, 30.0),
                   "hflip.p": Float(0.0, 1.0), "units": Int(8, 64, log=True)})
    assert structural_names(space) == ("rotation.degrees", "hflip.p", "units")
    asker = StructureAsker(RandomSampler(5), block=4)
    drawn = [asker.suggest(space, [], number=n) for n in range(8)]
    for block in (drawn[:4], drawn[4:]):
        assert len({(d["rotation.degrees"], d["hflip.p"]) for d in block}) == 1
        assert len({d["lr"] for d in block}) == 4
    assert drawn[0]["rotation.degrees"] != drawn[4]["rotation.degrees"]
