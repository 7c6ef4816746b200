"""``nntune babysit``: one configuration trained with no search, checkpointed every epoch,
in a live view (a new trial from a config and ``--set`` values, or ``--resume`` of a stored
one). The ``nntune trial`` commands that change it from another terminal are
:mod:`nntune.cli_panda`'s; :mod:`nntune.cli` registers this command."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from nntune.cli_panda import assignments, babysit_run, end_hint
from nntune.cli_signals import INTERRUPTED, TERMINATING
from nntune.config_overrides import _assign, _override
from nntune.exceptions import ConfigError


def babysit(
    config: Optional[Path] = typer.Argument(None, path_type=str, help="YAML config; without it the embedded default "
                                                                      "(an MLP on scikit-learn's digits)."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="A hyperparameter (lr=3e-4) or any config "
                                             "value (task.train_size=0.1); repeatable."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (created when it does not exist)."),
    storage: Optional[str] = typer.Option(None, "--storage", help="sqlite:///file.db, postgresql://..., "
                                          "journal:///ABS/PATH.log (journal://REL.log), or memory."),
    resume: bool = typer.Option(False, "--resume", help="Continue --trial N from its last checkpoint."),
    trial: Optional[int] = typer.Option(None, "--trial", help="The trial to continue (with --resume)."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with one JSON summary line."),
) -> None:
    """Train one configuration (no search), checkpointed every epoch, with a live view.

    It shows the curves, learning rate and diagnosis; nntune trial set changes it from another terminal."""
    from nntune.config import parse_config, read_raw

    if resume:
        if study is None or trial is None:
            raise ConfigError("--resume", "needs --study S and --trial N")
        if config is not None or set_:
            raise ConfigError("--resume", "continues with the study's own config; change values with nntune trial set")
        from nntune.panda import load_babysit_study, queue_resume

        st, cfg = load_babysit_study(storage or "sqlite:///nntune.db", study)
        number = queue_resume(st, cfg, trial)
        Console(stderr=json_out).print(f"trial {number} continues trial {trial}")
        _run(st, cfg, number, json_out)
        return
    if trial is not None:
        raise ConfigError("--trial", "only with --resume")
    raw = read_raw(config)
    _override(raw, None, "storage", storage)
    _override(raw, None, "study", study)
    pinned: dict[str, object] = {}  # space entries replaced by --set values
    for assignment in set_ or ():
        name = assignment.partition("=")[0].strip()
        if "." in name:
            _assign(raw, assignment)
            continue
        if isinstance(raw.get("space"), dict) and name in raw["space"]:
            from nntune.panda import pin

            pinned[name] = pin(raw["space"], name)  # no longer searched; its range still bounds changes
        fixed = raw.setdefault("fixed", {})
        if not isinstance(fixed, dict):
            raise ConfigError("fixed", "must be a mapping")
        fixed.update(assignments([assignment], "--set"))
    cfg = parse_config(raw, str(config) if config else "default")  # a mistake: one line, before the trainer's imports
    from nntune.panda import declared_ranges, open_babysit_study, pinned_ranges, queue_new

    if cfg.search.executions_per_trial > 1:  # the objective refuses it too, but only once the trial started
        raise ConfigError("search.executions_per_trial", "babysit trains one model, checkpointed every epoch; "
                                                         "give 1 execution per trial")
    if cfg.fixed.get("batch_size") == "auto":  # tune resolves it for a study; a babysat trial would fail
        raise ConfigError("fixed.batch_size", "auto is chosen by nntune tune for a study; give babysit a number")
    declared = declared_ranges(cfg, pinned_ranges(pinned))  # a pinned value outside its range stops here
    from nntune.builtin import load_task_splits
    from nntune.builtin_task import resolved_config

    # bad data fails before the study is touched; a positive class named is stored as its index
    cfg = resolved_config(cfg, load_task_splits(cfg))
    st = open_babysit_study(cfg)
    _run(st, cfg, queue_new(st, cfg, declared), json_out)


def _run(study: Any, cfg: Any, number: int, json_out: bool) -> None:
    """Train the queued trial; ended by Ctrl-C (or kill), exit 130 as every command does,
    with a last line saying what was kept. The trial's objective takes the Ctrl-C itself, to
    end the trial as stopped by the user, so only the signal tells it from ``trial stop``."""
    with signals_noted() as noted:
        babysit_run(study, cfg, number, json_out, noted)
    if noted:
        t = study.storage.get_trial(study.id, number, with_metrics=False)
        INTERRUPTED[0] = interrupted_line(number, study.study_name, t.state.value,
                                                      end_hint(cfg, study, t))
        raise typer.Exit(130)


def interrupted_line(number: int, study: str, state: str, hint: str | None) -> str:
    """The line babysit ends with on Ctrl-C: how its trial was left, and ``hint``, how to go on."""
    kept = f"nntune: interrupted; trial {number} of study {study} is kept as {state}"
    if hint:
        return f"{kept}; {hint}"
    if state in ("pruned", "failed"):  # stopped before its first epoch ended: no checkpoint to continue
        return f"{kept}, with no checkpoint to continue: the same command trains a new trial"
    return kept


@contextlib.contextmanager
def signals_noted() -> Iterator[list[int]]:
    """Each Ctrl-C (SIGINT, and SIGTERM or SIGHUP where the command takes them as one) that
    arrives while the block runs, appended to the list yielded; each is still handled as
    before, then the handlers before the block are back."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, *TERMINATING)}
    handlers = {sig: h for sig, h in handlers.items() if callable(h)}  # an ignored or default one stays so

    def note(signum: int, frame: Any) -> None:
        noted.append(signum)
        handlers[signum](signum, frame)

    for sig in handlers:
        signal.signal(sig, note)
    try:
        yield noted
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
