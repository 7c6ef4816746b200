"""Asking a sampler for trials that can share a stack: some parameters held fixed.

:class:`HeldSampler` is a partial fixing for nntune's sampler seam, unlike the public
``PartialFixedSampler`` (Optuna's, which asks the base over the free parameters only): the
base sampler's suggestion with the ``fixed`` parameters overwritten (a parameter that the
fixed values switch on but the base left out is drawn by the base's ``suggest_one`` when
the trial reaches it). The base never learns that anything was held.

:class:`StructureAsker` is the population executor's policy on top of it. Trials are
numbered; trial ``n`` belongs to block ``n // block``. The structure of a block (the
structural parameters: what :func:`~nntune.train.stack_models.structure_key` compares) is
asked once, as the structural part of the base's suggestion for the block's first trial
number; every trial of the block then gets the base's suggestion for its own number with
that structure held. So the first trial of a block is exactly the base's suggestion, each
trial's other parameters keep the base's distribution, and a trial's parameters depend on
its number (and, for model-based samplers, on the history), never on how many members a
stack holds. Where the space has no structural parameter, every trial shares one stack.

A grid is never bent: each grid point keeps its own structure (the executor runs a stack
per structure), so the grid is still covered point for point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nntune.samplers._optuna_methods import OptunaMethods
from nntune.space import Distribution, Space
from nntune.trial import FrozenTrial

# The names whose values decide whether two trials can share a stack (the stacked trainer's
# structure key: model, layers, units, activation, batch norm, loss, batch size, AMP, the
# optimizer, and a CNN's convolution settings); beside them any augmentation parameter.
STRUCTURAL: frozenset[str] = frozenset({
    "model", "layers", "units", "activation", "batchnorm", "loss", "batch_size", "amp", "optimizer",
    "conv_layers", "filters", "filters_growth", "kernel_size", "stride", "padding", "pool",
})


def _base_hears(owner: Any, study: Any, trial: FrozenTrial) -> None:
    """``before_trial`` handed on to ``owner.base``, as Optuna's PartialFixedSampler hands it
    on: a grid marks the trials it hands a point, and counts only those."""
    hook = getattr(owner.base, "before_trial", None)
    if hook is not None:
        hook(study, trial)
    else:
        OptunaMethods.before_trial(owner, study, trial)


class HeldSampler(OptunaMethods):
    """``base`` with the parameters of ``fixed_params`` held at those values."""

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: Any) -> None:
        self.fixed_params = dict(fixed_params)
        self.base = base_sampler

    @property
    def seed(self) -> int:
        return int(self.base.seed)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        drawn = dict(self.base.suggest(space, history, number=number, direction=direction))
        drawn.update({k: v for k, v in self.fixed_params.items() if k in space})
        # A parameter that the held values switch off goes; one they switch on is drawn by
        # the base (suggest_one) when the trial reaches it.
        return {k: v for k, v in drawn.items() if k not in space or space.is_active(k, drawn)}

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        if name in self.fixed_params:
            return self.fixed_params[name]
        return self.base.suggest_one(name, dist, history, number=number, direction=direction)

    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        _base_hears(self, study, trial)

    def __getattr__(self, name: str) -> Any:  # is_exhausted, constraints_func, ...
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    def __repr__(self) -> str:
        return f"HeldSampler({self.fixed_params!r}, {self.base!r})"


def is_augmentation(name: str) -> bool:
    """Whether ``name`` sets an augmentation's parameters (``rotation.degrees``, or
    ``rotation`` as a dict): a stack draws its training batches through one augmentation,
    so those are structural too."""
    from nntune.train.augment import AUGMENTATIONS

    return name.split(".", 1)[0] in AUGMENTATIONS


def structural_names(space: Space) -> tuple[str, ...]:
    """The parameters of ``space`` that decide a trial's structure, in the space's order:
    the stacked trainer's structure and the augmentation's parameters."""
    return tuple(n for n in space.params if n in STRUCTURAL or is_augmentation(n))


# Trials per structure when a timeout bounds the study: how many trials it will run is
# unknown, and an eighth of a large trial count held one structure for the whole search
# (digits MLP, TPE+ASHA on stacks of 4, 10 CPU-seconds, 3 seeds: Optuna TPE+Hyperband's
# target reached in 2 of 3 seeds with blocks of 64, median 8.6 s, and in 3 of 3 with
# blocks of 8, median 3.0 s; PBT with priors alike with both).
TIMED_BLOCK = 8
# The same on a GPU, where a stack epoch costs about the same for 1 to 16 members (an H200,
# Fashion-MNIST CNN: 4.3-4.8 ms a step) and blocks of 8 leave stacks of a few members as
# ASHA stops trials. Fashion-MNIST CNN race on an H200, TPE+ASHA, 25 s, one seed: Optuna
# TPE+Hyperband's target reached in 11.9 s with blocks of 8 and in 7.6 s with blocks of
# 128 (Optuna itself: 9.6 s), best 0.9046 and 0.9063, test 0.8980 and 0.8986.
ACCELERATOR_TIMED_BLOCK = 128


def structure_block(trials: int, timeout: float | None = None, accelerator: bool = False) -> int:
    """Trials per structure: an eighth of the study's budget, 4 to 64, so a study tries
    about eight structures (more when the budget is large) whatever the stack size; when a
    ``timeout`` may end the study first, at most ``TIMED_BLOCK`` on a CPU, and on an
    ``accelerator`` an eighth of the budget up to ``ACCELERATOR_TIMED_BLOCK``."""
    if timeout is not None and accelerator:
        return max(4, min(ACCELERATOR_TIMED_BLOCK, trials // 8))
    block = max(4, min(64, trials // 8))
    return block if timeout is None else min(block, TIMED_BLOCK)


class StructureAsker(OptunaMethods):
    """The sampler a population study asks through: ``base`` with each block's structure held.

    ``structures`` maps block numbers to their structure (plain data: the executor stores it
    with the study, so a resumed run holds the same structures). ``hold=False`` (a grid)
    passes every suggestion through unchanged. ``settle(block, asked)`` (when given) returns
    the structure to hold for a block just asked: where several processes ask for one study,
    the one stored first, so every process holds the same structure for a block.
    """

    def __init__(self, base: Any, block: int, structures: Mapping[int, Mapping[str, Any]] | None = None, *,
                 hold: bool = True,
                 settle: Callable[[int, dict[str, Any]], Mapping[str, Any]] | None = None) -> None:
        if block < 1:
            raise ValueError(f"block must be >= 1, got {block}")
        self.base = base
        self.block = block
        self.hold = hold
        self.settle = settle
        self.structures: dict[int, dict[str, Any]] = {int(b): dict(s) for b, s in (structures or {}).items()}

    @property
    def seed(self) -> int:
        return int(self.base.seed)

    def structure_for(self, number: int, space: Space, history: Sequence[FrozenTrial],
                      direction: str = "minimize") -> dict[str, Any]:
        """The structure of trial ``number``'s block, asked of the base on first use."""
        block = number // self.block
        if block not in self.structures:
            names = structural_names(space)
            first = dict(self.base.suggest(space, history, number=block * self.block, direction=direction)) \
                if names else {}
            asked = {n: first[n] for n in names if n in first}
            self.structures[block] = dict(self.settle(block, asked)) if self.settle is not None else asked
        held = self.structures[block]
        stale = [n for n, v in held.items() if n in space.params and not space.params[n].contains(v)]
        if stale:
            # Stored by an earlier run over a wider space (a resumed study whose units or
            # choices were narrowed since): held as they are, the block's trials would be
            # stored with values outside their distributions. The base's suggestion for
            # the block's first trial takes their place, for every trial of the block.
            first = dict(self.base.suggest(space, history, number=block * self.block, direction=direction))
            held = {n: first[n] if n in stale else v for n, v in held.items() if n not in stale or n in first}
            self.structures[block] = held
        return held

    def fixed_for(self, number: int, space: Space, history: Sequence[FrozenTrial],
                  direction: str = "minimize") -> HeldSampler:
        return HeldSampler(self.structure_for(number, space, history, direction) if self.hold else {},
                                   self.base)

    def suggest(self, space: Space, history: Sequence[FrozenTrial], *, number: int,
                direction: str = "minimize") -> dict[str, Any]:
        if not self.hold:
            return dict(self.base.suggest(space, history, number=number, direction=direction))
        return self.fixed_for(number, space, history, direction).suggest(space, history, number=number,
                                                                          direction=direction)

    def suggest_one(self, name: str, dist: Distribution, history: Sequence[FrozenTrial], *,
                    number: int, direction: str = "minimize") -> Any:
        held = self.structures.get(number // self.block, {}) if self.hold else {}
        if name in held:
            return held[name]
        return self.base.suggest_one(name, dist, history, number=number, direction=direction)

    def before_trial(self, study: Any, trial: FrozenTrial) -> None:
        _base_hears(self, study, trial)

    def __getattr__(self, name: str) -> Any:
        if name in ("base", "structures", "block", "hold", "settle"):
            raise AttributeError(name)
        return getattr(self.base, name)

    def __repr__(self) -> str:
        return f"StructureAsker({self.base!r}, block={self.block}, hold={self.hold})"
