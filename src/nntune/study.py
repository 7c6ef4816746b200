"""A study: ask for a trial, run it, tell how it ended; ``optimize`` is the thin loop over that.

The study holds no state of its own beyond handles: every trial, value and test evaluation
lives in storage, so resuming a study is loading it again and several processes can share
one by sharing the storage.
"""

from __future__ import annotations

import copy
import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from nntune._trial import Trial
from nntune.exceptions import ConfigError, TrialDiverged, TrialPruned
from nntune.samplers import RandomSampler, Sampler
from nntune.schedulers import NoScheduler, Scheduler
from nntune.space import Distribution, Space
from nntune.storage import DuplicatedStudyError, ParamChange, Storage, StudyNotFoundError, get_storage, redact_url
from nntune.storage._base import LazyHistory
from nntune.trial import (
    Direction,
    FrozenTrial,
    TrialState,
    best_trial,
    counts_by_state,
)

Objective = Callable[[Trial], float]
Callback = Callable[["Study", FrozenTrial], None]


class Study:
    """Handle on one stored study. Build it with :func:`create_study` or :func:`load_study`."""

    def __init__(self, *, name: str, storage: Storage, study_id: int, direction: Direction,
                 sampler: Sampler, scheduler: Scheduler, space: Space | None = None,
                 seed: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.study_name = name
        self.storage = storage
        self.id = study_id
        self.direction: Direction = direction
        self.sampler = sampler
        self.scheduler = scheduler
        self.space = space
        self.seed = sampler.seed if seed is None else int(seed)
        self._clock = clock
        self._stop = False
        self.stop_reason: str | None = None
        self._inferred = InferredSpace()

    # reading --------------------------------------------------------------------------
    def _history(self) -> list[FrozenTrial]:
        return self.storage.get_trials(self.id)

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, in number order, with their per-step metric records."""
        return self.storage.get_trials(self.id, with_metrics=True)

    def get_trials(self, deepcopy: bool = True, states: Iterable[TrialState] | None = None,
                   with_metrics: bool = False) -> list[FrozenTrial]:
        """Trials in number order. With ``deepcopy=False`` they may be shared with the
        storage's other readers (cheaper; do not change them), as in Optuna."""
        trials = self.storage.get_trials(self.id, states, with_metrics=with_metrics)
        return [copy.deepcopy(t) for t in trials] if deepcopy and not with_metrics else trials

    @property
    def best_trial(self) -> FrozenTrial:
        best = best_trial(self._history(), self.direction)
        if best is None:
            raise ValueError(f"study {self.study_name!r} has no complete trial yet")
        return self.storage.get_trial(self.id, best.number)

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    @property
    def user_attrs(self) -> dict[str, Any]:
        rec = self.storage.load_study(self.study_name)
        return dict(rec.attrs.get("user_attrs", {})) if rec else {}

    def set_user_attr(self, key: str, value: Any) -> None:
        self.storage.set_study_attr(self.id, "user_attrs", {**self.user_attrs, key: value})

    def counts(self) -> dict[str, int]:
        return counts_by_state(self._history())

    def trials_dataframe(self) -> Any:
        """One row per trial (number, state, value, params_*, durations), as pandas."""
        import pandas as pd

        rows = []
        for t in self._history():
            row: dict[str, Any] = {"number": t.number, "state": t.state.value, "value": t.value,
                                   "datetime_start": t.datetime_start,
                                   "datetime_complete": t.datetime_complete,
                                   "duration": t.duration, "epochs": t.epochs}
            row.update({f"params_{k}": v for k, v in t.params.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    # ask and tell ---------------------------------------------------------------------
    def enqueue_trial(self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None) -> int:
        """Manual search: run these parameters next (before any sampled trial)."""
        number = self.storage.create_trial(self.id, state=TrialState.WAITING,
                                           system_attrs={"fixed_params": dict(params)})
        for key, value in (user_attrs or {}).items():
            self.storage.set_trial_user_attr(self.id, number, key, value)
        return number

    enqueue = enqueue_trial

    def ask(self, space: Space | None = None) -> Trial:
        """Start a trial: an enqueued one first, else a new one with sampled parameters."""
        trial = self.try_ask(None, space=space)
        assert trial is not None
        return trial

    def try_ask(self, max_trials: int | None, *, space: Space | None = None,
                system_attrs: Mapping[str, Any] | None = None, waiting_only: bool = False) -> Trial | None:
        """``ask``, unless the study already holds ``max_trials`` trials running or finished
        (then None): processes sharing a study never start more than that between them.
        ``system_attrs`` (e.g. which worker runs it) are stored with the trial as it starts.
        ``waiting_only``: start an enqueued trial or none (then None as well)."""
        claimed = self.storage.claim_trial(self.id, max_trials=max_trials, system_attrs=system_attrs,
                                           waiting_only=waiting_only)
        if claimed is None:
            return None
        fixed = dict(claimed.system_attrs.get("fixed_params", {}))
        space = space or self.space
        history = LazyHistory(self.storage, self.id)  # read only if the sampler looks
        if space is None:
            # Random draws are independent per parameter: define-by-run suggestions give the
            # same values, so there is no joint space to infer (and no history to read).
            space = Space({}) if type(self.sampler) is RandomSampler else self._inferred.update(history)
        relative = self.sampler.suggest(space, history, number=claimed.number, direction=self.direction)
        return Trial(self, claimed.number, fixed_params=fixed, relative_params=relative, relative_space=space)

    def tell(self, trial: Trial | int, value: float | None = None, state: TrialState | None = None,
             *, error: str | None = None) -> FrozenTrial:
        """Finish a trial. A non-finite value marks it diverged; pruned keeps its last value."""
        live = trial if isinstance(trial, Trial) else None
        number = trial.number if isinstance(trial, Trial) else int(trial)
        if live is not None:
            live._flush()
        state = TrialState.COMPLETE if state is None else TrialState(state)
        if state == TrialState.COMPLETE:
            if value is None:
                state, error = TrialState.FAILED, error or "objective returned no value"
            elif not math.isfinite(float(value)):
                state, error = TrialState.DIVERGED, error or f"objective returned {value}"
        if state == TrialState.PRUNED and value is None:
            current = self.storage.get_trial(self.id, number, with_metrics=False)
            if current.intermediate_values:
                value = current.intermediate_values[max(current.intermediate_values)]
        stored = None if value is None or not math.isfinite(float(value)) else float(value)
        frozen = self.storage.finish_trial(self.id, number, state, stored, error)
        # Keep where a multi-fidelity scheduler left the trial (rung, bracket) beside it, so
        # reports need not rebuild the scheduler to show it.
        describe = getattr(self.scheduler, "describe", None)
        info = describe(frozen) if describe is not None else None
        if info:
            self.storage.set_trial_system_attr(self.id, number, "scheduler", info)
            frozen.system_attrs["scheduler"] = info
        return frozen

    def _run_one(self, objective: Objective, catch: tuple[type[BaseException], ...]) -> FrozenTrial:
        return self.run_trial(self.ask(), objective, catch)

    def run_trial(self, trial: Trial, objective: Objective,
                  catch: tuple[type[BaseException], ...] = (Exception,)) -> FrozenTrial:
        """Run ``objective`` on an asked trial and tell how it ended: pruned, diverged, failed
        (with the error and its traceback; raised again unless its type is in ``catch``)."""
        try:
            value = objective(trial)
        except TrialPruned:
            return self.tell(trial, state=TrialState.PRUNED)
        except TrialDiverged as err:
            trial.set_system_attr("diverged_epoch", err.epoch)
            return self.tell(trial, state=TrialState.DIVERGED, error=str(err))
        except (Exception, KeyboardInterrupt) as err:
            message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
            trial.set_system_attr("traceback", traceback.format_exc()[-4000:])
            frozen = self.tell(trial, state=TrialState.FAILED, error=message)
            if isinstance(err, KeyboardInterrupt) or not isinstance(err, catch):
                raise
            return frozen
        return self.tell(trial, _as_float(value))

    def optimize(self, objective: Objective, n_trials: int | None = None, timeout: float | None = None,
                 catch: Iterable[type[BaseException]] | type[BaseException] = (),
                 callbacks: Sequence[Callback] | None = None, gc_after_trial: bool = False,
                 show_progress_bar: bool = False) -> None:
        """Run ``n_trials`` more trials (or until ``timeout`` seconds, or ``stop()``).

        As in Optuna, an exception from the objective marks the trial failed and is raised
        again unless its type is in ``catch``; a pruned or diverged trial never stops the study.
        """
        catch_types = (catch,) if isinstance(catch, type) else tuple(catch)
        start = self._clock()
        done = 0
        self._stop = False
        while not self._stop:
            if n_trials is not None and done >= n_trials:
                self.stop_reason = self.stop_reason or f"ran {n_trials} trials"
                break
            if timeout is not None and self._clock() - start >= timeout:
                self.stop_reason = f"timeout of {timeout:g}s reached"
                break
            exhausted = getattr(self.sampler, "is_exhausted", None)
            if exhausted is not None:
                history = self._history()
                if exhausted(self.space or infer_space(history), history):
                    self.stop_reason = "every grid point has been tried"
                    break
            frozen = self._run_one(objective, catch_types)
            done += 1
            for cb in callbacks or ():
                cb(self, frozen)
            if gc_after_trial:
                import gc

                gc.collect()

    # changing trials while they train ------------------------------------------------
    def set_trial_params(self, number: int, params: Mapping[str, Any]) -> list[ParamChange]:
        """Change hyperparameters of a waiting or running trial from its next epoch boundary
        (lr and its schedule, momentum, betas, eps, weight_decay, l1, dropout, grad_clip,
        epochs, early stopping); structural ones and values outside the trial's declared
        range raise ConfigError and write nothing. The trial's params stay those it started
        with; the changes are kept beside them (:meth:`param_changes`)."""
        from nntune.control import set_trial_params

        return set_trial_params(self.storage, self.id, self.study_name, number, params)

    def stop_trial(self, number: int) -> ParamChange:
        """End a waiting or running trial after its current epoch, as pruned by the user."""
        from nntune.control import stop_trial

        return stop_trial(self.storage, self.id, self.study_name, number)

    def fork_trial(self, number: int, epoch: int, params: Mapping[str, Any] | None = None) -> int:
        """Queue a new trial that starts from trial ``number``'s checkpoint at ``epoch`` with
        ``params`` changed; returns its number. The built-in objective (``nntune babysit``)
        resumes the checkpoint; a define-by-run objective reads the lineage from the trial's
        system attributes ``parent`` and ``parent_step``."""
        from nntune.control import fork_trial

        return fork_trial(self.storage, self.id, self.study_name, number, epoch, params)

    def param_changes(self, number: int | None = None) -> list[ParamChange]:
        """Every change of one trial (or of all), pending and applied, oldest first."""
        return self.storage.get_param_changes(self.id, number)

    @property
    def stop_requested(self) -> bool:
        """Whether ``stop()`` was called during the last ``optimize``."""
        return self._stop

    def stop(self, reason: str = "stopped by a callback") -> None:
        """Finish the trial in progress, then return from ``optimize``."""
        self._stop = True
        self.stop_reason = reason

    def __repr__(self) -> str:
        return (f"Study(name={self.study_name!r}, direction={self.direction!r}, "
                f"storage={redact_url(self.storage.url)!r})")


def infer_space(history: Sequence[FrozenTrial]) -> Space:
    """The parameters every complete trial shares with the same distribution (define-by-run)."""
    return InferredSpace().update(history)


class InferredSpace:
    """:func:`infer_space`, kept up to date as trials complete: a complete trial never
    changes its distributions, so each is folded in once rather than at every ask."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._common: dict[str, Distribution] | None = None
        self._space = Space({})
        self._settled = 0  # history[:_settled] holds finished trials only: no need to look again

    def update(self, history: Sequence[FrozenTrial]) -> Space:
        changed = False
        if self._settled > len(history):  # another (shorter) history than before
            self._settled = 0
        start = self._settled
        for i in range(start, len(history)):
            t = history[i]
            if i == self._settled and t.state.is_finished():
                self._settled += 1
            if t.state != TrialState.COMPLETE or t.number in self._seen:
                continue
            self._seen.add(t.number)
            if self._common is None:
                self._common = dict(t.distributions)
            else:
                self._common = {k: d for k, d in self._common.items() if t.distributions.get(k) == d}
            changed = True
        if changed:
            self._space = Space(dict(self._common or {}))
        return self._space


def _as_float(value: Any) -> float | None:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, Sequence) and not isinstance(value, str):
        raise TypeError("multi-objective values are not supported; return one number")
    return float(value)


def _check_direction(direction: str) -> Direction:
    d = str(getattr(direction, "name", direction)).lower()
    if d not in ("minimize", "maximize"):
        raise ConfigError("direction", f"must be minimize or maximize, got {direction!r}")
    return d  # type: ignore[return-value]


def create_study(study_name: str | None = None, storage: str | Storage | None = None, *,
                 direction: str = "minimize", sampler: Sampler | None = None,
                 scheduler: Scheduler | None = None, pruner: Scheduler | None = None,
                 load_if_exists: bool = False, space: Space | None = None, seed: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Study:
    """Create a study in ``storage`` (a URL, a Storage, or None for in-memory).

    ``pruner`` is accepted as Optuna's name for ``scheduler``. With ``load_if_exists`` an
    existing study of that name is resumed: its trials stay and new ones continue the count.
    """
    direction_ = _check_direction(direction)
    store = get_storage(storage)
    scheduler = scheduler or pruner or NoScheduler()
    # A scheduler that also chooses configurations (BOHB) brings its own sampler.
    sampler = sampler or getattr(scheduler, "sampler", None) or RandomSampler(seed)
    name = study_name or f"study-{sampler.seed}-{int(time.time() * 1000) % 10**8}"
    attrs: dict[str, Any] = {"seed": seed if seed is not None else sampler.seed}
    if space is not None:
        attrs["space"] = space.to_json()
    try:
        sid = store.create_study(name, direction_, attrs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        rec = store.load_study(name)
        assert rec is not None
        if rec.direction != direction_:
            raise ConfigError("direction", f"study {name!r} was created to {rec.direction}, "
                                           f"not {direction_}") from None
        sid = rec.id
        seed = rec.attrs.get("seed", seed)
    return Study(name=name, storage=store, study_id=sid, direction=direction_, sampler=sampler,
                 scheduler=scheduler, space=space, seed=seed, clock=clock)


def load_study(study_name: str, storage: str | Storage, *, sampler: Sampler | None = None,
               scheduler: Scheduler | None = None, pruner: Scheduler | None = None) -> Study:
    """Open an existing study (its direction, seed and declared space come from storage)."""
    store = get_storage(storage)
    rec = store.load_study(study_name)
    if rec is None:
        raise StudyNotFoundError(f"no study named {study_name!r} in {redact_url(store.url)}")
    space = Space.from_json(rec.attrs["space"]) if "space" in rec.attrs else None
    seed = rec.attrs.get("seed")
    scheduler = scheduler or pruner or NoScheduler()
    sampler = sampler or getattr(scheduler, "sampler", None) or RandomSampler(seed)
    return Study(name=rec.name, storage=store, study_id=rec.id, direction=rec.direction,  # type: ignore[arg-type]
                 sampler=sampler, scheduler=scheduler, space=space, seed=seed)
