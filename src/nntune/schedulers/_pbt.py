"""Population-based training: the worst members copy a better member's weights and
hyperparameters, perturbed, and train on.

Every ``ready_epochs`` epochs a trial is compared with every trial that reported the same
epoch. One in the bottom ``quantile`` stops (:meth:`PBT.decide`), and its replacement is a
:class:`Proposal`: "start a trial with these parameters from trial ``parent``'s checkpoint
at step ``parent_step``". The proposal is plain data; copying checkpoints and resuming is
the executor's part. A resumed trial reports the steps after ``parent_step``, so epochs stay
comparable across the population and a member's curve is the chain of its ancestors'.

Steps are global epochs: the ready steps are the multiples of ``ready_epochs``, and a trial
is judged only after training ``ready_epochs`` epochs of its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from nntune.exceptions import ConfigError
from nntune.samplers._base import resolve_seed
from nntune.schedulers._options import check_count, check_number, is_number
from nntune.schedulers._base import Decision
from nntune.space import Beta, Choice, Distribution, Int, Space
from nntune.trial import Direction, FrozenTrial, TrialState

PARENT, PARENT_STEP = "pbt_parent", "pbt_parent_step"
Admission = Literal["ask", "queued", "wait", "done"]


@dataclass(frozen=True)
class Proposal:
    """Start a trial with ``params`` from trial ``parent``'s checkpoint at ``parent_step``."""

    params: dict[str, Any] = field(default_factory=dict)
    parent: int = 0
    parent_step: int = 0

    def to_attrs(self) -> dict[str, int]:
        """The user attributes that mark the new trial as this proposal's."""
        return {PARENT: self.parent, PARENT_STEP: self.parent_step}

    @classmethod
    def from_attrs(cls, params: Mapping[str, Any], attrs: Mapping[str, Any]) -> Proposal | None:
        """The proposal a stored trial was started from (``None`` for a fresh trial)."""
        if PARENT not in attrs:
            return None
        return cls(dict(params), int(attrs[PARENT]), int(attrs[PARENT_STEP]))


def _key(value: float, direction: Direction) -> float:
    """Sort key, best first; non-finite values last."""
    if not math.isfinite(value):
        return math.inf
    return -value if direction == "maximize" else value


def exploit(history_at_step: Mapping[int, float], trial: int, quantile: float,
            direction: Direction, top_limit: int | None = None) -> int | None:
    """The trial that ``trial`` should copy, or ``None`` when it should go on as it is.

    ``history_at_step`` maps trial numbers to their values at one step, ``trial``'s
    included. With ``k = ceil(n * quantile)`` of the ``n`` trials (at most ``n // 2``, so no
    trial is in both groups), a trial among the worst ``k`` copies one of the best ``k``,
    mirrored: the worst copies the best, the second worst the second best. Rounding up
    matters where few members train at once: the worse of the first two to report a step
    already copies the better, instead of a hopeless member training on until four peers
    have reported. A trial alone at its step goes on. With ``top_limit`` the copied trial is
    one of the best ``top_limit`` at most, however many reported the step: the trials that
    may ever be copied at a step stay few, and so do the checkpoints kept for them
    (:meth:`PBT.parents_needed`).
    """
    order = ranked_at(history_at_step, direction)
    k = min(math.ceil(len(order) * quantile), len(order) // 2)
    if k == 0 or trial not in order[len(order) - k:]:
        return None
    best = order[:k if top_limit is None else min(k, top_limit)]
    top = [n for n in best if math.isfinite(history_at_step[n]) and n != trial]
    from_worst = len(order) - 1 - order.index(trial)
    return top[from_worst % len(top)] if top else None


def ranked_at(history_at_step: Mapping[int, float], direction: Direction) -> list[int]:
    """The trial numbers of one step, best value first (non-finite last, ties by number)."""
    return sorted(history_at_step, key=lambda n: (_key(history_at_step[n], direction), n))


def perturb(dist: Distribution, value: Any, factor: float) -> Any:
    """``value`` moved by ``factor`` on the parameter's own terms, kept within bounds.

    Numbers are multiplied (an averaging coefficient's ``1 - beta`` is), integers move at
    least one step, and a choice moves to the next value up (factor > 1) or down.
    """
    if isinstance(dist, Choice):
        i = dist.index(value) + (factor > 1) - (factor < 1)
        return dist.values[min(len(dist.values) - 1, max(0, i))]
    if isinstance(dist, Beta):
        return min(dist.high, max(dist.low, 1 - (1 - float(value)) * factor))
    if isinstance(dist, Int):
        moved = int(round(value * factor))
        if moved == value and factor != 1:
            moved = value + (dist.step if factor > 1 else -dist.step)
        snapped = dist.low + round((moved - dist.low) / dist.step) * dist.step
        return int(min(dist.high - (dist.high - dist.low) % dist.step, max(dist.low, snapped)))
    moved = float(value) * factor
    if dist.step is not None:
        moved = dist.low + round((moved - dist.low) / dist.step) * dist.step
    return min(dist.high, max(dist.low, moved))


def _holds(dist: Distribution, value: Any) -> bool:
    """Whether ``perturb`` can start from ``value`` (numbers outside the range are clamped)."""
    return dist.contains(value) if isinstance(dist, Choice) else \
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def explore(params: Mapping[str, Any], space: Space, rng: np.random.Generator,
            factors: Sequence[float] = (0.8, 1.2), resample_probability: float = 0.25) -> dict[str, Any]:
    """New parameters near ``params``: each one of ``space`` is redrawn from its
    distribution with ``resample_probability``, else perturbed by a factor drawn from
    ``factors``. Parameters outside ``space`` are kept; conditional ones follow their parents,
    and a value the space cannot hold (a choice it lacks) is redrawn."""
    out: dict[str, Any] = {k: v for k, v in params.items() if k not in space}
    for name, dist in space.params.items():
        resample, u, f = rng.random(), rng.random(), factors[int(rng.integers(len(factors)))]
        if not space.is_active(name, out):
            continue
        if name not in params or resample < resample_probability or not _holds(dist, params[name]):
            out[name] = dist.from_unit(u)
        else:
            out[name] = perturb(dist, params[name], f)
    return out


def values_at(history: Sequence[FrozenTrial], step: int) -> dict[int, float]:
    """``{trial number: value at step}`` for the trials that reported ``step``."""
    return {t.number: t.intermediate_values[step] for t in history if step in t.intermediate_values}


class PBT:
    """``PBT(population=8, ready_epochs=4, quantile=0.25)``: every 4 epochs the worst quarter
    of the members stop, each replaced by a perturbed copy of one of the best quarter (of
    the best ``population`` at most, however many members reported that epoch, so that the
    checkpoints a study keeps for its replacements stay few: :meth:`parents_needed`).

    With ``refill=True`` the population is kept full for as long as the study may run
    trials (``search.trials``, ``search.timeout``): a worker with no replacement to start
    starts a new member while fewer than ``population`` train, instead of waiting or
    ending the study when the founding lineages have finished. A new member is compared at
    each ready step with every trial that reported that step, so a poor one soon continues
    from a good lineage's checkpoint with perturbed rates. ``space`` bounds the exploration
    (default: each parent's stored distributions).
    :func:`nntune.schedulers.run_pbt` drives a study this way; used as a plain scheduler,
    PBT only stops the worst members. Under the population executor a stack follows
    ``population``: ``search.population: auto`` is at most this many members (no more train
    at once), and a stack never trains a slot no member holds.
    """

    def __init__(self, population: int = 8, ready_epochs: int = 4, quantile: float = 0.25,
                 perturb: Sequence[float] = (0.8, 1.2), resample_probability: float = 0.25,
                 space: Space | None = None, seed: int | None = None,
                 max_resource: int | None = None, refill: bool = False) -> None:
        population = check_count("population", population, 1)
        ready_epochs = check_count("ready_epochs", ready_epochs, 1)
        check_number("quantile", quantile, 0.0, 0.5, low_open=True)
        check_number("resample_probability", resample_probability, 0.0, 1.0)
        if isinstance(perturb, (str, bytes)) or not isinstance(perturb, Sequence) or not perturb \
                or any(not is_number(f) or not math.isfinite(f) or f <= 0 for f in perturb):
            raise ConfigError("perturb", f"needs a list of positive factors, got {perturb!r}")
        if max_resource is not None:
            max_resource = check_count("max_resource", max_resource, 1)
        if space is not None and not isinstance(space, Space):
            # A config's mapping here would fail at the first exploit, mid-study.
            raise ConfigError("space", f"must be a nntune Space (a config's PBT explores the trainable "
                                       f"part of its own space), got {space!r}")
        if not isinstance(refill, bool):
            raise ConfigError("refill", f"must be true or false, got {refill!r}")
        self.population = population
        self.ready_epochs = ready_epochs
        self.quantile = quantile
        self.factors = tuple(float(f) for f in perturb)
        self.resample_probability = resample_probability
        self.space = space
        self.seed = resolve_seed(seed)
        if self.seed < 0:  # numpy's generators take none: the first proposal would fail on it
            raise ConfigError("seed", f"must be an integer >= 0, got {seed!r}")
        # The last epoch a member trains: stopping there saves nothing and a copy made
        # there would have nothing left to train.
        self.max_resource = max_resource
        self.refill = refill

    def admission(self, history: Sequence[FrozenTrial]) -> Admission:
        """May a worker start a trial now? ``"ask"`` while a replacement waits or founding
        members are missing; ``"wait"`` while members still train (one of them may yet be
        stopped and replaced); ``"done"`` once every lineage has finished. With the
        population complete, ``"queued"``: only an enqueued replacement may start (claimed
        with ``waiting_only``, so two workers never both take the last one and add a member).
        With ``refill``, ``"ask"`` whenever nothing is queued and fewer than ``population``
        members train: a new member joins (it never says ``"done"``; the study's trial
        count and timeout end it)."""
        if sum(PARENT not in t.user_attrs for t in history) < self.population:
            return "ask"
        if any(t.state == TrialState.WAITING for t in history):
            return "queued"
        training = sum(t.state == TrialState.RUNNING for t in history)
        if self.refill and training < self.population:
            return "ask"
        return "wait" if training else "done"

    def start_step(self, trial: FrozenTrial, history: Sequence[FrozenTrial]) -> int:
        """The step ``trial`` resumed from (0 for a fresh trial), read from its stored marks."""
        attrs = {k: v for t in history if t.number == trial.number for k, v in t.user_attrs.items()}
        return int({**attrs, **trial.user_attrs}.get(PARENT_STEP, 0))

    def is_ready(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial]) -> bool:
        """Whether ``step`` is a ready step at which ``trial`` is compared."""
        if self.max_resource is not None and step >= self.max_resource:
            return False
        return step % self.ready_epochs == 0 and step - self.start_step(trial, history) >= self.ready_epochs

    def _peers(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial]) -> dict[int, float]:
        peers = values_at([t for t in history if t.number != trial.number], step)
        peers[trial.number] = trial.intermediate_values.get(step, math.nan)
        return peers

    def decide(self, trial: FrozenTrial, step: int, history: Sequence[FrozenTrial],
               direction: Direction) -> Decision:
        if not self.is_ready(trial, step, history):
            return Decision.CONTINUE
        parent = exploit(self._peers(trial, step, history), trial.number, self.quantile, direction,
                         self.population)
        return Decision.CONTINUE if parent is None else Decision.STOP

    def propose(self, trial: FrozenTrial, history: Sequence[FrozenTrial],
                direction: Direction) -> Proposal | None:
        """The replacement for ``trial``, stopped at its last step: a perturbed copy of the
        member it should exploit (of the best member at that step if, with more reports
        since, it no longer ranks in the bottom), or ``None`` if it has no peer there."""
        step = trial.last_step
        if step is None or (self.max_resource is not None and step >= self.max_resource):
            return None
        peers = self._peers(trial, step, history)
        parent = exploit(peers, trial.number, self.quantile, direction, self.population)
        if parent is None:
            ranked = sorted((n for n in peers if n != trial.number and math.isfinite(peers[n])),
                            key=lambda n: (_key(peers[n], direction), n))
            if not ranked:
                return None
            parent = ranked[0]
        source = next(t for t in history if t.number == parent)
        space = self.space or Space(source.distributions)
        rng = np.random.default_rng([self.seed, trial.number, step])
        params = explore(source.params, space, rng, self.factors, self.resample_probability)
        return Proposal(params, parent, step)

    def parents_needed(self, history: Sequence[FrozenTrial], direction: Direction) -> set[tuple[int, int]]:
        """The ``(trial, step)`` states a replacement may still start from: the ones the
        replacements not yet finished were proposed from, and at each step where a member
        can be stopped, the best ``population`` members' (:func:`exploit` copies no other,
        and a member pushed out of them by later reports never returns). Every other
        member's snapshot can go: a study keeps about ``population`` lineages' worth."""
        needed = {(int(t.user_attrs[PARENT]), int(t.user_attrs[PARENT_STEP])) for t in history
                  if not t.state.is_finished() and PARENT in t.user_attrs and PARENT_STEP in t.user_attrs}
        steps = {s for t in history for s in t.intermediate_values if s % self.ready_epochs == 0
                 and (self.max_resource is None or s < self.max_resource)}
        for step in steps:
            at = {n: v for n, v in values_at(history, step).items() if math.isfinite(v)}
            needed.update((n, step) for n in ranked_at(at, direction)[:self.population])
        return needed

    def __repr__(self) -> str:
        return (f"PBT(population={self.population}, ready_epochs={self.ready_epochs}, "
                f"quantile={self.quantile}, perturb={self.factors}, "
                f"resample_probability={self.resample_probability}, seed={self.seed}"
                f"{', refill=True' if self.refill else ''})")


def run_pbt(study: Any, objective_factory: Callable[[Proposal | None], Callable[[Any], float]],
            n_trials: int, *, pbt: PBT | None = None,
            callbacks: Sequence[Callable[[Any, FrozenTrial], None]] = (),
            catch: tuple[type[BaseException], ...] = (Exception,), timeout: float | None = None,
            clock: Callable[[], float] = time.monotonic) -> int:
    """Drive ``study`` (whose scheduler is a :class:`PBT`) for at most ``n_trials`` trials.

    ``objective_factory(proposal)`` returns the objective for one trial: ``None`` for a
    fresh member, else a :class:`Proposal` whose parent checkpoint at ``parent_step`` the
    objective resumes from (the trial's parameters are already the proposal's). Each trial a
    PBT decision stops is replaced through ``study.enqueue_trial``, so several processes
    running this on one storage share the population. Returns the number of trials run;
    stops early once ``population`` members have started and no replacement is waiting
    (never with ``refill``), when a callback calls ``study.stop``, or once ``timeout``
    seconds have passed (checked before each trial, as ``Study.optimize`` does). A failing member is recorded and the run
    goes on unless ``catch`` excludes its exception.
    """
    pbt = pbt or study.scheduler
    if not isinstance(pbt, PBT):
        # Named as the caller passes it: run_pbt is Python's, no config's search.scheduler.
        raise ConfigError("pbt", f"run_pbt needs a PBT: pass pbt=PBT(...) or create the study with "
                                 f"scheduler=PBT(...); the study's scheduler is {pbt!r}")

    objective = pbt_objective(objective_factory)
    replace = pbt_replacer(pbt)

    done = 0
    start = clock()
    with study._searching():  # study.stop() is a search's, here as in optimize
        while done < n_trials:
            if timeout is not None and clock() - start >= timeout:
                study.stop(f"timeout of {timeout:g}s reached")
                break
            if pbt.admission(study.get_trials(deepcopy=False)) not in ("ask", "queued"):
                break  # nothing to start here (members running elsewhere replace themselves)
            study.optimize(objective, n_trials=1, callbacks=[replace, *callbacks], catch=catch)
            done += 1
            if getattr(study, "stop_requested", False):
                break
    return done


def pbt_objective(objective_factory: Callable[[Proposal | None], Callable[[Any], float]]) -> Callable[[Any], float]:
    """One objective for every member: a trial that was enqueued as a :class:`Proposal`
    resumes its parent's checkpoint, any other starts fresh. The proposal is read from the
    trial's stored marks, so any process (or machine) sharing the storage can run it."""
    def objective(trial: Any) -> float:
        return objective_factory(member_proposal(trial))(trial)
    return objective


def member_proposal(trial: Any) -> Proposal | None:
    """The :class:`Proposal` a started PBT member continues, read from its stored marks, or
    None for a fresh member, which is then marked a founder as `nntune tune` marks the ones
    it queues: every executor's fresh members (refills too) then read alike, and the report
    and the dashboard read the study as a population from its first member on."""
    study = trial.study
    stored = study.storage.get_trial(study.id, trial.number, with_metrics=False)
    proposal = Proposal.from_attrs(stored.system_attrs.get("fixed_params", {}), stored.user_attrs)
    if proposal is None and "pbt_founder" not in stored.user_attrs:
        trial.set_user_attr("pbt_founder", True)
    return proposal


def pbt_replacer(pbt: PBT, total: int | None = None) -> Callable[[Any, FrozenTrial], None]:
    """The callback that replaces a member PBT stopped: its proposal is enqueued, to be
    claimed by whichever worker asks next. With ``total`` (the study's trial budget) no
    replacement is queued once the study holds that many trials, queued ones included: it
    could never start."""
    def replace(study: Any, frozen: FrozenTrial) -> None:
        if frozen.state == TrialState.PRUNED:
            history = study.get_trials(deepcopy=False)
            if total is not None and len(history) >= total:
                return
            proposal = pbt.propose(frozen, history, study.directions[0])
            if proposal is not None:
                study.enqueue_trial(proposal.params, user_attrs=proposal.to_attrs())
    replace.replaces_pbt_members = True  # type: ignore[attr-defined]  # optimize then runs PBT whole
    return replace
