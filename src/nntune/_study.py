"""The :class:`Study` handle: ask for a trial, run it, tell how it ended; ``optimize`` is the
thin loop over that. Built by :func:`nntune.study.create_study` or :func:`~nntune.study.load_study`.

The study holds no state of its own beyond handles: every trial, value and test evaluation
lives in storage, so resuming a study is loading it again and several processes can share
one by sharing the storage. What a study reads back from it (its trials, the best of them,
its attributes and metric names) is :class:`~nntune._study_reads.StudyReads`, running an
objective on its trials (``optimize``, ``stop``) is :class:`~nntune._study_runs.StudyRuns`, and
changing trials while they train is :class:`~nntune._study_control.StudyControl`;
:class:`Study` extends the three.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from nntune import logging as _logging
from nntune._create_trial import added_values_problem, as_frozen_trial
from nntune._studies import ParamKinds, StudyDirection, add_frozen_trials, held_params, same_params
from nntune._study_control import StudyControl
from nntune._study_reads import StudyReads
from nntune._study_runs import Callback, Objective, StudyRuns, _log  # noqa: F401  re-exported
from nntune._study_storage import OptunaStudyStorage
from nntune._trial import Trial
from nntune.distributions import fixed_distributions as fixed_distributions_of
from nntune._values import as_values, log_told, show_returned, tell_problem, told_badly, told_ending, told_number
from nntune._values import told_once as _told_once
from nntune.exceptions import ConfigError, TrialStateError, caused_by_ctrl_c
from nntune.samplers import ConstrainedView, ParetoView, RandomSampler, Sampler, resolve_seed
from nntune.samplers._optuna_methods import asked_like_optuna
from nntune.schedulers import Scheduler
from nntune.search_space import InferredSpace
from nntune.space import Distribution, Space
from nntune.storage import Storage, redact_url
from nntune.storage._base import CLAIM, LazyHistory, check_claim
from nntune.trial import Direction, FrozenTrial, TrialState


class Study(StudyRuns, StudyReads, StudyControl):
    """Handle on one stored study. Build it with :func:`create_study` or :func:`load_study`.
    What it reads back (trials, ``best_*``, attributes, metric names) is :class:`StudyReads`;
    running an objective on its trials (``optimize``, ``stop``) is :class:`StudyRuns`;
    changing trials while they train (the Panda's levers) is :class:`StudyControl`."""

    def __init__(self, study_name: str | None = None, storage: str | Storage | None = None,
                 sampler: Sampler | None = None, pruner: Scheduler | None = None, *,
                 name: str | None = None, study_id: int | None = None, direction: Direction | None = None,
                 scheduler: Scheduler | None = None, space: Space | None = None,
                 seed: int | None = None, clock: Callable[[], float] = time.monotonic,
                 directions: Sequence[str] | None = None) -> None:
        """Optuna's ``Study(study_name, storage, sampler=None, pruner=None)`` opens an existing
        study, as :func:`~nntune.study.load_study` does; create_study and load_study build
        it from what they read or made (``name``, ``study_id``, ...)."""
        if study_id is None:
            if storage is None:
                raise TypeError("Study() needs the study's storage: Study(study_name, storage), "
                                "or create_study() for a new study")
            from nntune.study import stored_study  # the module that builds studies imports this one

            opened = stored_study(study_name, storage, sampler=sampler, scheduler=scheduler, pruner=pruner)
            name, storage, study_id, direction, sampler, scheduler, space, seed, directions = (
                opened[k] for k in ("name", "storage", "study_id", "direction", "sampler", "scheduler", "space",
                                    "seed", "directions"))
        assert name is not None and storage is not None and not isinstance(storage, str) \
            and sampler is not None and scheduler is not None
        self.study_name = name
        # Another study's ``_storage`` (load_study(storage=study._storage)): the storage under it.
        self.storage = storage.storage if isinstance(storage, OptunaStudyStorage) else storage
        self.id = study_id
        self._directions = [StudyDirection(d) for d in (directions or [direction])]
        self._direction_names = [d.value for d in self._directions]  # plain strings, for samplers
        self.sampler = sampler
        self.scheduler = scheduler
        self.space = space
        self.seed = resolve_seed(getattr(sampler, "seed", None) if seed is None else seed)
        self._clock = clock
        self._stop = False
        self.stop_reason: str | None = None
        self._searches = 0  # searches running on this object (any thread), for stop()
        self._in_optimize = threading.local()  # .active: this thread runs optimize's trials
        self._inferred = InferredSpace()
        # Samplers keep caches; threads of one optimize take turns at them.
        self.sampling_lock = threading.RLock()
        # Trials that may run at once in this process (every optimize's n_jobs, summed): above
        # one, each suggestion is stored at once, so the others' samplers see it (constant liar).
        self._parallel_jobs = 0
        self._after_trial_of: int | None = None  # the trial whose sampler after_trial runs now
        self._kinds = ParamKinds()  # each parameter's first distribution in the study

    @property
    def pruner(self) -> Scheduler:
        """Optuna's name for the study's scheduler (what decides a trial stops early)."""
        return self.scheduler

    @pruner.setter
    def pruner(self, value: Scheduler) -> None:
        self.scheduler = value

    # Optuna's private names, which many scripts and libraries read (``study._storage.
    # get_all_trials(study._study_id)``): the study's storage, answering Optuna's signatures
    # (a sampler's ``set_trial_system_attr(trial._trial_id, key, value)``), and its id there.
    @property
    def _storage(self) -> OptunaStudyStorage:
        return OptunaStudyStorage(self.storage, self.id, lambda: getattr(self, "_after_trial_of", None))

    @property
    def _study_id(self) -> int:
        return self.id

    # Optuna's private methods that samplers written for Optuna call on the study.
    def _is_multi_objective(self) -> bool:
        return self.is_multi_objective

    def _get_trials(self, deepcopy: bool = True, states: Iterable[TrialState] | None = None,
                    use_cache: bool = False) -> list[FrozenTrial]:
        """:meth:`get_trials`; ``use_cache`` (Optuna's per-trial cache) changes nothing here."""
        return self.get_trials(deepcopy=deepcopy, states=states)

    # A study pickles with its storage (an in-memory one whole, Optuna's FAQ way to save it;
    # a journal by its path); the locks and the running search's marks are this process's.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for own in ("sampling_lock", "_in_optimize"):
            del state[own]
        state["_searches"], state["_stop"], state["_kinds"] = 0, False, ParamKinds()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.sampling_lock = threading.RLock()
        self._in_optimize = threading.local()

    def check_param_kind(self, name: str, dist: Distribution) -> None:
        """One kind per parameter across the study (:class:`~nntune._studies.ParamKinds`)."""
        with self.sampling_lock:
            self._kinds.check(name, dist, self._history)

    def sampler_view(self, history: Sequence[FrozenTrial]) -> tuple[Sequence[FrozenTrial], str]:
        """The history and direction a sampler is handed: with several objectives, each
        complete trial's place in the non-dominated sorting, to minimize (``ParetoView``);
        infeasible trials ranked below the feasible (``ConstrainedView``: the history as it
        is where no trial broke a constraint, and read only if the sampler looks)."""
        seen, direction = history, self._direction_names[0]
        if len(self._direction_names) > 1:
            seen, direction = ParetoView(history, self._direction_names), "minimize"
        return ConstrainedView(seen, direction), direction

    # ask and tell ---------------------------------------------------------------------
    def enqueue_trial(self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None,
                      skip_if_exists: bool = False) -> int | None:
        """Manual search: run these parameters next (before any sampled trial). With
        ``skip_if_exists``, not when a trial (in any state) was enqueued with, or ran with exactly,
        these parameters (the same names and values, as Optuna compares them)."""
        if not isinstance(params, Mapping):
            raise TypeError(f"params: must be a dict of parameter values by name, got {type(params).__name__} "
                            f"{params!r}")
        if user_attrs is not None and not isinstance(user_attrs, Mapping):
            raise TypeError(f"user_attrs: must be a dict of attribute values by name, got {type(user_attrs).__name__} "
                            f"{user_attrs!r}")
        if skip_if_exists and any(same_params(t.system_attrs.get("fixed_params", t.params), params)
                                  for t in self._history()):
            return None
        # The user_attrs are kept beside the parameters too: a trial re-queued after a crash
        # or Ctrl-C runs again as it was enqueued (a PBT replacement still continues its parent).
        system_attrs: dict[str, Any] = {"fixed_params": dict(params)}
        if user_attrs:
            system_attrs["fixed_user_attrs"] = dict(user_attrs)
        number = self.storage.create_trial(self.id, state=TrialState.WAITING, system_attrs=system_attrs)
        for key, value in (user_attrs or {}).items():
            self.storage.set_trial_user_attr(self.id, number, key, value)
        return number

    enqueue = enqueue_trial

    def add_trial(self, trial: FrozenTrial) -> None:
        """Store a trial made elsewhere (``nntune.trial.create_trial``): a finished one, e.g.
        to give a sampler results it did not ask for, a waiting one, or a running one to
        ``tell`` later (recovered, like any running trial, once silent past the grace period)."""
        self.add_trials([trial])

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Store several (each checked before any is stored): a complete trial needs one
        value per objective of this study, as Optuna's. An Optuna study's trials are taken
        too (``study.add_trials(optuna_study.trials)`` carries it over)."""
        trials = [as_frozen_trial(t) for t in trials]  # Optuna's own trials too, to carry a study over
        for t in trials:
            problem = added_values_problem(t, len(self._directions))
            if problem:
                raise ValueError(problem)
        add_frozen_trials(self.storage, self.id, trials)
        with self.sampling_lock:
            self._kinds.add(trials)

    def ask(self, fixed_distributions: Mapping[str, Distribution] | Space | None = None) -> Trial:
        """Start a trial: an enqueued one first, else a new one with sampled parameters.
        ``fixed_distributions`` (Optuna's) suggests those parameters at once; a
        :class:`~nntune.space.Space` is searched jointly by the sampler. Each suggestion is
        stored at once, as Optuna does: a trial told by its number, or read by another
        process while it runs, has its parameters. As in Optuna, the trial gets no heartbeat:
        however long it stays silent before its ``tell``, no stale-trial sweep fails it."""
        return self._ask(fixed_distributions, eager=True, heartbeat=False)

    def _ask(self, fixed_distributions: Mapping[str, Distribution] | Space | None = None, *,
             eager: bool = False, heartbeat: bool = True) -> Trial:
        """:meth:`ask`; ``optimize``'s trials (``eager`` False, unless threads share the study)
        keep their suggestions until a report or the end: fewer writes."""
        fixed_distributions = fixed_distributions_of(fixed_distributions)  # checked before a trial starts
        space = fixed_distributions if isinstance(fixed_distributions, Space) else None
        trial = self.try_ask(None, space=space, heartbeat=heartbeat)
        assert trial is not None
        trial.eager = trial.eager or eager
        if trial.eager:
            trial._flush()  # the parameters it holds from its start, stored as ask returns it
        if isinstance(fixed_distributions, Mapping):
            for name, dist in fixed_distributions.items():
                trial.suggest(name, dist)
        return trial

    def try_ask(self, max_trials: int | None, *, space: Space | None = None,
                system_attrs: Mapping[str, Any] | None = None, waiting_only: bool = False,
                number: int | None = None, heartbeat: bool = True) -> Trial | None:
        """``ask``, unless the study already holds ``max_trials`` trials running or finished
        (then None): processes sharing a study never start more than that between them.
        ``system_attrs`` (e.g. which worker runs it) are stored with the trial as it starts.
        ``waiting_only``: start an enqueued trial or none (then None as well); ``number``:
        start that enqueued trial or none. ``heartbeat``: stamp the trial as alive now, so
        that it is re-run (or failed) once silent past a grace period; the runner then keeps
        it beating (False: an ask-and-tell trial, never taken for a lost one)."""
        beat = {} if heartbeat else {"heartbeat": False}  # a storage of the user's may not take it
        claimed = self.storage.claim_trial(self.id, max_trials=max_trials, system_attrs=system_attrs,
                                           waiting_only=waiting_only, number=number, **beat)
        if claimed is None:
            return None
        try:
            return self._start(claimed, space)
        except Exception as err:
            # The sampler failed (a bad option met at this trial): the claimed trial ends
            # failed with the reason, as Optuna's does, not running for ever. (A Ctrl-C is
            # the caller's to handle: executors re-queue the trial, `nntune ask` fails it.)
            if not caused_by_ctrl_c(err):
                with contextlib.suppress(Exception):
                    self.tell(claimed.number, state=TrialState.FAILED, error=f"{type(err).__name__}: {err}")
            raise

    def _start(self, claimed: FrozenTrial, space: Space | None) -> Trial:
        """The claimed trial with the sampler's suggestion."""
        fixed = dict(claimed.system_attrs.get("fixed_params", {}))
        if "fixed_params" in claimed.system_attrs and not claimed.user_attrs:
            # An enqueued trial's user_attrs were stored with it; a claim returns none of them.
            claimed.user_attrs = self.storage.get_trial(self.id, claimed.number, with_metrics=False).user_attrs
        held = held_params(claimed.system_attrs)
        if held[0]:  # the sampler's hooks see them too, as Optuna's trial has them from its start
            claimed = replace(claimed, params={**claimed.params, **held[0]},
                              distributions={**claimed.distributions, **held[1]})
        if asked_like_optuna(self.sampler, "sample_relative"):  # a sampler written for Optuna
            return self._ask_optuna_sampler(claimed, fixed, held)
        space = space or self.space
        history = LazyHistory(self.storage, self.id)  # read only if the sampler looks
        before = getattr(self.sampler, "before_trial", None)  # a subclass's hook, as Optuna calls it
        with self.sampling_lock:
            if before is not None:
                before(self, claimed)
            if space is None:
                # Random draws are independent per parameter: define-by-run suggestions give the
                # same values, so there is no joint space to infer (and no history to read).
                space = Space({}) if type(self.sampler) is RandomSampler else self._inferred.update(history)
            seen, direction = self.sampler_view(history)
            relative = self.sampler.suggest(space, seen, number=claimed.number, direction=direction)
        trial = Trial(self, claimed.number, fixed_params=fixed, relative_params=relative, relative_space=space,
                      datetime_start=claimed.datetime_start, user_attrs=claimed.user_attrs,
                      params=held[0], distributions=held[1])
        trial.eager, trial.claim = self._stores_each_suggestion(), claimed.system_attrs.get(CLAIM)
        return trial

    def _stores_each_suggestion(self) -> bool:
        """Whether ``optimize``'s trials store each suggestion as it is made: when threads
        share the study, and on a storage with a heartbeat, whose silent trials are re-run
        with the parameters they drew (which a process that died before its first report
        would otherwise take with it)."""
        return self._parallel_jobs > 1 or getattr(self.storage, "heartbeat_interval", None) is not None

    def _ask_optuna_sampler(self, claimed: FrozenTrial, fixed: Mapping[str, Any],
                            held: tuple[dict[str, Any], dict[str, Distribution]]) -> Trial:
        sampler: Any = self.sampler
        with self.sampling_lock:
            sampler.before_trial(self, claimed)
            space = dict(sampler.infer_relative_search_space(self, claimed) or {})
            relative = dict(sampler.sample_relative(self, claimed, space) or {})
        trial = Trial(self, claimed.number, fixed_params=fixed, relative_params=relative,
                      relative_space=Space(space), datetime_start=claimed.datetime_start,
                      user_attrs=claimed.user_attrs, params=held[0], distributions=held[1])
        trial.eager, trial.claim = self._stores_each_suggestion(), claimed.system_attrs.get(CLAIM)
        return trial

    def tell(self, trial: Trial | int, values: float | Sequence[float] | None = None,
             state: TrialState | None = None, skip_if_finished: bool = False, *,
             value: float | None = None, error: str | None = None) -> FrozenTrial:
        """Finish a trial with its value (``values``: one per objective). A NaN value marks
        it diverged (an infinite one is a value, as in Optuna); pruned keeps its last value. ``skip_if_finished``: telling a
        finished trial again returns it unchanged instead of raising. Values that are no
        number, or the wrong count of them, fail the trial with a warning, as Optuna's."""
        return self._tell(trial, values, state, skip_if_finished, value=value, error=error, warn_at=3)

    def _tell(self, trial: Trial | int, values: float | Sequence[float] | None = None,
              state: TrialState | None = None, skip_if_finished: bool = False, *,
              value: float | None = None, error: str | None = None, warn_at: int | None = None) -> FrozenTrial:
        """:meth:`tell`; its warning of a failure for what was told points ``warn_at`` frames up
        (None: no warning and no INFO line for a failed trial, where ``optimize`` logs that
        failure as a warning instead, as Optuna's)."""
        if isinstance(trial, Trial) and trial.study is not self:
            # A trial asked from another study (a loop over several): by its number here it
            # would finish this study's trial of that number instead, and leave its own running.
            # Its own study tells it, with the sampler that asked it.
            return trial.study._tell(trial, values, state, skip_if_finished, value=value, error=error,
                                     warn_at=None if warn_at is None else warn_at + 1)
        live = trial if isinstance(trial, Trial) else None
        number = trial.number if isinstance(trial, Trial) else told_number(trial)
        if skip_if_finished or live is None:
            try:
                current = self.storage.get_trial(self.id, number, with_metrics=False)
            except KeyError:
                raise ValueError(f"cannot tell trial {number}: the study has no such trial") from None
            if skip_if_finished and current.state.is_finished():
                return current
        if state is not None:  # an end told explicitly is checked as Optuna does, before any write
            told = value if values is None else values
            try:
                count = len(as_values(told) or [])
            except (TypeError, ValueError):
                raise ValueError(f"cannot tell trial {number}: {show_returned(told)} is not a number") from None
            ending = TrialState(state)
            problem = tell_problem(ending, count, len(self._directions)) \
                if ending in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED) else None
            if problem is not None:
                raise ValueError(f"cannot tell trial {number}: {problem}")
        if live is not None:
            with _told_once(number):
                live._flush()
        state, vector, error = told_ending(state, value if values is None else values, len(self._directions), error)
        if warn_at is not None and state == TrialState.FAILED and told_badly(error):
            warnings.warn(f"trial {number} failed: {error}", UserWarning, stacklevel=warn_at)
        first = None if vector is None else vector[0]
        if state == TrialState.PRUNED and first is None and len(self._directions) == 1:
            current = self.storage.get_trial(self.id, number, with_metrics=False)
            if current.intermediate_values:
                first = current.intermediate_values[max(current.intermediate_values)]
        stored = None if first is None or math.isnan(float(first)) else float(first)  # inf is a value
        if state in (TrialState.DIVERGED, TrialState.PRUNED) and len(self._directions) > 1:
            # Its vector is not stored (only a complete trial's is): a first value alone (a
            # reported step's, for a pruned one) would read as values of one objective in a
            # study of several. Optuna's pruned trial of several objectives has none either.
            stored = None
        with _told_once(number):
            if state == TrialState.COMPLETE and vector is not None and len(vector) > 1:
                # The values are written before the trial finishes, so a finished trial must
                # be refused here, before its stored values are overwritten.
                now = self.storage.get_trial(self.id, number, with_metrics=False)
                check_claim(number, now.system_attrs, live.claim if live else None)  # a lost claim says so first
                if now.state.is_finished():
                    raise TrialStateError(f"trial {number} is {now.state.value}, not running")
                self.storage.set_trial_system_attr(self.id, number, "values", vector, **(live._held if live else {}))
            frozen = self.storage.finish_trial(self.id, number, state, stored, error, **(live._held if live else {}))
        if live is not None:
            live._ended = frozen.state
        constraints = getattr(self.sampler, "constraints_func", None)
        if constraints is not None and state in (TrialState.COMPLETE, TrialState.PRUNED):
            values = [float(c) for c in constraints(frozen)]
            if any(math.isnan(c) for c in values):
                # As Optuna: no feasibility can be read from NaN, and none is guessed.
                raise ConfigError("constraints_func", f"returned NaN for trial {number} ({values}): "
                                                      f"constraint values cannot be NaN")
            self.storage.set_trial_system_attr(self.id, number, "constraints", values)
            frozen.system_attrs["constraints"] = values
        # Keep where a multi-fidelity scheduler left the trial (rung, bracket) beside it, so
        # reports need not rebuild the scheduler to show it.
        describe = getattr(self.scheduler, "describe", None)
        info = describe(frozen) if describe is not None else None
        if info:
            self.storage.set_trial_system_attr(self.id, number, "scheduler", info)
            frozen.system_attrs["scheduler"] = info
        after = getattr(self.sampler, "after_trial", None)
        if after is not None:
            with self.sampling_lock:
                # Optuna's sampler still writes to the trial here (its constraints through
                # ``study._storage``), before Optuna counts it as finished.
                self._after_trial_of = number
                try:
                    after(self, frozen, frozen.state, frozen.values)
                finally:
                    self._after_trial_of = None
        if _log.isEnabledFor(_logging.INFO) and not (warn_at is None and frozen.state == TrialState.FAILED):
            log_told(_log, self, frozen)
        return frozen

    def __repr__(self) -> str:
        return (f"Study(name={self.study_name!r}, direction{'s' if self.is_multi_objective else ''}="
                f"{self._directions if self.is_multi_objective else self._directions[0]!r}, "
                f"storage={redact_url(self.storage.url)!r})")
