"""Optuna's command-line ask-and-tell: ``create-study``, ``ask``, ``tell``, ``best-trial``,
``best-trials`` and ``trials``, so that a shell script or a training program in any
language can drive a study: ``nntune ask`` prints a trial's parameters, the program trains
with them, ``nntune tell`` stores the value, and the sampler sees every told trial at the
next ask.

The options are Optuna's (``--study-name``, ``--storage-class``, ``--search-space``,
``--sampler``, ``--sampler-kwargs``, ``--values``, ``-f json|yaml|table|value``,
``--flatten``...), with nntune's ``--study`` beside ``--study-name``; the output has
Optuna's keys. Bad input is one ``ConfigError`` line, raised before anything is written.
Heavy imports stay inside the functions, so ``nntune --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Optional

import typer
from typer.core import TyperCommand

from nntune._json import dumps
from nntune.cli_ask_inputs import (check_grid, check_kinds, check_study_name, check_tell, make_sampler,
                                   parse_search_space, parse_state, parse_values)
from nntune.cli_ask_inputs import in_memory, storage_url
from nntune.cli_text import flatten, render  # noqa: F401 (Optuna's output shapes, importable from here)
from nntune.exceptions import ConfigError, TrialStateError

if TYPE_CHECKING:
    from nntune.samplers import Sampler
    from nntune.storage import Storage, StudyRecord
    from nntune.trial import FrozenTrial

DEFAULT_STORAGE = "sqlite:///nntune.db"
FORMATS = ("json", "yaml", "table", "value")

# ---------------------------------------------------------------- output in Optuna's shapes


def trial_rows(trials: Sequence[FrozenTrial], n_objectives: int,
               metric_names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per trial with the keys Optuna's ``trials`` prints: number, value (values for
    several objectives), datetime_start, datetime_complete, duration, params and user_attrs
    (when any trial has them), state."""
    from nntune._frame import objective_values

    with_params = any(t.params for t in trials)
    with_attrs = any(t.user_attrs for t in trials)
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number}
        values = objective_values(t, n_objectives)
        if n_objectives == 1:
            row["value"] = {metric_names[0]: values[0]} if metric_names else values[0]
        else:
            row["values"] = dict(zip(metric_names, values)) if metric_names else values
        row["datetime_start"] = _when(t.datetime_start)
        row["datetime_complete"] = _when(t.datetime_complete)
        row["duration"] = None if t.duration is None else str(timedelta(seconds=t.duration))
        if with_params:
            row["params"] = dict(sorted(t.params.items()))
        if with_attrs:
            row["user_attrs"] = dict(sorted(t.user_attrs.items()))
        row["state"] = t.state.name
        rows.append(row)
    return rows


def _when(moment: datetime | None) -> str | None:
    """A time as Optuna's CLI prints it (to the second), as stored (UTC)."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _output_format(fmt: str, json_out: bool) -> str:
    """``-f``, checked; nntune's usual ``--json`` is ``-f json``."""
    if json_out:
        return "json"
    if fmt not in FORMATS:
        raise ConfigError("--format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


# ---------------------------------------------------------------- Optuna's several-word options


class ManyValuesCommand(TyperCommand):
    """Optuna's ``--values 0.93 1200`` and ``--directions maximize minimize`` (argparse's
    nargs='+'): click gives an option one word, so the words after it are passed as the
    option repeated. A negative number is a value, not an option."""

    many = ("--values", "--directions")

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        out: list[str] = []
        current, given = None, False
        for i, token in enumerate(args):
            if token == "--":
                out.extend(args[i:])
                break
            if current is not None and not _is_option(token):
                out += [current, token]
                given = True
                continue
            if current is not None and not given:
                out.append(current)  # left without a value: click says so
            current, given = (token, False) if token in self.many else (None, False)
            if current is None:
                out.append(token)
        if current is not None and not given:
            out.append(current)
        return super().parse_args(ctx, out)  # type: ignore[no-any-return]


def _is_option(token: str) -> bool:
    """Whether a word starts the next option (``-0.5`` and ``-inf`` are values)."""
    if not token.startswith("-"):
        return False
    try:
        float(token)
        return False
    except ValueError:
        return True


# ---------------------------------------------------------------- the commands

_STORAGE_HELP = ("sqlite:///file.db, postgresql://... or journal:///ABS/PATH.log (journal://REL.log); without it, nntune's --storage "
                 "before the command, then $OPTUNA_STORAGE, then sqlite:///nntune.db.")
_FORMAT_HELP = "json | yaml | table | value."


def _storage_option() -> Any:
    """``--storage``, defaulting to the storage the other nntune commands read."""
    return typer.Option(DEFAULT_STORAGE, "--storage", help=_STORAGE_HELP)


def _storage_class_option() -> Any:
    """Optuna's ``--storage-class``: which storage ``--storage`` is for."""
    return typer.Option(None, "--storage-class", help="Optuna's storage class: RDBStorage (an SQL URL) or "
                        "JournalFileBackend (--storage is the journal file's path).")


def _study_option(help_: str) -> Any:
    """Optuna's required ``--study-name``, with nntune's ``--study`` as another name for it."""
    return typer.Option(..., "--study-name", "--study", help=help_)


def open_record(storage: str, study_name: str) -> tuple[Storage, StudyRecord]:
    """The storage and its study's record (never a new storage: an SQLite file that is not
    there is an error); a study that is not there is one line naming it."""
    from nntune.storage import StudyNotFoundError, existing_storage, redact_url

    store = existing_storage(storage)
    record = store.load_study(study_name)
    if record is None:
        raise StudyNotFoundError(f"no study named {study_name!r} in {redact_url(store.url)} "
                                 f"(nntune create-study makes one)")
    return store, record


def _open_study(storage: str, study_name: str, sampler: Sampler | None = None) -> Any:
    """The stored study, loaded as ``nntune.load_study`` loads it."""
    from nntune.study import load_study

    store, _ = open_record(storage, study_name)
    return load_study(study_name, store, sampler=sampler)


def create_study(
    study_name: Optional[str] = typer.Option(None, "--study-name", "--study",
                                             help="Name of the study (default: a generated one)."),
    storage: str = _storage_option(),
    storage_class: Optional[str] = _storage_class_option(),
    direction: Optional[str] = typer.Option(None, "--direction", help="minimize (default) | maximize."),
    directions: Optional[list[str]] = typer.Option(None, "--directions", metavar="DIRECTION...",
                                                   help="One direction per objective: --directions maximize minimize."),
    skip_if_exists: bool = typer.Option(False, "--skip-if-exists", help="Use the study if it exists already."),
    search_space: Optional[str] = typer.Option(None, "--search-space", help="Store a space (as ask takes it): "
                                               "ask without --search-space then draws from it."),
) -> None:
    """Create a study for ask and tell; prints its name."""
    from nntune.storage import DuplicatedStudyError, redact_url
    from nntune.study import create_study as create

    if study_name is not None and not study_name.strip():  # Optuna stores it; nntune refuses it (a report " .html")
        raise ConfigError("--study-name", "must not be empty; leave it out for a generated name")
    storage = storage_url(storage, storage_class)
    for given in ([direction] if direction is not None else []) + list(directions or ()):
        if given not in ("minimize", "maximize"):
            raise ConfigError("--directions" if directions else "--direction",
                              f"must be minimize or maximize, got {given!r}")
    if direction is not None and directions:
        raise ConfigError("--directions", "give --direction or --directions, not both")
    if in_memory(storage):
        raise ConfigError("--storage", "an in-memory study ends with the command; give sqlite:///FILE.db, "
                                       "postgresql://... or journal:///FILE.log")
    space = parse_search_space(search_space) if search_space is not None else None
    if study_name is not None:
        check_study_name(study_name, storage, "--study-name")
    try:
        study = create(study_name, storage, direction=direction, directions=directions or None,
                       load_if_exists=skip_if_exists, space=space)
    except DuplicatedStudyError:
        raise ConfigError("--study-name", f"a study named {study_name!r} exists in {redact_url(storage)}; "
                                          f"--skip-if-exists uses it") from None
    except ConfigError as err:  # the existing study's directions differ: name the option given
        given = "--directions" if directions else "--direction"
        raise ConfigError(given if err.field in ("direction", "directions") else err.field, err.problem) from None
    if space is not None and skip_if_exists:
        _check_stored_space(storage, study.study_name, space)
    print(study.study_name)


def _check_stored_space(storage: str, study_name: str, space: Any) -> None:
    """An existing study keeps the space it was created with: a ``--search-space`` that
    differs would be dropped without a word, and ask would draw from the old one."""
    import json

    _, record = open_record(storage, study_name)
    stored = record.attrs.get("space")
    if stored != json.loads(dumps(space.to_json())):
        had = "another space" if stored else "no space"
        raise ConfigError("--search-space", f"study {study_name!r} exists with {had}, which --skip-if-exists "
                                            f"keeps; give the space to ask --search-space, or create a new study")


def ask(
    study_name: str = _study_option("The study to draw a trial for."),
    storage: str = _storage_option(),
    storage_class: Optional[str] = _storage_class_option(),
    search_space: Optional[str] = typer.Option(None, "--search-space", help="The parameters, as JSON or YAML (or "
                                               "a file): Optuna's {\"x\": {\"name\": \"FloatDistribution\", "
                                               "\"attributes\": {\"low\": 0, \"high\": 1}}} or nntune's {\"x\": "
                                               "{\"type\": \"float\", \"low\": 0, \"high\": 1}}; default: the "
                                               "space stored with the study."),
    sampler: Optional[str] = typer.Option(None, "--sampler", help="TPESampler, RandomSampler, GPSampler, "
                                          "QMCSampler, CmaEsSampler, NSGAIISampler, NSGAIIISampler, GridSampler... "
                                          "or tpe, random, gp, ... (default: the study's)."),
    sampler_kwargs: Optional[str] = typer.Option(None, "--sampler-kwargs", help="The sampler's keyword "
                                                 "arguments as JSON: '{\"seed\": 0}'."),
    fmt: str = typer.Option("json", "-f", "--format", help=_FORMAT_HELP),
    flat: bool = typer.Option(False, "--flatten", help="params_x keys instead of a params object."),
    json_out: bool = typer.Option(False, "--json", help="The same as -f json."),
) -> None:
    """Start a trial and print its number and parameters, drawn from the study's told trials."""
    from nntune.trial import TrialState

    fmt = _output_format(fmt, json_out)
    storage = storage_url(storage, storage_class)
    if sampler_kwargs is not None and sampler is None:
        raise ConfigError("--sampler-kwargs", "given without --sampler; name the sampler they are for")
    # Seeded from the study, so every ask draws from one sequence (as the study's own sampler does).
    chosen = make_sampler(sampler, sampler_kwargs, seed=open_record(storage, study_name)[1].attrs.get("seed")) \
        if sampler is not None else None
    space = parse_search_space(search_space) if search_space is not None else None
    study = _open_study(storage, study_name, chosen)
    space = space if space is not None else study.space
    if space is None:
        from nntune.space import Space

        space = Space({})
    if search_space is not None:  # a kind the study's trials drew otherwise: said before a trial starts
        check_kinds(space, study.get_trials(deepcopy=False))
    if chosen is not None and len(space):  # a sampler that cannot draw this space says so before a trial starts
        check_grid(chosen, space)
        try:
            chosen.suggest(space, [], number=0)
        except ConfigError as err:
            raise ConfigError(f"--sampler.{err.field}" if err.field else "--sampler", err.problem) from None
        except (TypeError, ValueError) as err:  # a keyword argument its constructor let through
            raise ConfigError("--sampler-kwargs" if sampler_kwargs else "--sampler",
                              f"{type(chosen).__name__}: {' '.join(str(err).split())}") from None
    # Which command started the trial; unique, so a trial whose sampling failed is found again.
    # (Not "worker": tune would take the ended ask process for a lost worker and recover the trial.)
    token = {"command": "nntune ask", "pid": os.getpid(), "at": datetime.now().isoformat()}
    try:
        # As Optuna's ask: no heartbeat, so a tune beside it never takes the asked trial for a lost one.
        trial = study.try_ask(None, space=space if len(space) else None, system_attrs={"asked_by": token},
                              heartbeat=False)
        assert trial is not None
        params = trial.suggest_space(space)
        if params:  # stored now: the trial outlives this command
            study.storage.set_trial_params(study.id, trial.number, params,
                                           {n: trial.distributions[n] for n in params})
    except BaseException as err:  # the sampler failed, or Ctrl-C before the trial was printed:
        # the trial it started is failed, not left running with a number nobody was given
        for t in study.get_trials(deepcopy=False, states=[TrialState.RUNNING]):
            if t.system_attrs.get("asked_by") == token:
                study.tell(t.number, state=TrialState.FAILED, error=f"nntune ask: {err or type(err).__name__}")
        if isinstance(err, ConfigError):
            raise ConfigError(f"--sampler.{err.field}" if err.field else "--sampler", err.problem) from None
        if isinstance(err, ValueError):  # the sampler refused the space: its reason, in one line
            raise ConfigError("--sampler", " ".join(str(err).split())) from None
        raise
    print(render([{"number": trial.number, "params": params}], ["number", "params"], fmt, flat=flat, single=True))


def tell(
    study_name: str = _study_option("The study of the trial."),
    storage: str = _storage_option(),
    storage_class: Optional[str] = _storage_class_option(),
    trial_number: int = typer.Option(..., "--trial-number", help="The number ask printed."),
    values: Optional[list[str]] = typer.Option(None, "--values", metavar="VALUE...", help="The objective values: --values 0.93 "
                                               "(one per direction)."),
    state: Optional[str] = typer.Option(None, "--state", help="complete (default) | pruned | fail."),
    skip_if_finished: bool = typer.Option(False, "--skip-if-finished",
                                          help="A trial finished already is left as it is, without an error."),
) -> None:
    """Finish a trial that ask started, with its values (or as pruned or failed)."""
    numbers, ending = parse_values(values or []), parse_state(state)
    study = _open_study(storage_url(storage, storage_class), study_name)
    try:
        current = study.storage.get_trial(study.id, trial_number, with_metrics=False)
    except (KeyError, OverflowError):  # OverflowError: past SQLite's integers, so no such trial either
        n = len(study.get_trials(deepcopy=False))
        raise ConfigError("--trial-number", f"no trial {trial_number} in study {study_name!r} "
                                            f"({'no trials' if not n else f'trials 0 to {n - 1}'})") from None
    if current.state.is_finished():
        if skip_if_finished:
            print(f"trial {trial_number} is {current.state.value} already; left as it is", file=sys.stderr)
            return
        raise ConfigError("--trial-number", f"trial {trial_number} is {current.state.value} already "
                                            f"(--skip-if-finished leaves it without an error)")
    if current.state.value == "waiting":
        raise ConfigError("--trial-number", f"trial {trial_number} is waiting: nntune ask starts it first")
    check_tell(ending, numbers, len(study.directions))
    try:
        told = study.tell(trial_number, numbers or None, state=ending)
    except TrialStateError:  # another command finished it since it was read above
        now = study.storage.get_trial(study.id, trial_number, with_metrics=False)
        if skip_if_finished and now.state.is_finished():
            print(f"trial {trial_number} is {now.state.value} already; left as it is", file=sys.stderr)
            return
        raise ConfigError("--trial-number", f"trial {trial_number} was finished meanwhile by another command "
                                            f"({now.state.value}); left as it is") from None
    # The values as given: a diverged trial (a nan or inf among them) stores none of its own.
    shown = " with " + " ".join(f"{v:.6g}" for v in numbers) if numbers else ""
    print(f"trial {trial_number} told: {told.state.value}{shown}", file=sys.stderr)


def _show_trials(which: str, doc: str) -> Callable[..., None]:
    """``trials``, ``best-trial`` or ``best-trials``: one command body, Optuna's options."""

    def command(
        study_name: str = _study_option("The study to read."),
        storage: str = _storage_option(),
        storage_class: Optional[str] = _storage_class_option(),
        fmt: str = typer.Option("table", "-f", "--format", help=_FORMAT_HELP),
        flat: bool = typer.Option(False, "--flatten", help="params_x columns instead of a params object."),
        json_out: bool = typer.Option(False, "--json", help="The same as -f json."),
    ) -> None:
        fmt = _output_format(fmt, json_out)
        study = _open_study(storage_url(storage, storage_class), study_name)
        trials = study.get_trials(deepcopy=False)
        rows = trial_rows(trials, len(study.directions), study.metric_names)
        columns = list(rows[0]) if rows else ["number", "value", "datetime_start", "datetime_complete",
                                              "duration", "state"]
        if which == "best-trial" and study.is_multi_objective:
            raise ConfigError("--study-name", f"study {study_name!r} has {len(study.directions)} objectives "
                                              f"and no single best trial; best-trials prints its Pareto front")
        if which != "trials":
            # best-trial prints Optuna's study.best_trial alone; best-trials every trial tied with it
            best = {t.number for t in study.best_trials}
            if which == "best-trial" and not best:
                raise ConfigError("--study-name", f"study {study_name!r} has no complete trial yet")
            if which == "best-trial":
                best = {study.best_trial.number}
            rows = [r for r in rows if r["number"] in best]
        print(render(rows, columns, fmt, flat=flat, single=which == "best-trial"))

    command.__doc__ = doc
    return command


def register(app: typer.Typer) -> None:
    """Add the ask-and-tell commands to the ``nntune`` command."""
    app.command("create-study", cls=ManyValuesCommand)(create_study)
    app.command()(ask)
    app.command(cls=ManyValuesCommand)(tell)
    app.command("trials")(_show_trials("trials", "Print every trial of a study: number, value, times, "
                                                 "params, state (Optuna's columns)."))
    app.command("best-trial")(_show_trials("best-trial", "Print the study's best complete trial."))
    app.command("best-trials")(_show_trials("best-trials", "Print the trials no other complete trial beats on "
                                                           "every objective (for one, every trial tied at the "
                                                           "best value)."))
