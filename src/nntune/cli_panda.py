"""``nntune trial set|stop|fork|changes`` and the live run of ``nntune babysit``.

Registered by cli.py; heavy imports stay inside the functions so ``nntune --help`` stays fast.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from nntune import _json
from nntune.changes import parse_value
from nntune.exceptions import ConfigError


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


trial_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Change, stop or fork a trial while it trains (a row in storage, "
                             "taken at the trial's next epoch boundary).")


def assignments(items: list[str], field: str) -> dict[str, Any]:
    """``NAME=VALUE`` pairs (lr=3e-4 early_stopping=true). A name given twice is refused, as
    the dashboard's controls refuse it: one of its values would be dropped without a word;
    so is a name with no value (``lr=``)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(field, f"expected NAME=VALUE, got {item!r}")
        if name.strip() in out:
            raise ConfigError(name.strip(), "given more than once")
        if not text.strip():
            # YAML reads nothing as null: "lr=" was refused as "got None", or as None outside the range.
            raise ConfigError(name.strip(), f"no value after '=' in {item!r}; give NAME=VALUE")
        out[name.strip()] = parse_value(name.strip(), text.strip())
    return out


def babysit_run(study: Any, cfg: Any, number: int, json_out: bool, interrupted: Sequence[int] = ()) -> None:
    """Train the study's queued trial here with the live view; Ctrl-C stops it cleanly.
    ``interrupted``: the signals the command noted meanwhile (filled while it trains)."""
    from rich.live import Live

    from nntune.control import params_at
    from nntune.panda import train_queued
    from nntune.panda_view import render, view_data

    out = Console(stderr=json_out)
    records: list[dict[str, Any]] = []
    store, sid = study.storage, study.id

    def show(final: bool) -> None:
        """The view now; ``final``: as the trial ended (its state, its changes never taken)."""
        changes = store.get_param_changes(sid, number)
        trial = store.get_trial(sid, number, with_metrics=False)
        live.update(render(view_data(study.study_name, number, records, metric=cfg.task.trained_metric,
                                     direction=cfg.task.trained_direction, changes=changes,
                                     epochs=params_at(trial, changes).get("epochs"), final=trial if final else None)))

    def on_epoch(trial: Any, epoch: int, record: dict[str, Any]) -> None:
        records.append({**record, "step": epoch})
        show(final=False)

    with Live(console=out, refresh_per_second=4, transient=False) as live:
        train_queued(study, cfg, number, on_epoch=on_epoch)
        # Once more as it ended: the changes it took (or never took) and how it ended (a
        # divergence after the last epoch shown), not the last epoch's view.
        show(final=True)
    if not out.is_terminal:
        out.line()  # rich ends a Live's last frame without a newline where there is no terminal (a log)
    t = store.get_trial(sid, number, with_metrics=False)
    how = f"{t.state.value}" + (" (stopped by the user)" if t.system_attrs.get("stopped_by") == "user" else "")
    values = objective_values(cfg.task, t)
    shown = ", ".join(f"{'' if name in cfg.task.costs else 'validation '}{name} {_fmt(v) if v is not None else '-'}"
                      for name, v in values.items())  # a cost (params) is the model's, not the split's
    # The epochs stored, not those shown: a Ctrl-C between an epoch's report and its view left
    # the count one short of the checkpoints the next line lists.
    n = len(t.intermediate_values)
    # Study names, hints and errors are the user's and the trainer's words: printed as they are, not as markup.
    # Each on one line, however long (soft_wrap): a log cut at 80 columns broke the commands
    # these lines give in two, and a command broken over lines cannot be pasted.
    out.print(f"trial {t.number} of study {study.study_name}: {how}, {shown} after {n} epoch{'' if n == 1 else 's'}",
              markup=False, soft_wrap=True)
    # The view never names the files; a log (or a terminal whose panel scrolled away) needs
    # them to fork, resume or copy the trial's weights.
    kept = kept_line(cfg, study, t)
    if kept:
        out.print(kept, markup=False, highlight=False, soft_wrap=True)
    hint = end_hint(cfg, study, t)
    if hint:
        out.print(hint, markup=False, soft_wrap=True)
    if t.error:
        out.print(f"error: {t.error}", markup=False, soft_wrap=True)
    # As tune's: an interrupted command's stdout ends with no summary a script could take for its result.
    if json_out and not interrupted:
        # As nntune trials --format json: "values" by metric where the study has several objectives.
        result = {"values": values} if len(values) > 1 else {"value": t.value}
        print(_json.dumps({"study": study.study_name, "trial": t.number, "state": t.state.value, **result,
                           "epochs": n}), flush=True)


def objective_values(task: Any, trial: Any) -> dict[str, Any]:
    """The trial's value of each objective by name, in the study's order; a trial ended
    without them (stopped: its last epoch's value) has the trained metric's alone."""
    values = trial.values or []
    if len(values) == len(task.objectives) > 1:
        return dict(zip(task.objectives, values))
    return {task.trained_metric: trial.value}


def kept_line(cfg: Any, study: Any, trial: Any) -> str | None:
    """Where the trial's epoch checkpoints went and which epochs are kept, or None when it
    kept none (ended before its first epoch)."""
    from nntune.panda import checkpoint_dir
    from nntune.panda_snapshots import snapshots

    folder = checkpoint_dir(cfg, study)
    kept = sorted(e for e in snapshots(folder, trial.number) if e in trial.intermediate_values)
    if not kept:
        return None
    runs: list[list[int]] = []  # 1, 2, 3, 5 -> "1-3, 5": a long run's line stays short
    for e in kept:
        if runs and e == runs[-1][-1] + 1:
            runs[-1].append(e)
        else:
            runs.append([e])
    spans = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
    epochs = f"epoch{'' if len(kept) == 1 else 's'} {spans}"
    return f"checkpoints kept: {epochs} in {folder} (trial-{trial.number}-epoch-N.pt)"


def end_hint(cfg: Any, study: Any, trial: Any) -> str | None:
    """How to train on a trial that ended before it was done (pruned or failed), or None."""
    last = resumable(cfg, study, trial) if trial.state.value in ("pruned", "failed") else None
    if last is None:
        return None
    where = f"--study {study.study_name} --trial {trial.number} --storage {_redact(study.storage.url)}"
    if not trained_all(trial, study.storage.get_param_changes(study.id, trial.number), last):
        return f"continue it with: nntune babysit --resume {where}"
    # Stopped after its last epoch: a continuation would have none left; a fork given more does.
    return (f"it trained all its epochs; train on with: nntune trial fork {where} --from-epoch {last} "
            f"--set epochs={last + 10}")


def resumable(cfg: Any, study: Any, trial: Any) -> int | None:
    """The newest kept checkpoint of ``trial`` that ``babysit --resume`` would continue
    from (None when stopped before its first epoch ended: it has none)."""
    from nntune.panda import checkpoint_dir
    from nntune.panda_snapshots import snapshots

    kept = [e for e in snapshots(checkpoint_dir(cfg, study), trial.number) if e in trial.intermediate_values]
    return max(kept, default=None)


def trained_all(trial: Any, changes: Any, epoch: int) -> bool:
    """Whether ``trial`` had no epoch left after ``epoch`` (stopped after its last one)."""
    from nntune.control import params_at

    epochs = params_at(trial, changes).get("epochs")
    return isinstance(epochs, int) and not isinstance(epochs, bool) and epoch >= epochs


def _open_trial_study(storage: str, study: str) -> Any:
    from nntune.studies import open_existing
    from nntune.study import load_study

    return load_study(study, open_existing(storage))


def _study_attrs(study: Any) -> dict[str, Any]:
    rec = study.storage.load_study(study.study_name)
    return rec.attrs if rec is not None else {}


@trial_app.command("set")
def trial_set(
    changes: list[str] = typer.Argument(..., help="NAME=VALUE ... (lr=3e-4 weight_decay=1e-4 epochs=40)."),
    study: str = typer.Option(..., "--study", help="Study name."),
    trial: int = typer.Option(..., "--trial", help="Trial number."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
) -> None:
    """Change hyperparameters of a running trial from its next epoch boundary."""
    from nntune.control import effect_note, gone_here

    values = assignments(changes, "changes")
    st = _open_trial_study(storage, study)
    added = st.set_trial_params(trial, values)
    when = effect_note(_study_attrs(st))
    now = st.storage.get_trial(st.id, trial, with_metrics=False)
    pid = gone_here(now) if now.state.value == "running" else None
    if pid is not None:
        # Killed (kill -9): it has no next epoch; its continuation takes the change over.
        when = (f"once continued: its process {pid} is gone; nntune babysit --resume --study {shlex.quote(study)} "
                f"--trial {trial} --storage {shlex.quote(_redact(storage))} continues it with the change")
    for c in added:
        print(f"trial {trial} of study {study}: {c.param} = {c.new!r} {when}")


@trial_app.command("stop")
def trial_stop(
    study: str = typer.Option(..., "--study", help="Study name."),
    trial: int = typer.Option(..., "--trial", help="Trial number."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
) -> None:
    """End a running trial after its current epoch (a waiting one now), as pruned by the user."""
    from nntune.control import stop_note

    st = _open_trial_study(storage, study)
    stop = st.stop_trial(trial)
    print(f"trial {trial} of study {study} {stop_note(stop, _study_attrs(st))}")


@trial_app.command("fork")
def trial_fork(
    study: str = typer.Option(..., "--study", help="Study name (started by nntune babysit)."),
    trial: int = typer.Option(..., "--trial", help="The trial to fork."),
    from_epoch: int = typer.Option(..., "--from-epoch", help="Start from this epoch's checkpoint."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="NAME=VALUE to change in the fork; repeatable."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with one JSON summary line."),
) -> None:
    """Start a new trial from a trial's checkpoint at an epoch, with changes, and train it here."""
    from nntune.panda import load_babysit_study, queue_fork, task_splits

    st, cfg = load_babysit_study(storage, study)
    task_splits(cfg)  # data that cannot be read here stops before the fork is queued
    try:
        number = queue_fork(st, cfg, trial, from_epoch, assignments(set_ or [], "--set"))
    except ConfigError as err:  # queue_fork names its Python argument: the command's option is --from-epoch
        raise ConfigError("--from-epoch", err.problem) if err.field == "from_epoch" else err from None
    Console(stderr=json_out).print(f"trial {number} forks trial {trial} at epoch {from_epoch}")
    babysit_run(st, cfg, number, json_out)


@trial_app.command("changes")
def trial_changes(
    study: str = typer.Option(..., "--study", help="Study name."),
    trial: Optional[int] = typer.Option(None, "--trial", help="One trial (default: all)."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    json_out: bool = typer.Option(False, "--json", help="One JSON list on stdout."),
) -> None:
    """The history of changes: epoch, parameter, old value, new value, who."""
    from nntune.control import change_rows, find_trial

    st = _open_trial_study(storage, study)
    if trial is not None:
        find_trial(st.storage, st.id, study, trial)  # an unknown trial is a mistake, not an empty history
    rows = change_rows(st.storage, st.id, trial)
    if json_out:
        print(_json.dumps(rows))
        return
    if not rows:  # a table of headers alone would leave the user wondering whether it worked
        whose = f"trial {trial} of study {study}" if trial is not None else f"study {study}"
        print(f"no changes in {whose} (nntune trial set changes a running trial)")
        return
    table = Table(title=f"changes in study {study}")
    for col in ("trial", "after epoch", "parameter", "old", "new", "who"):
        table.add_column(col)
    for r in rows:
        # Not yet taken (or a value the trainer had not set): no old value to show.
        old = _fmt(r["old"]) if r["status"] == "applied" and r["old"] is not None else "-"
        table.add_row(str(r["trial"]), when_taken(r), r["param"], old, _fmt(r["new"]), r["who"])
    if any(r["status"] in ("carried", "dropped") for r in rows):
        table.caption = "carried, dropped, not applied: asked of a trial that ended before training with it"
    Console(markup=False).print(table)  # names and values as stored, never read as markup


def when_taken(row: dict[str, Any]) -> str:
    """The table's "after epoch" cell: the epoch, or why there is none (see ``change_rows``)."""
    if row["status"] == "applied":
        return str(row["epoch"])
    if row["status"] == "carried":
        return f"carried to trial {row['carried_to']}"  # never trained with here; queue_resume moved it
    if row["status"] == "dropped" and row["epoch"] is not None:  # taken at the boundary where the run ended
        return f"not applied: the run ended after epoch {row['epoch']}"
    if row["status"] == "dropped":
        return "dropped (never taken)"
    return "pending"


def _redact(url: str) -> str:
    from nntune.storage import redact_url  # SQLAlchemy loads only when a command runs

    return redact_url(url)
