"""The same seeded trials in an nntune study and an Optuna one, for comparing importance
numbers: every parameter kind (float, log float, int, log int, stepped, categorical, and
"momentum" drawn only for "sgd"), with a loss and a second objective."""

from __future__ import annotations

import math
import random
from typing import Any

import optuna

import nntune
from nntune.space import Choice, Float, Int

OD = optuna.distributions
# Each parameter kind, in nntune's and Optuna's words; "momentum" is drawn only for "sgd".
KINDS = {
    "x": (Float(-5.0, 5.0), OD.FloatDistribution(-5.0, 5.0)),
    "lr": (Float(1e-4, 1.0, log=True), OD.FloatDistribution(1e-4, 1.0, log=True)),
    "layers": (Int(1, 6), OD.IntDistribution(1, 6)),
    "units": (Int(1, 1024, log=True), OD.IntDistribution(1, 1024, log=True)),
    "drop": (Float(0.0, 0.5, step=0.1), OD.FloatDistribution(0.0, 0.5, step=0.1)),
    "opt": (Choice(("sgd", "adam", "rmsprop")), OD.CategoricalDistribution(("sgd", "adam", "rmsprop"))),
    "momentum": (Float(0.0, 1.0), OD.FloatDistribution(0.0, 1.0)),
}

Rows = list[tuple[dict[str, Any], list[float]]]


def seeded_rows(n: int, seed: int) -> Rows:
    """``n`` trials' parameters and two objective values (a loss, a size), seeded."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        p: dict[str, Any] = {"x": rng.uniform(-5, 5), "lr": 10 ** rng.uniform(-4, 0), "layers": rng.randint(1, 6),
                             "units": int(2 ** rng.uniform(0, 10)), "drop": rng.randint(0, 5) / 10,
                             "opt": rng.choice(("sgd", "adam", "rmsprop"))}
        if p["opt"] == "sgd":
            p["momentum"] = rng.random()
        loss = (0.1 * p["x"] ** 2 + abs(math.log10(p["lr"]) + 2) + 0.1 * p["layers"] + p["drop"]
                + (p.get("momentum", 0.9) - 0.9) ** 2 + 0.05 * rng.gauss(0, 1))
        rows.append((p, [loss, math.log2(p["units"]) + rng.gauss(0, 1)]))
    return rows


def both_studies(rows: Rows, directions: list[str]) -> tuple[nntune.Study, optuna.Study]:
    """The same trials in an nntune study and an Optuna one (the first values of each row,
    one per direction)."""
    ours = nntune.create_study(directions=directions)
    theirs = optuna.create_study(directions=directions)
    for params, values in rows:
        values = values[:len(directions)]
        ours.add_trial(nntune.create_trial(params=params, values=values,
                                           distributions={k: KINDS[k][0] for k in params}))
        theirs.add_trial(optuna.trial.create_trial(params=params, values=values,
                                                   distributions={k: KINDS[k][1] for k in params}))
    return ours, theirs
