"""``TorchDistributedTrial``: one trial shared by the processes of a torch.distributed job.

In data-parallel training (DDP) every process trains the same model on its share of the
data, so all must train with the same hyperparameters and stop at the same step: a
process that draws a learning rate of its own builds another model, and one that trains
on after the others were pruned waits in an all-reduce forever. As in Optuna's
integration, the study lives in one process: rank 0 wraps its real trial
(``TorchDistributedTrial(trial)``), every other rank wraps ``None``, and each call runs
on rank 0, whose answer reaches every rank through ``broadcast_object_list``.

Each call is a collective: every rank makes it, in the same order, as with DDP's own
calls; rank 0's arguments are the ones used (average a metric before reporting it). An
error raised on rank 0 (a bad range, a storage error) travels like an answer and is
raised on every rank, so the trial ends everywhere at once instead of leaving the other
ranks waiting. What is read without a call (``number``, ``params``, ``user_attrs``...) is
kept on every rank, refreshed by each answer: reading it on one rank only never blocks.

Beside Optuna's calls, nntune's own: ``suggest`` of a distribution, ``suggest_space``,
``suggest_beta``, ``report(value, step, metrics=...)`` (the epoch's full record),
``set_user_attrs``, ``set_system_attr``, and ``take_changes``, so that a change asked
while the trial trains is taken by every rank at the same epoch. Unlike Optuna's, which
sends each answer and then the trial's properties, both travel in one broadcast; and on
an NCCL group the objects go through that group on the current CUDA device (each rank's
own once ``torch.cuda.set_device(local_rank)`` is called, as DDP requires), not through a
second, Gloo group.
"""

from __future__ import annotations

import datetime
import pickle
import sys
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import torch
import torch.distributed as tdist

from nntune.space import Distribution, Space
from nntune.trial import SuggestFamily

_T = TypeVar("_T")


class TorchDistributedTrial(SuggestFamily):
    """``trial`` (an nntune trial on rank 0 of ``group``, ``None`` on every other rank)
    shared by the ranks of ``group`` (the default group when None). Made by every rank
    together, once per trial; every method is then called by every rank together."""

    def __init__(self, trial: SuggestFamily | None, group: tdist.ProcessGroup | None = None) -> None:
        if not tdist.is_available() or not tdist.is_initialized():
            raise RuntimeError("torch.distributed is not initialized: call torch.distributed.init_process_group "
                               "in every process before making a TorchDistributedTrial")
        self._group = group if group is not None else tdist.group.WORLD
        self._rank = tdist.get_rank(self._group)
        if self._rank < 0:
            raise ValueError("this process is not a member of the group given to TorchDistributedTrial")
        self._src = tdist.get_global_rank(self._group, 0)  # broadcast_object_list names its source globally
        self._device = _object_device(self._group)
        # A wrong argument on any rank is raised on all of them: a rank raising alone would
        # leave the others waiting in the first broadcast.
        problems: list[Any] = [None] * tdist.get_world_size(self._group)
        tdist.all_gather_object(problems, _argument_problem(self._rank, trial), group=self._group)
        if any(problems):
            raise ValueError("; ".join(p for p in problems if p))
        self._delegate = trial
        self._number: int = -1
        self._params: dict[str, Any] = {}
        self._dists: dict[str, Distribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._seed, self._datetime_start = self._call(lambda t: (getattr(t, "seed", None), _started(t)),
                                                      system=True)

    # what every rank reads without a call -------------------------------------------------
    @property
    def number(self) -> int:
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._dists)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The trial's system attributes as of its start or the last ``set_system_attr`` or
        ``set_constraint`` made through this object (a scheduler's own notes may be newer)."""
        return dict(self._system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._datetime_start

    @property
    def seed(self) -> int | None:
        """The trial's seed (None when rank 0's trial has none): the same on every rank, for
        what must agree across ranks, such as a ``DistributedSampler``'s shuffling."""
        return self._seed

    # suggestions: every suggest_* (SuggestFamily's) builds its distribution on each rank, so
    # a bad range is raised everywhere at once, and asks rank 0 through this one call.
    def suggest(self, name: str, dist: Distribution) -> Any:
        return self._call(lambda t: t.suggest(name, dist))

    def suggest_space(self, space: Space) -> dict[str, Any]:
        """Every parameter of ``space`` active given the others, in one call (one broadcast)."""
        return dict(self._call(lambda t: t.suggest_space(space)))

    # reports and pruning -----------------------------------------------------------------
    def report(self, value: float, step: int, metrics: Mapping[str, Any] | None = None) -> None:
        """Rank 0's ``value`` at ``step``, with its record ``metrics`` when given: the other
        ranks' values are not sent, so average a per-rank metric first (``all_reduce``)."""
        if metrics is None:  # a trial whose report takes no record still works
            self._call(lambda t: t.report(value, step))
        else:
            self._call(lambda t: t.report(value, step, metrics=metrics))

    def should_prune(self) -> bool:
        """The study's answer on rank 0, on every rank: all of them stop at the same step."""
        return bool(self._call(lambda t: bool(t.should_prune())))

    def pending_changes(self) -> dict[str, Any]:
        return dict(self._call(lambda t: t.pending_changes()))

    def take_changes(self, epoch: int, current: Mapping[str, Any]) -> dict[str, Any]:
        """The changes asked while the trial trains, taken once (on rank 0) and returned to
        every rank: all ranks train with the new values from the same epoch on."""
        return dict(self._call(lambda t: t.take_changes(epoch, current)))

    # attributes ------------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        self._call(lambda t: t.set_user_attr(key, value))

    def set_user_attrs(self, attrs: Mapping[str, Any]) -> None:
        self._call(lambda t: t.set_user_attrs(attrs))

    def set_system_attr(self, key: str, value: Any) -> None:
        self._call(lambda t: t.set_system_attr(key, value), system=True)

    def set_constraint(self, key: str, value: float) -> None:
        self._call(lambda t: t.set_constraint(key, value), system=True)

    def __repr__(self) -> str:
        return f"TorchDistributedTrial(rank={self._rank}, number={self._number}, params={self._params})"

    # the one collective ------------------------------------------------------------------
    def _call(self, run: Callable[[Any], _T], *, system: bool = False) -> _T:
        """``run(trial)`` on rank 0; its answer, or its error, on every rank, with the kept
        properties refreshed from rank 0's trial (its system attributes too when ``system``).
        Rank 0 pickles the message itself before the broadcast: ``broadcast_object_list``
        would raise on rank 0 alone for an answer that cannot be pickled."""
        box: list[Any] = [None]
        result: Any = None
        error: BaseException | None = None
        if self._rank == 0:
            try:
                result = run(self._delegate)
            except Exception as err:  # noqa: BLE001 - sent, then raised on every rank
                error = err
            box[0], error = _message(result, error, self._delegate, system)
        tdist.broadcast_object_list(box, src=self._src, group=self._group, device=self._device)
        try:
            answer, sent, state = pickle.loads(box[0])
        except Exception as err:  # noqa: BLE001 - rank 0 sent what this rank cannot import
            raise RuntimeError(f"rank {self._rank} cannot read rank 0's answer: {err}") from err
        if state is not None:
            self._keep(state)
        if error is not None:  # rank 0: its own error, traceback and all
            raise error
        if sent is not None:
            raise _raised(sent, self._rank)
        return result if self._rank == 0 else answer  # type: ignore[no-any-return]

    def _keep(self, state: Mapping[str, Any]) -> None:
        self._number = state["number"]
        self._params = state["params"]
        self._dists = state["distributions"]
        self._user_attrs = state["user_attrs"]
        if "system_attrs" in state:
            self._system_attrs = state["system_attrs"]


def _argument_problem(rank: int, trial: Any) -> str | None:
    if rank == 0 and not isinstance(trial, SuggestFamily):
        return (f"rank 0 holds the trial: pass it the objective's trial (got {type(trial).__name__}); "
                "the other ranks pass None")
    if rank != 0 and trial is not None:
        return f"rank {rank} was given a trial: only rank 0 holds it, the other ranks pass None"
    return None


def _object_device(group: tdist.ProcessGroup) -> torch.device | None:
    """Where the objects travel: NCCL moves CUDA tensors only, so the current device there;
    elsewhere None, torch's choice (the CPU for Gloo, or a group that has it)."""
    if tdist.get_backend(group) == tdist.Backend.NCCL:
        return torch.device("cuda", torch.cuda.current_device())
    return None


def _started(trial: Any) -> datetime.datetime | None:
    """When ``trial`` started: its own ``datetime_start``, else as its study's storage has it."""
    start = getattr(trial, "datetime_start", None)
    study = getattr(trial, "study", None)
    if start is None and study is not None:
        start = study.storage.get_trial(study.id, trial.number, with_metrics=False).datetime_start
    return start


def _state(trial: Any, system: bool) -> dict[str, Any]:
    state = {"number": int(trial.number), "params": trial.params, "distributions": trial.distributions,
             "user_attrs": trial.user_attrs}
    if system:
        state["system_attrs"] = dict(trial.system_attrs)
    return state


def _message(result: Any, error: BaseException | None, trial: Any,
             system: bool) -> tuple[bytes, BaseException | None]:
    """Rank 0's pickled ``(answer, error, state)``, and the error rank 0 raises: its own, or
    one saying why the answer cannot be sent (then every rank raises that)."""
    try:
        state: dict[str, Any] | None = _state(trial, system)
    except Exception as err:  # noqa: BLE001 - e.g. a storage read failing
        state, error = None, error or err
    if error is None:
        try:
            return pickle.dumps((result, None, state)), None
        except Exception as err:  # noqa: BLE001 - PicklingError, TypeError, AttributeError...
            error = TypeError(f"the answer {result!r} cannot be sent to the other ranks: {err}")
    for kept in (state, None):  # the state may be what cannot be pickled
        try:
            return pickle.dumps((None, _portable(error), kept)), error
        except Exception:  # noqa: BLE001
            continue
    raise AssertionError("unreachable: a portable error always pickles")  # pragma: no cover


class _SentError(NamedTuple):
    """An exception whose pickle does not come back (one whose ``__init__`` takes other
    arguments than its message, as ConfigError's), as its class, args and attributes."""

    kind: type[BaseException]
    args: tuple[Any, ...]
    attrs: dict[str, Any]


def _portable(err: BaseException) -> BaseException | _SentError:
    """``err`` in a form every rank can unpickle into an exception of the same class."""
    try:
        if type(pickle.loads(pickle.dumps(err))) is type(err):
            return err
    except Exception:  # noqa: BLE001
        pass
    try:
        sent = _SentError(type(err), tuple(err.args), dict(vars(err)))
        pickle.loads(pickle.dumps(sent))
        return sent
    except Exception:  # noqa: BLE001 - a class defined in a function, an attribute that won't pickle
        return RuntimeError(f"{type(err).__name__}: {err}")


def _raised(sent: BaseException | _SentError, rank: int) -> BaseException:
    """The exception a rank other than 0 raises for rank 0's error ``sent``."""
    err: BaseException
    if isinstance(sent, _SentError):
        try:
            err = sent.kind.__new__(sent.kind, *sent.args)
            err.args = sent.args
            err.__dict__.update(sent.attrs)
        except Exception:  # noqa: BLE001
            err = RuntimeError(f"{sent.kind.__name__}: {sent.args[0] if sent.args else ''}")
    else:
        err = sent
    if sys.version_info >= (3, 11):
        err.add_note(f"raised on rank 0 of the process group, sent to rank {rank} by TorchDistributedTrial")
    return err


__all__ = ["TorchDistributedTrial"]
