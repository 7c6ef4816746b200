"""The command's text: numbers, parameters, the leaderboard table, a test look, a dry run."""

from __future__ import annotations

import math
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
