"""``get_param_importances(study)``: each parameter's share of the value's variation, as
the report measures it (a random forest fitted to the complete trials, then permutation
importance, ``nntune.analysis.param_importance``), largest first, summing to 1."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from nntune.analysis import IMPORTANCE_MIN_TRIALS, param_importance, study_space
from nntune.space import Space
from nntune.trial import FrozenTrial, TrialState


def get_param_importances(study: Any, *, evaluator: Any = None, params: Sequence[str] | None = None,
                          target: Callable[[FrozenTrial], float] | None = None,
                          normalize: bool = True) -> dict[str, float]:
    """Importances by parameter name, largest first. Needs a few complete trials whose
    values vary (``IMPORTANCE_MIN_TRIALS``); raises ValueError otherwise."""
    if evaluator is not None:
        raise ValueError("nntune measures importance one way (random forest + permutation); leave evaluator out")
    if not normalize:
        raise ValueError("nntune reports importances as shares that sum to 1; leave normalize at True")
    trials = list(study.get_trials(deepcopy=False))
    if target is not None:
        trials = [dataclasses.replace(t, value=float(target(t))) if t.state == TrialState.COMPLETE else t
                  for t in trials]
    elif study.is_multi_objective:
        raise ValueError("a study of several objectives needs target= to say which number to explain")
    rec = study.storage.load_study(study.study_name)
    space = study_space(trials, rec.attrs if rec else None)
    if params is not None:
        space = Space({p: space.params[p] for p in params if p in space.params})
    result = param_importance(trials, space, seed=study.seed)
    if not result["importance"]:
        raise ValueError(f"importance needs at least {IMPORTANCE_MIN_TRIALS} complete trials whose values "
                         f"vary; this study has {result['n_trials']}")
    return dict(result["importance"])


__all__ = ["get_param_importances"]
