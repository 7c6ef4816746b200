"""PED-ANOVA's numbers equal Optuna's on the same trials (``normalize=False`` included:
the divergence times the squared quantile, smoothed by a prior, as Optuna's), and the
default evaluator explains a study of several objectives without ``target``, as Optuna's
default does."""

from __future__ import annotations

import math
import random
import warnings

import optuna
import pytest

import nntune
from nntune.importance import PedAnovaImportanceEvaluator, get_param_importances
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


def _rows(n: int, seed: int) -> list[tuple[dict, list[float]]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        p = {"x": rng.uniform(-5, 5), "lr": 10 ** rng.uniform(-4, 0), "layers": rng.randint(1, 6),
             "units": int(2 ** rng.uniform(0, 10)), "drop": rng.randint(0, 5) / 10, "opt": rng.choice(KINDS["opt"][0].values)}
        if p["opt"] == "sgd":
            p["momentum"] = rng.random()
        loss = (0.1 * p["x"] ** 2 + abs(math.log10(p["lr"]) + 2) + 0.1 * p["layers"] + p["drop"]
                + (p.get("momentum", 0.9) - 0.9) ** 2 + 0.05 * rng.gauss(0, 1))
        rows.append((p, [loss, math.log2(p["units"]) + rng.gauss(0, 1)]))
    return rows


def _both(rows, n_objectives: int) -> tuple[nntune.Study, optuna.Study]:
    """The same trials in an nntune study and an Optuna one."""
    ours = nntune.create_study(directions=["minimize", "maximize"][:n_objectives])
    theirs = optuna.create_study(directions=["minimize", "maximize"][:n_objectives])
    for params, values in rows:
        values = values[:n_objectives]
        ours.add_trial(nntune.create_trial(params=params, values=values,
                                           distributions={k: KINDS[k][0] for k in params}))
        theirs.add_trial(optuna.trial.create_trial(params=params, values=values,
                                                   distributions={k: KINDS[k][1] for k in params}))
    return ours, theirs


def _close(ours: dict[str, float], theirs: dict[str, float]) -> None:
    assert set(ours) == set(theirs)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, rel=1e-6, abs=1e-12), name


@pytest.fixture(scope="module")
def single():
    return _both(_rows(80, seed=0), 1)


@pytest.mark.parametrize("options", [{}, {"evaluate_on_local": False},
                                     {"target_quantile": 0.3, "region_quantile": 0.8}], ids=repr)
def test_unnormalized_ped_anova_is_optunas(single, options) -> None:
    ours, theirs = single
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = optuna.importance.get_param_importances(
            theirs, evaluator=optuna.importance.PedAnovaImportanceEvaluator(**options), normalize=False)
        raw = get_param_importances(ours, evaluator=PedAnovaImportanceEvaluator(**options), normalize=False)
        shares = get_param_importances(ours, evaluator=PedAnovaImportanceEvaluator(**options))
    _close(raw, expected)
    # normalized: the same numbers as shares of their sum
    _close(shares, {k: v / sum(expected.values()) for k, v in expected.items()})


def test_several_objectives_with_and_without_a_target_are_optunas() -> None:
    ours, theirs = _both(_rows(60, seed=1), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target in (None, lambda t: t.values[0]):
            expected = optuna.importance.get_param_importances(
                theirs, evaluator=optuna.importance.PedAnovaImportanceEvaluator(), target=target, normalize=False)
            _close(get_param_importances(ours, evaluator=PedAnovaImportanceEvaluator(), target=target,
                                         normalize=False), expected)


def test_the_default_explains_several_objectives_without_a_target_as_optunas() -> None:
    ours, theirs = _both(_rows(60, seed=2), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = optuna.importance.get_param_importances(theirs)  # Optuna's default: PED-ANOVA
        _close(get_param_importances(ours), expected)
    # the forests still need one number, as Optuna's
    with pytest.raises(ValueError, match="needs target="):
        get_param_importances(ours, evaluator=nntune.importance.FanovaImportanceEvaluator())
