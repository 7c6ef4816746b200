"""The live terminal view of a babysat trial: curves, learning rate, epoch, changes and the
diagnosis as it forms. :func:`view_data` is plain data from the records; :func:`render`
turns it into rich renderables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nntune.changes import STOP
from nntune.control import unused
from nntune.diagnose import diagnose
from nntune.diagnose_descent import MIN_EPOCHS_FOR_TREND
from nntune.storage import ParamChange
from nntune.trial import FrozenTrial, TrialState

BARS = "▁▂▃▄▅▆▇█"
WIDTH = 60


def sparkline(values: Sequence[float], width: int = WIDTH) -> str:
    """The last ``width`` values as one line of block characters (low to high); a
    non-finite value is a space."""
    shown = list(values)[-width:]
    finite = [v for v in shown if math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = high - low or 1.0
    return "".join(BARS[min(len(BARS) - 1, int((v - low) / span * len(BARS)))] if math.isfinite(v) else " "
                   for v in shown)


@dataclass
class ViewData:
    study: str
    trial: int
    epoch: int
    epochs: int | None
    metric: str
    curves: dict[str, list[float]]
    last: dict[str, float]
    lr: float | None
    changes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    state: str | None = None  # how it ended; None while it trains


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def change_lines(changes: Sequence[ParamChange], final: FrozenTrial | None = None) -> list[str]:
    """The changes as the view lists them: taken ones after their epoch, then the rest,
    which wait for the next epoch boundary while the trial trains. Once it ended
    (``final``), one it never took, or took as its run ended, is said never trained with."""
    ended = final is not None and final.state.is_finished()
    lines = []
    for c in changes:
        if c.pending:
            continue
        if c.param == STOP:  # a stop is no setting: it ended the run there
            lines.append(f"after epoch {c.epoch}: stopped ({c.who})")
        elif final is not None and unused(c, final, changes):
            lines.append(f"not applied: {c.param} = {c.new!r} ({c.who}); the run ended after epoch {c.epoch}")
        else:
            lines.append(f"after epoch {c.epoch}: {c.param} {c.old!r} -> {c.new!r} ({c.who})")
    waiting = [c for c in changes if c.pending]
    if ended:
        return lines + [f"not taken: {_asked(c)} ({c.who}); the trial ended first" for c in waiting]
    return lines + [f"pending: {_asked(c)} ({c.who}), taken at the next epoch boundary" for c in waiting]


def _asked(c: ParamChange) -> str:
    return "stop" if c.param == STOP else f"{c.param} = {c.new!r}"


def view_data(study: str, number: int, records: Sequence[dict[str, Any]], *, metric: str, direction: str,
              epochs: int | None, changes: Sequence[ParamChange], final: FrozenTrial | None = None) -> ViewData:
    """What the view shows after the records so far (each with ``step``) and the trial's
    changes (applied ones at their epoch, pending ones waiting for the next boundary);
    ``final``: the trial as it ended, whose state (diverged, say) the diagnosis reads too."""
    names = ("train_loss", "val_loss", f"train_{metric}", f"val_{metric}", "lr")
    curves = {n: [_float(r.get(n)) for r in records] for n in names}
    last = {n: c[-1] for n, c in curves.items() if c}
    ended = final is not None and final.state.is_finished()
    findings: list[str] = []
    if len(records) >= 3 or ended:  # an end (a divergence) is news however short the curve
        frozen = FrozenTrial(number=number, state=final.state if final else TrialState.RUNNING,
                             intermediate_values={int(r["step"]): _float(r.get("value")) for r in records},
                             metrics=[dict(r) for r in records], error=final.error if final else None,
                             system_attrs=dict(final.system_attrs) if final else {})
        findings = [f"{f.summary or f.kind}: {f.advice}" for f in diagnose(frozen, direction=direction, metric=metric)]
    epoch = int(records[-1]["step"]) if records else 0
    return ViewData(study, number, epoch, epochs, metric, curves, last, last.get("lr"),
                    change_lines(changes, final), findings, final.state.value if ended and final else None)


def render(data: ViewData) -> Any:
    """A rich renderable of ``data``."""
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("curve")
    table.add_column("last", justify="right")
    table.add_column("epochs" if data.epoch < 1 else f"epochs 1..{data.epoch}" if data.epoch <= WIDTH
                     else f"last {WIDTH} epochs")
    for name, values in data.curves.items():
        value = data.last.get(name, math.nan)
        table.add_row(name, f"{value:.4g}" if math.isfinite(value) else "-", sparkline(values))
    total = f"/{data.epochs}" if data.epochs else ""
    parts: list[Any] = [table]
    if data.changes:
        parts.append("[bold]changes[/]\n" + "\n".join(data.changes[-6:]))
    parts.append("[bold]diagnosis[/]\n" + ("\n".join(data.findings) if data.findings else
                                          "nothing to say yet" if data.epoch < MIN_EPOCHS_FOR_TREND
                                          else "the curves look healthy"))
    # The name as written: ``b[i]`` is no style.
    title = f"study {escape(data.study)}, trial {data.trial}" + (f" ({data.state})" if data.state else "")
    title += f": epoch {data.epoch}{total}"
    if data.lr is not None and math.isfinite(data.lr):
        title += f", lr {data.lr:.3g}"
    return Panel(Group(*parts), title=title,
                 subtitle="Ctrl-C stops cleanly; nntune trial set|stop|fork from another terminal")
