"""CMA-ES, NSGA-II, NSGA-III and multi-objective TPE suggest, for a fixed seed, exactly the
parameters recorded in ``data/seeded_suggestions.json`` (300 trials each, failed, pruned
and diverged trials mixed in, constraints where the sampler takes them), in memory and on
SQLite: the caches that keep their asks fast change no suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.samplers import seeded_studies


@pytest.fixture(scope="module")
def record() -> dict[str, list[dict[str, object]]]:
    return json.loads(seeded_studies.RECORD.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", list(seeded_studies.CASES))
def test_suggestions_match_the_record(name: str, record: dict[str, list[dict[str, object]]]) -> None:
    assert seeded_studies.run(name) == record[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cmaes", "nsga2_constrained", "motpe"])
def test_suggestions_match_the_record_on_sqlite(name: str, record: dict[str, list[dict[str, object]]],
                                                tmp_path: Path) -> None:
    n = 120
    assert seeded_studies.run(name, n, f"sqlite:///{tmp_path / 's.db'}") == record[name][:n]
