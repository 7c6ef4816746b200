"""A stored block structure that the space no longer holds (a resumed population study
whose ranges were narrowed): the base's choice takes the stale values' place."""

from __future__ import annotations

from nntune.samplers import RandomSampler
from nntune.samplers._partial_fixed import StructureAsker
from nntune.space import Choice, Float, Int, Space

NARROWED = Space({"lr": Float(1e-4, 1.0, log=True), "optimizer": Choice(("sgd", "adam")),
                  "units": Int(8, 64, log=True), "layers": Int(1, 3)})


def test_values_outside_the_space_are_replaced_for_the_whole_block_and_the_rest_stays_held():
    base = RandomSampler(2)
    # Stored by a run over units 16..512 and five optimizers: 170 units, adagrad.
    asker = StructureAsker(base, block=4, structures={0: {"optimizer": "adagrad", "units": 170, "layers": 2}})
    drawn = [asker.suggest(NARROWED, [], number=n) for n in range(4)]
    first = base.suggest(NARROWED, [], number=0)
    for params in drawn:
        assert NARROWED.contains(params)  # held, 170 and adagrad were stored out of their ranges
        assert (params["optimizer"], params["units"], params["layers"]) == (first["optimizer"], first["units"], 2)
    assert asker.suggest_one("units", NARROWED.params["units"], [], number=3) == first["units"]
