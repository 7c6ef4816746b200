"""NSGA-II's and NSGA-III's generations as Optuna's ``BaseGASampler`` keeps them.

A trial's generation is fixed when it is sampled and stored with it (``GENERATION_KEY``,
Optuna's key; NSGA-III's are its own, :func:`keys_of`): the latest generation among the complete trials that carry one, or the next
once that generation holds ``population_size`` complete trials. Failed, pruned, diverged
and running trials count for nothing, so a generation is made up to its size however many
of its trials fail, and a trial still running when the next generation starts stays in its
own generation without joining its population.

A generation's parents are chosen once, by the first trial sampled in it, from the
complete trials of the generation before at that moment and that generation's parents;
Optuna stores the choice in the study (``BaseGASampler:parent:<g>``), nntune with that
first trial (``PARENTS_KEY``: the parents' numbers). So a trial of the generation before
that completes later never moves them, and a study resumed in another process reads the
same parents back instead of choosing again with that late trial.

A trial stored without a generation (by an older nntune, or added with ``add_trial``) is
given the one it would have been sampled in had the trials before it finished in turn;
a generation without a stored choice has its parents chosen from its candidates as they
are now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nntune.samplers._independent import noted
from nntune.storage._base import CLAIM
from nntune.trial import FrozenTrial, TrialState

GENERATION_KEY = "NSGAIISampler:generation"
PARENTS_KEY = "NSGAIISampler:parents"


def keys_of(sampler_name: str) -> tuple[str, str]:
    """The system attributes a sampler class named ``sampler_name`` stores a trial's
    generation and a generation's parents under: Optuna keys each GA sampler's generations
    by its class name, so a study searched by NSGA-II and then NSGA-III starts NSGA-III's
    generations afresh rather than reading NSGA-II's."""
    return f"{sampler_name}:generation", f"{sampler_name}:parents"


def stored_generation(system_attrs: dict[str, Any], key: str = GENERATION_KEY) -> int | None:
    """The generation stored with a trial under ``key``, or None."""
    value = system_attrs.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def stored_parents(system_attrs: dict[str, Any], key: str = PARENTS_KEY) -> tuple[int, ...] | None:
    """The parents' numbers stored with the first trial of a generation under ``key``, or None."""
    value = system_attrs.get(key)
    if not isinstance(value, (list, tuple)) or not all(isinstance(n, int) for n in value):
        return None
    return tuple(value)


def next_generation(top: int, count: int, size: int) -> int:
    """The generation of a trial sampled now: ``top``, the latest generation among the
    complete trials, or the next when it holds ``count >= size`` complete trials."""
    return top + 1 if count >= size else top


def assign_generations(trials: Sequence[tuple[int, bool, int | None]], size: int,
                       asked: int) -> tuple[list[int], int]:
    """Each trial's generation and that of trial ``asked``. ``trials``: (number, complete,
    stored generation or None) in number order.

    A stored generation is kept. Trial ``asked`` without one is being sampled: it gets the
    generation Optuna would give it now, from every other trial. Any other trial without
    one gets the generation it would have been sampled in after the trials before it
    (as they are now), as if they had finished in turn."""
    top = count = 0
    out: list[int] = []
    asked_generation: int | None = None
    for number, complete, stored in trials:
        if number == asked and stored is None:
            out.append(-1)  # filled in below, once every other trial has been counted
            continue
        g = stored if stored is not None else next_generation(top, count, size)
        if number == asked:
            asked_generation = g
        out.append(g)
        if complete:
            if g > top:
                top, count = g, 1
            elif g == top:
                count += 1
    if asked_generation is None:
        asked_generation = next_generation(top, count, size)
        out = [asked_generation if g == -1 else g for g in out]
    return out, asked_generation


def store_for(number: int, asked: FrozenTrial | None, generation: int, parents: list[int] | None,
              keys: tuple[str, str] = (GENERATION_KEY, PARENTS_KEY)) -> None:
    """Store ``generation`` (and ``parents``) with trial ``number`` when it is the trial
    being sampled in this thread (noted by ``before_trial`` or Optuna's ``sample_relative``;
    ``asked``, the history's copy of it, running and not yet given a generation): a sampler
    asked about any other trial, or handed a history without a study, stores nothing."""
    being = noted()
    if being is None or asked is None:
        return
    study, trial = being
    generation_key, parents_key = keys
    if trial.number != number or asked.state != TrialState.RUNNING or generation_key in asked.system_attrs \
            or asked.datetime_start != trial.datetime_start:  # the same trial, not one of another study
        return
    claim = trial.system_attrs.get(CLAIM)
    kw = {} if claim is None else {"claim": claim}
    study.storage.set_trial_system_attr(study.id, number, generation_key, generation, **kw)
    asked.system_attrs[generation_key] = generation
    trial.system_attrs[generation_key] = generation
    if parents is not None:
        study.storage.set_trial_system_attr(study.id, number, parents_key, list(parents), **kw)
        asked.system_attrs[parents_key] = list(parents)
        trial.system_attrs[parents_key] = list(parents)


__all__ = ["GENERATION_KEY", "PARENTS_KEY", "assign_generations", "keys_of", "next_generation", "store_for", "stored_generation", "stored_parents"]
