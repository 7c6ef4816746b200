"""The command's text: numbers, parameters, the leaderboard table, a test look, a dry run
(its --json line too), and nntune's own warnings as one line each."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from nntune.trial import FrozenTrial


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in params.items())


def schedule_text(t: FrozenTrial) -> str:
    """Where a scheduler left the trial: its bracket and rung, or its PBT parent."""
    info = t.system_attrs.get("scheduler") or {}
    parts = []
    if "bracket" in info:
        parts.append(f"bracket {info['bracket']}")
    if "rung" in info:
        parts.append(f"rung {info['rung']} (epoch {info.get('rung_step', '?')})")
    if "pbt_parent" in t.user_attrs:
        parts.append(f"from #{t.user_attrs['pbt_parent']} at epoch {t.user_attrs.get('pbt_parent_step', '?')}")
    return ", ".join(parts)


def leaderboard_table(trials: list[FrozenTrial], metric: str, title: str) -> Table:
    """The trials as given (the runner ranks them by :func:`nntune.trial.ranked`, the order
    of ``show`` and the report), a trial that breaks the study's constraints marked as
    ``show`` marks it: the best trial is the first complete one without the mark."""
    from rich.table import Table

    from nntune.samplers import is_feasible

    table = Table(title=title, title_justify="left")
    schedule = [schedule_text(t) for t in trials]
    columns = [("trial", "right"), ("state", "left"), (f"val {metric}", "right"), ("epochs", "right")]
    if any(schedule):
        columns.append(("schedule", "left"))
    for col, justify in (*columns, ("params", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for t, sched in zip(trials, schedule):
        state = t.state.value if is_feasible(t) else f"{t.state.value}, infeasible"
        row = [str(t.number), state, _fmt(t.value), str(t.epochs)]
        if any(schedule):
            row.append(sched)
        table.add_row(*row, _params_text(t.params))
    return table


def _objectives_text(cfg: Any) -> str:
    """``maximize validation accuracy``, or ``maximize validation accuracy, minimize params``."""
    return ", ".join(f"{d} {'validation ' if m == cfg.task.trained_metric else ''}{m}"
                     for m, d in zip(cfg.task.objectives, cfg.task.directions))


def print_test(out: Console, study: str, test: Any) -> None:
    """A look at the test split: its metrics, and how many looks the study has had."""
    shown = ", ".join(f"{k} {_fmt(v)}" for k, v in test.metrics.items() if isinstance(v, float))
    times = "once" if test.looks == 1 else f"{test.looks} times"
    if getattr(test, "recorded", False):
        out.print(f"test ({test.trial}, as recorded at the last look; the best trial is unchanged "
                  f"and the split stayed shut): {shown}", soft_wrap=True)
        out.print(f"the test split of study {study} has been evaluated {times} "
                  f"(nntune test --study {study} looks again)", soft_wrap=True)
        return
    out.print(f"test ({test.trial}): {shown}", soft_wrap=True)
    out.print(f"the test split of study {study} has now been evaluated {times}", soft_wrap=True)


def _print_dry_run(out: Console, p: Any) -> None:
    from nntune.builtin import evaluation_transform
    from nntune.train.basics import model_input_shape
    from nntune.train import build_model, format_summary, summarize

    splits = p.splits
    out.print(f"config OK: study {p.cfg.study}, {len(p.space)} searched parameters, "
              f"sampler {p.cfg.search.sampler}, {p.cfg.search.trials} trials")
    example = {**p.cfg.hyperparameters(), **p.space.from_unit([0.5] * len(p.space))}
    shape = model_input_shape(splits, evaluation_transform(p.cfg, example))
    resized = "" if shape == tuple(splits.input_shape) else f", resized to {shape} for the model"
    out.print(f"data: {len(splits.y_train)} train, {len(splits.y_val)} validation, "
              f"{len(splits.test)} test (sealed); input {tuple(splits.input_shape)}{resized}")
    out.print(f"model at the centre of the space ({_params_text(example)}):")
    n_out = splits.n_classes if splits.task_type == "classification" else 1
    model = build_model(example, shape, n_out)
    out.print(format_summary(summarize(model, shape)))
    if example.get("model") == "cnn":
        from nntune.train.cnn_plan import describe_cnn

        for line in describe_cnn(example, shape):
            out.print(line, markup=False, highlight=False)


def dry_run_json(p: Any, storage: str) -> dict[str, Any]:
    """``tune --dry-run --json``'s line: what was checked (the study, space, budget, data),
    the same facts as the text; nothing ran, so no trial and no result."""
    cfg, splits = p.cfg, p.splits
    return {"dry_run": True, "study": cfg.study, "storage": storage, "model": cfg.task.model,
            "objectives": cfg.task.objectives, "directions": cfg.task.directions,
            "sampler": cfg.search.sampler, "scheduler": cfg.search.scheduler, "trials": cfg.search.trials,
            "seed": cfg.search.seed, "space": p.space.to_json(), "fixed": cfg.fixed,
            "data": {"train": len(splits.y_train), "validation": len(splits.y_val), "test": len(splits.test),
                     "input_shape": list(splits.input_shape)}}


_PACKAGE_DIR = Path(__file__).resolve().parent


def is_own_warning(filename: str) -> bool:
    """Whether a warning was raised from nntune's own modules (not torch's, not the user's)."""
    try:
        return Path(filename).resolve().is_relative_to(_PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def own_warnings_as_lines() -> None:
    """On the command line nntune's warnings are one line, ``nntune: warning: <message>``, not
    Python's ``file:line: Category: message`` plus a line of nntune's source; others' warnings
    keep Python's form. Set in ``main`` only: a library user's warnings are theirs to format."""
    import warnings

    python_form = warnings.showwarning
    if getattr(python_form, "nntune_lines", False):  # already set (main called again in one process)
        return
    said: set[str] = set()  # a config read several times (prepare, workers) says a thing once

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if not is_own_warning(filename):
            python_form(message, category, filename, lineno, file, line)
            return
        text = " ".join(str(message).split())  # one line, whatever the message holds
        if text in said:
            return
        said.add(text)
        try:
            print(f"nntune: warning: {text}", file=file or sys.stderr)
        except OSError:  # a closed stderr: a warning is not worth a crash
            pass

    show.nntune_lines = True  # type: ignore[attr-defined]
    warnings.showwarning = show
