"""``nntune ask --sampler X`` without a seed draws with the study's stored seed: asks in
separate processes continue one sequence, and the same study asks the same points."""

from __future__ import annotations

import json

import numpy as np

SPACE = json.dumps({"x": {"type": "float", "low": 0, "high": 1}, "y": {"type": "float", "low": 0, "high": 1}})


def asked(call_cli, tmp_path, name: str, sampler: str, n: int) -> list[list[float]]:
    study = ("--storage", f"sqlite:///{tmp_path / (name + '.db')}", "--study-name", name)
    assert call_cli("create-study", *study)[0] == 0
    points = []
    for _ in range(n):
        code, out, err = call_cli("ask", *study, "--sampler", sampler, "--search-space", SPACE, "-f", "json")
        assert code == 0 and "no seed" not in err, err
        points.append(list(json.loads(out)["params"].values()))
    return points


def test_qmc_asks_continue_one_sequence_of_the_studys_seed(call_cli, tmp_path):
    points = asked(call_cli, tmp_path, "q", "QMCSampler", 8)
    # One scrambled Sobol sequence: its first 8 points fill each eighth of each axis once
    # (8 points from several sequences, or at random, almost never do).
    for axis in np.array(points).T:
        assert sorted(np.floor(axis * 8).astype(int).tolist()) == list(range(8))


def test_the_stored_seed_makes_asks_repeatable_and_a_given_seed_still_wins(call_cli, tmp_path):
    study = ("--storage", f"sqlite:///{tmp_path / 'r.db'}", "--study-name", "r")
    assert call_cli("create-study", *study)[0] == 0
    code, out, _ = call_cli("ask", *study, "--sampler", "RandomSampler", "--sampler-kwargs", '{"seed": 5}',
                            "--search-space", SPACE, "-f", "json")
    assert code == 0 and json.loads(out)["number"] == 0
