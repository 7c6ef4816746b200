"""CMA-ES, NSGA-II, NSGA-III and multi-objective TPE suggest, for a fixed seed, exactly the
parameters recorded in ``data/seeded_suggestions.json`` (300 trials each, failed, pruned
and diverged trials mixed in, constraints where the sampler takes them), in memory and on
SQLite: the caches that keep their asks fast change no suggestion."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.samplers import seeded_studies


def same(got: object, want: object) -> bool:
    """Equal, floats to 1e-9 relative: CMA-ES's linear algebra runs in the installed BLAS,
    whose last bits differ between numpy builds, while a changed suggestion differs at once."""
    if isinstance(got, float) and isinstance(want, float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(same(got[k], want[k]) for k in got)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    return type(got) is type(want) and got == want


def check(got: list[dict[str, object]], want: list[dict[str, object]]) -> None:
    first = next((i for i, (g, w) in enumerate(zip(got, want)) if not same(g, w)), None)
    assert len(got) == len(want) and first is None, (first, got[first] if first is not None else None,
                                                     want[first] if first is not None else None)


@pytest.fixture(scope="module")
def record() -> dict[str, list[dict[str, object]]]:
    return json.loads(seeded_studies.RECORD.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", list(seeded_studies.CASES))
def test_suggestions_match_the_record(name: str, record: dict[str, list[dict[str, object]]]) -> None:
    check(seeded_studies.run(name), record[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cmaes", "nsga2_constrained", "motpe"])
def test_suggestions_match_the_record_on_sqlite(name: str, record: dict[str, list[dict[str, object]]],
                                                tmp_path: Path) -> None:
    n = 120
    check(seeded_studies.run(name, n, f"sqlite:///{tmp_path / 's.db'}"), record[name][:n])
