"""PED-ANOVA's numbers equal Optuna's on the same trials (``normalize=False`` included:
the divergence times the squared quantile, smoothed by a prior, as Optuna's), and the
default evaluator explains a study of several objectives without ``target``, as Optuna's
default does."""

from __future__ import annotations

import warnings

import optuna
import pytest

import nntune
from nntune.importance import PedAnovaImportanceEvaluator, get_param_importances

from _importance_pairs import Rows, both_studies
from _importance_pairs import seeded_rows as _rows


def _both(rows: Rows, n_objectives: int) -> tuple[nntune.Study, optuna.Study]:
    return both_studies(rows, ["minimize", "maximize"][:n_objectives])


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
