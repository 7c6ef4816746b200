"""The command's text: numbers, parameters, the leaderboard table, a test look, a dry run
(its --json line too), rows as Optuna's CLI prints them (json, yaml, an ASCII table, value),
and nntune's own warnings as one line each."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from nntune._json import dumps
from nntune._words import counted

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


def console_for(*tables: Any, markup: bool = True) -> Console:
    """A console for printing ``tables`` (see :func:`widened_for`)."""
    from rich.console import Console

    return widened_for(Console(markup=markup), *tables)


def widened_for(console: Console, *tables: Any) -> Console:
    """``console`` at a terminal's width, but into a pipe or a file (no screen to fit) at
    least each table's natural width, so that no cell is wrapped or cut and
    ``grep optimizer=rmsprop`` finds it on its row. The lines printed after it are not
    wrapped there either (a table's cells still fold at their column): a note is one line."""
    if not console.is_terminal:
        wide = console.options.update_width(10_000)
        natural = max((console.measure(t, options=wide).maximum for t in tables if t is not None), default=0)
        console.width = max(console.width, natural)
        console.soft_wrap = True
    return console


def leaderboard_table(trials: list[FrozenTrial], metric: str, title: str,
                      objectives: Sequence[str] = ()) -> Table:
    """The trials as given (the runner ranks them by :func:`nntune.trial.ranked`, the order
    of ``show`` and the report), a trial that breaks the study's constraints marked as
    ``show`` marks it: the best trial is the first complete one without the mark. With
    several ``objectives`` a column for each of them, as ``show`` has."""
    from rich.table import Table

    from nntune.samplers import is_feasible

    # The title names the study and the cells hold choice values: the user's words, never markup.
    table = Table(title=escape(title), title_justify="left")
    schedule = [schedule_text(t) for t in trials]
    names = [f"val {m}" if m == metric else m for m in objectives] or [f"val {metric}"]
    columns = [("trial", "right"), ("state", "left"), *((n, "right") for n in names), ("epochs", "right")]
    if any(schedule):
        columns.append(("schedule", "left"))
    # "params" names an objective (the model's size) here: the front table's word for the column
    last = "hyperparameters" if "params" in objectives else "params"
    # A value too long for its column wraps onto the next line, never cut off with an ellipsis.
    for col, justify in columns:
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    table.add_column(last, overflow="fold", ratio=1)
    for t, sched in zip(trials, schedule):
        state = t.state.value if is_feasible(t) else f"{t.state.value}, infeasible"
        values = list(t.values or [t.value]) if objectives else [t.value]
        row = [str(t.number), state, *(_fmt(v) for v in values), str(t.epochs)]
        if any(schedule):
            row.append(sched)
        table.add_row(*row, escape(_params_text(t.params)))
    return table


def _objectives_text(cfg: Any) -> str:
    """``maximize validation accuracy``, or ``maximize validation accuracy, minimize params``."""
    return ", ".join(f"{d} {'validation ' if m == cfg.task.trained_metric else ''}{m}"
                     for m, d in zip(cfg.task.objectives, cfg.task.directions))


def positive_class_name(splits: Any, positive: int | None) -> str | None:
    """The class binary precision, recall, f1 and specificity are of (class 1 of two, or
    task.positive_class; see nntune.train.metrics), None where they are macro averages."""
    if splits.task_type != "classification" or (positive is None and splits.n_classes > 2):
        return None
    classes = splits.info.get("classes") or []
    index = 1 if positive is None else int(positive)
    return str(classes[index]) if index < len(classes) else str(index)


def print_test(out: Console, study: str, test: Any, positive: str | None = None) -> None:
    """A look at the test split: its metrics, and how many looks the study has had;
    ``positive`` names the class the binary metrics are of (a recall of 1 for the common
    class of two says nothing about the rare one)."""
    shown = ", ".join(f"{k} {_fmt(v)}" for k, v in test.metrics.items() if isinstance(v, float))
    if positive is not None and any(k in test.metrics for k in ("precision", "recall", "f1", "specificity")):
        shown += f" (precision, recall, f1 and specificity of class {positive} against the rest)"
    if all(k in test.metrics for k in ("tp", "fp", "fn", "tn")):
        m = test.metrics
        shown += (f"; TP {m['tp']}, FP {m['fp']} (Type I errors), FN {m['fn']} (Type II errors), "
                  f"TN {m['tn']}")
    times = "once" if test.looks == 1 else f"{test.looks} times"
    study = escape(study)  # a study named ``exp[bs=64]`` is shown as named, not as a style
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
    executions = p.cfg.search.executions_per_trial
    each = f" of {executions} executions each (seeds apart, trained as one stack)" if executions > 1 else ""
    out.print(f"config OK: study {escape(p.cfg.study)}, {counted(len(p.space), 'searched parameter')}, "
              f"sampler {p.cfg.search.sampler}, {counted(p.cfg.search.trials, 'trial')}{each}")
    example = {**p.cfg.hyperparameters(), **p.space.from_unit([0.5] * len(p.space))}
    shape = model_input_shape(splits, evaluation_transform(p.cfg, example))
    resized = "" if shape == tuple(splits.input_shape) else f", resized to {shape} for the model"
    out.print(f"data: {len(splits.y_train)} train, {len(splits.y_val)} validation, "
              f"{len(splits.test)} test (sealed); input {tuple(splits.input_shape)}{resized}")
    left_out = rows_left_out(splits.info)
    if left_out:
        out.print(f"rows left out of every split: {left_out}")
    positive = p.cfg.task.positive_index
    if positive is not None:  # a class's name given: the index it was read as, and the name
        name = positive_class_name(splits, positive)
        named = f" ({name})" if name is not None and name != str(positive) else ""
        out.print(f"precision, recall, f1 and specificity of class {positive}{named} against the rest",
                  markup=False)
    out.print(f"model at the centre of the space ({_params_text(example)}):", markup=False)
    n_out = splits.n_classes if splits.task_type == "classification" else 1
    model = build_model(example, shape, n_out)
    out.print(format_summary(summarize(model, shape)), markup=False)
    if example.get("model") == "cnn":
        from nntune.train.cnn_plan import describe_cnn

        for line in describe_cnn(example, shape):
            out.print(line, markup=False, highlight=False)
    elif example.get("model", "mlp") == "mlp":
        from nntune.train.mlp_plan import width_advice

        for line in width_advice(example, shape):
            out.print(f"advice: {line}", markup=False, highlight=False)


def rows_left_out(info: Mapping[str, Any]) -> str:
    """The data file's rows no split holds, in words ('' when none): rows without a target
    value, and rows with a missing value under ``missing: drop``."""
    left = info.get("rows_left_out") or {}
    parts = [f"{left['no_target']} without a target value" if left.get("no_target") else "",
             f"{left['missing_values']} with a missing value (missing: drop)" if left.get("missing_values") else ""]
    return ", ".join(p for p in parts if p)


def dry_run_json(p: Any, storage: str) -> dict[str, Any]:
    """``tune --dry-run --json``'s line: what was checked (the study, space, budget, data),
    the same facts as the text; nothing ran, so no trial and no result."""
    cfg, splits = p.cfg, p.splits
    return {"dry_run": True, "study": cfg.study, "storage": storage, "model": cfg.model_name,
            "objectives": cfg.task.objectives, "directions": cfg.task.directions,
            "sampler": cfg.search.sampler, "scheduler": cfg.search.scheduler, "trials": cfg.search.trials,
            "executions_per_trial": cfg.search.executions_per_trial, "seed": cfg.search.seed, "space": p.space.to_json(), "fixed": cfg.fixed,
            "data": {"train": len(splits.y_train), "validation": len(splits.y_val), "test": len(splits.test),
                     "input_shape": list(splits.input_shape),
                     "rows_left_out": dict(splits.info.get("rows_left_out") or {"no_target": 0, "missing_values": 0})}}


def flatten(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """``--flatten``: nested columns become ``params_lr``, ``values_0``, ``user_attrs_note``."""
    header: list[str] = []
    flat: list[dict[str, Any]] = [{} for _ in rows]
    for col in columns:
        nested = any(isinstance(r.get(col), (dict, list)) for r in rows)
        if not nested:
            header.append(col)
            for row, out in zip(rows, flat):
                if col in row:
                    out[col] = row[col]
            continue
        keys: dict[Any, None] = {}
        for row, out in zip(rows, flat):
            value = row.get(col)
            for key, item in (value.items() if isinstance(value, dict) else enumerate(value or [])):
                out[f"{col}_{key}"] = item
                keys[key] = None
        # Several trials' parameters line up by name; one trial's (ask) keep the order drawn.
        by_name = col in ("params", "user_attrs") and len(rows) > 1
        header.extend(f"{col}_{k}" for k in (sorted(keys, key=str) if by_name else keys))
    return [{h: out[h] for h in header if h in out} for out in flat], header


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str, *, flat: bool = False,
           single: bool = False) -> str:
    """Rows as Optuna's CLI prints them: a JSON list (an object when ``single``), YAML, an
    ASCII table, or ``value`` (one line per row, cells separated by spaces)."""
    shown, header = flatten(rows, columns) if flat else ([dict(r) for r in rows], list(columns))
    if fmt == "json":  # strict JSON: a non-finite number (a user attribute of inf) as null
        return dumps(shown[0] if single else shown)
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(shown[0] if single else shown)).strip()
    if fmt == "value":
        return "\n".join(" ".join("" if r.get(h) is None else str(r[h]) for h in header) for r in shown).strip()
    return _table(shown, header)


def _table(rows: Sequence[Mapping[str, Any]], header: Sequence[str]) -> str:
    """Optuna's ASCII table: numeric columns to the right, others to the left, empty cells blank."""
    cells = [["" if r.get(h) is None else str(r[h]) for h in header] for r in rows]
    numeric = [all(r.get(h) is None or isinstance(r[h], (int, float)) for r in rows) for h in header]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]

    def line(texts: Sequence[str]) -> str:
        return "| " + " | ".join(t.rjust(w) if num else t.ljust(w)
                                 for t, w, num in zip(texts, widths, numeric)) + " |"

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    return "\n".join([rule, line(header), rule, *(line(c) for c in cells), rule])


_PACKAGE_DIR = Path(__file__).resolve().parent


def is_own_warning(filename: str) -> bool:
    """Whether a warning was raised from nntune's own modules (not torch's, not the user's).
    One whose stack level, meant to point at a library user's line, reaches the command's
    own caller (typer or click, which call nntune's commands) is nntune's too."""
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    return any(path.is_relative_to(folder) for folder in (_PACKAGE_DIR, *_command_callers()))


def _command_callers() -> list[Path]:
    """The folders of the packages that call nntune's commands (only those loaded)."""
    folders = []
    for name in ("typer", "click"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            folders.append(Path(module.__file__).resolve().parent)  # type: ignore[arg-type]
    return folders


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


def unencodable_as_escapes() -> None:
    """Standard output and error write a character their encoding lacks as an escape
    (``h\\xe9``) instead of failing: a study named ``hé`` or ``研究`` under a latin-1 or ASCII
    locale, or redirected on Windows, is printed, not a UnicodeEncodeError after the study
    was created. Set in ``main`` only, as :func:`own_warnings_as_lines`."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (OSError, ValueError):  # a stream that cannot change (closed, or already written to oddly)
                pass
