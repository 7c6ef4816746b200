"""The built-in trainer for the population executor: a config's task, trained as stacks.

:class:`StackTrainer` is to :func:`nntune.executors.run_population` what
:func:`nntune.builtin.make_objective` is to the other executors: it turns an asked trial
into the trainer's hyperparameters and seed, builds a stack for a structure, and turns a
member's result into the trial's stored attributes and value, with the same rules (the
best epoch's value when early stopping restored its weights, else the last epoch's).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from nntune._trial import Trial
from nntune.builtin import (
    checkpoint_file, evaluation_transform, meets_constraints, objective_values, trial_costs, trial_hyperparameters,
    training_augment,
)
from nntune.config import Config
from nntune.schedulers import PBT, Proposal
from nntune.schedulers._pbt import member_proposal
from nntune.space import Space
from nntune.train import Splits
from nntune.train.basics import model_input_shape, count_outputs, pick_device, resolve_params
from nntune.kept_model import kept_file
from nntune.train.epochs import save_checkpoint
from nntune.train.loop import kept_record
from nntune.train.stack import Stack, StackResult
from nntune.train.stack_models import frozen, structure_key
from nntune.train.stack_run import available_memory, estimate_member_bytes, population_size
from nntune.train.stack_size import GAIN, AutoSize, probe_population

# Members per stack with ``population: auto``: at most this many, and what fits the memory;
# within that, the largest stack whose time per member still improves on half its size
# (:mod:`nntune.train.stack_size`, timed on the device at the first stack).
# Every member added to a stack slows each of its epochs, so the first trials finish later:
# on 2 CPU cores (digits MLP, random and TPE with ASHA, 10 s budgets, 2 seeds) the best
# value reached Optuna TPE+Hyperband's median final best after 1.1-2.3 s with 2 to 4
# members, 2.9-7.7 s with 8 and 6.5 s or never with 16; 4 started the most trials of those.
AUTO_LIMIT = {"cpu": 4, "cuda": 256}


@dataclass(frozen=True)
class MemberPlan:
    """What one trial trains with: the trainer's hyperparameters, its seed, its structure,
    and (PBT) the member it continues from."""

    params: dict[str, Any]
    seed: int
    structure: Hashable
    proposal: Proposal | None = None


class StackTrainer:
    """The config's task for stacks: ``plan`` a trial, build a ``stack``, ``finish`` a result."""

    def __init__(self, cfg: Config, space: Space, splits: Splits, *, device: str | None = None,
                 epochs: int | None = None, checkpoints: Path | None = None, pbt: PBT | None = None) -> None:
        self.cfg, self.space, self.splits, self.epochs = cfg, space, splits, epochs
        self.device = pick_device(device)
        self.checkpoints = checkpoints
        self.pbt = pbt
        self.metric = cfg.task.trained_metric  # what each epoch scores (task.metric may list costs too)
        self.input_shape = model_input_shape(splits, evaluation_transform(cfg, cfg.fixed))
        self.n_outputs = count_outputs(splits)

    def plan(self, trial: Trial) -> MemberPlan:
        params = trial_hyperparameters(self.cfg, trial.suggest_space(self.space), self.epochs)
        proposal = member_proposal(trial) if self.pbt is not None else None
        return MemberPlan(params, trial.seed, self.structure(params), proposal)

    def structure(self, params: Mapping[str, Any]) -> Hashable:
        """What members of one stack share: the stacked trainer's structure key and, where the
        task augments, the augmentation's resolved steps (a stack draws every member's batches
        through one augmentation, so members of different augmentation train apart)."""
        key = structure_key(resolve_params(params, self.splits.task_type), self.input_shape, self.n_outputs)
        if not self.cfg.task.augment:
            return key
        from nntune.train.augment import parse_steps

        steps = parse_steps(self.cfg.task.augment, params)
        return (*key, ("augment", tuple((name, tuple(sorted((k, frozen(v)) for k, v in args.items())))
                                        for name, args in steps)))

    def capacity(self, params: Mapping[str, Any], population: int | str) -> int:
        """Members per stack: ``population``, or with ``"auto"`` its bound: what fits the
        device's memory, at most :data:`AUTO_LIMIT`, and under PBT at most its population
        (no more members than that train at once: PBT's population is a search setting,
        and a larger stack would only make each of their epochs longer)."""
        if population != "auto":
            return int(population)
        return self.auto_bound(params)[0]

    def auto_bound(self, params: Mapping[str, Any]) -> tuple[int, str]:
        """:meth:`capacity`'s bound for ``auto`` and what set it: ``"memory"``, ``"device"``
        (:data:`AUTO_LIMIT`) or ``"pbt"`` (PBT's population)."""
        hp = resolve_params(params, self.splits.task_type)
        data = sum(t.numel() * t.element_size() for t in (self.splits.x_train, self.splits.x_val))
        limits = {"device": AUTO_LIMIT.get(self.device.type, AUTO_LIMIT["cpu"]),
                  "memory": population_size(estimate_member_bytes(hp, self.splits), available_memory(self.device),
                                            data if self.device.type == "cuda" else 0)}
        if self.pbt is not None:
            limits["pbt"] = self.pbt.population
        by = min(limits, key=lambda name: limits[name])  # the first named wins a tie: the device's limit
        return max(1, limits[by]), by

    def auto_size(self, plan: MemberPlan, gain: float = GAIN, *, timed: bool | None = None) -> AutoSize:
        """``population: auto`` for ``plan``'s structure: on an accelerator, within
        :meth:`auto_bound`, the largest stack reached while each doubling, timed on the
        device, still cuts the time per member by at least ``gain``
        (:func:`~nntune.train.stack_size.probe_population`); on the CPU the bound itself
        (``timed`` forces either)."""
        bound, by = self.auto_bound(plan.params)
        if timed is None:
            timed = self.device.type != "cpu"  # see nntune.train.stack_size: too noisy to time there
        if bound == 1 or not timed:
            return AutoSize(bound, bound, bound_by=by)

        def probe_stack(k: int) -> Stack:
            stack = self.stack(plan, k)
            stack.add(plan.params, seed=plan.seed)  # its dropout and settings; every slot computes alike
            return stack
        return replace(probe_population(probe_stack, bound, gain=gain), bound_by=by)

    def stack(self, plan: MemberPlan, capacity: int) -> Stack:
        """A new stack of ``plan``'s structure (augmentation included: every member's is the same). The
        executor compacts it itself: only once no trial is left to refill its slots."""
        return Stack(plan.params, self.splits, metric=self.metric, capacity=capacity, device=self.device,
                     seed=plan.seed, augment=training_augment(self.cfg, self.splits, plan.params, plan.seed),
                     eval_transform=evaluation_transform(self.cfg, plan.params), auto_compact=False)

    def snapshot(self, stack: Stack, slot: int, number: int, epoch: int) -> None:
        """Under PBT, member ``slot``'s state at a ready epoch, for a replacement that no
        longer finds it in a stack (``fit(resume_from=...)`` reads it as well)."""
        if self.pbt is None or self.checkpoints is None or epoch % self.pbt.ready_epochs:
            return
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        stack.save_member(slot, checkpoint_file(self.checkpoints, number, epoch))

    def parent_state(self, proposal: Proposal) -> dict[str, Any] | None:
        """The parent's checkpoint at the proposal's step (weights, optimizer state, schedule
        progress, params), None when none was kept."""
        if self.checkpoints is None:
            return None
        path = checkpoint_file(self.checkpoints, proposal.parent, proposal.parent_step)
        if not path.is_file():
            return None
        return dict(torch.load(path, map_location="cpu", weights_only=True))

    def finish(self, trial: Trial, plan: MemberPlan, result: StackResult) -> float | tuple[float, ...]:
        """Store what the solo objective stores beside a finished member (its costs too, which
        task.constraints and cost objectives compare); returns its value, one per objective in
        a study of several."""
        value, chosen = kept_record(result, plan.params)  # a trial trained alone's rule
        trial.set_user_attrs({"epochs": result.epochs, "iterations": result.iterations,
                              "best_epoch": result.best_epoch, "model_summary": result.summary,
                              "val_loss": chosen["val_loss"]})
        costs = trial_costs(self.cfg, result.model, self.splits, evaluation_transform(self.cfg, plan.params))
        if costs:
            trial.set_user_attrs(costs)
        return objective_values(self.cfg, value, costs) if self.cfg.task.is_multi_objective else value

    def feasible(self, trial: Trial, value: float) -> bool:
        """Whether a finished member worth ``value`` met ``task.constraints`` (its costs stored
        by :meth:`finish`): as in a solo search, only such a member may be the best kept."""
        return meets_constraints(self.cfg, value, trial.user_attrs)

    def retrain_differs(self, plan: MemberPlan) -> bool:
        """Whether retraining ``plan`` alone (``export-model``, the test look of a front)
        would give another model than the member's: a stack draws dropout masks and
        augmented batches its own way, and a PBT replacement starts from its parent's weights."""
        from nntune.train.models import dropout_rate

        return plan.proposal is not None or dropout_rate(plan.params) > 0 or bool(self.cfg.task.augment)

    def keep_model(self, trial: Trial, result: StackResult) -> str | None:
        """Save a complete member's model where the sealed test look finds it."""
        if self.checkpoints is None:
            return None
        # Keyed by the study (a study of its name in another storage shares the folder), absolute
        # (export-model and the test look may run from another folder than tune).
        path = kept_file(self.checkpoints, trial)
        # Whole or not at all: a kill while writing must not leave half a model for the test look.
        save_checkpoint(path, {"model": {k: v.detach().cpu() for k, v in result.model.state_dict().items()}})
        trial.set_system_attr("checkpoint", str(path))
        return str(path)
