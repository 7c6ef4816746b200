"""What every lab shares: the result record, training curves, seeds, figures and the HTML page.

A lab is two plain functions. ``measure(seed, quick) -> Measured`` builds the numbers (and
the arrays its figures need) and checks the claim on them; ``draw(measured, out_dir) ->
[png paths]`` only draws. :func:`nntune.labs.run_lab` runs the first, and the second when
an output folder is given, then writes one self-contained HTML page per lab.

Figures are drawn on ``matplotlib.figure.Figure`` objects rendered by the Agg canvas, never
through ``pyplot``, so a lab leaves no global plotting state behind and needs no display.
"""

from __future__ import annotations

import base64
import html
import json
import math
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from nntune._files import replaced_atomically, write_atomic
from nntune.exceptions import ConfigError, TrialDiverged
from nntune.train import Splits, fit, load_splits

DPI = 110
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2")


# ---------------------------------------------------------------- records


@dataclass
class LabResult:
    """What a lab run returns: its claim, whether the numbers bear it out, the numbers, the files."""

    name: str
    claim: str
    held: bool
    numbers: dict[str, Any]
    figures: list[Path] = field(default_factory=list)
    page: Path | None = None
    seed: int = 0
    quick: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (non-finite floats become null) with ``claim`` and ``held``."""
        return {
            "name": self.name,
            "claim": self.claim,
            "held": self.held,
            "numbers": jsonable(self.numbers),
            "figures": [str(p) for p in self.figures],
            "page": None if self.page is None else str(self.page),
            "seed": self.seed,
            "quick": self.quick,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class Measured:
    """A lab's measurement: JSON-able ``numbers``, the named parts of its claim as ``checks``,
    ``series`` (arrays and curves only the figures need) and ``remarks`` for the page."""

    numbers: dict[str, Any]
    checks: dict[str, bool]
    series: dict[str, Any] = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return bool(self.checks) and all(self.checks.values())


@dataclass(frozen=True)
class Lab:
    """One experiment of the notes: its name, a one-line description, the claim it checks,
    a paragraph for its page, and the two functions that measure and draw it."""

    name: str
    description: str
    claim: str
    text: str
    measure: Callable[[int, bool], Measured]
    draw: Callable[[Measured, Path], list[Path]]


# ---------------------------------------------------------------- seeds, threads, data


def sub_seed(seed: int, *keys: int | str) -> int:
    """An independent 31-bit seed for one part of a lab (a run, a layer, a draw)."""
    salt = [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in keys]
    return int(np.random.SeedSequence([int(seed), *salt]).generate_state(1)[0] & 0x7FFFFFFF)


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run with ``threads`` intra-op threads (None leaves torch's setting), then restore it."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(max(1, int(threads)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def caller_random_state() -> Iterator[None]:
    """Run with torch's global random state restored afterwards: the trainer seeds it for
    every run, and a lab run in a notebook must not reseed the draws that follow it."""
    # A GPU's generator is kept only where CUDA is already running: asking for its state would
    # start CUDA for labs that never train (search-scale, normalization).
    cuda_on = torch.cuda.is_available() and torch.cuda.is_initialized()
    devices = list(range(torch.cuda.device_count())) if cuda_on else []
    with torch.random.fork_rng(devices=devices):
        yield


def digit_splits(seed: int, *, train_size: int | None = None,
                 split: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> Splits:
    """Real handwritten digits, flattened: the bundled 5,000 MNIST images, else sklearn's 8x8 digits.

    sklearn's 1,797 digits hold fewer training images than some labs take of MNIST's 5,000
    (1,500 of 3,000); those labs then train on all of them rather than stop at the size."""
    try:
        return load_splits("mnist_5k", split=split, seed=seed, train_size=train_size, flatten=True)
    except (ImportError, OSError, ConfigError):
        pass
    whole = load_splits("digits", split=split, seed=seed)
    if train_size is None or train_size >= len(whole.y_train):
        return whole
    return load_splits("digits", split=split, seed=seed, train_size=train_size)


def data_info(splits: Splits) -> dict[str, Any]:
    return {"data": splits.name, "n_train": len(splits.y_train), "n_val": len(splits.y_val),
            "input_size": int(np.prod(splits.input_shape))}


# ---------------------------------------------------------------- training curves


SCALAR_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")


@dataclass
class Curve:
    """One training run: its per-epoch records (scalars only) and how it ended."""

    label: str
    params: dict[str, Any]
    records: list[dict[str, float]]
    diverged_epoch: int | None = None
    model: nn.Module | None = None

    def column(self, key: str) -> list[float]:
        return [float(r[key]) for r in self.records]

    def last(self, key: str) -> float:
        return float(self.records[-1][key]) if self.records else float("nan")

    def summary(self) -> dict[str, Any]:
        """The JSON-able part: parameters, per-epoch columns, final values, divergence."""
        out: dict[str, Any] = {"params": dict(self.params), "diverged_epoch": self.diverged_epoch}
        for key in SCALAR_KEYS[1:5]:
            out[key] = self.column(key)
        return out


def train_curve(label: str, params: Mapping[str, Any], splits: Splits, seed: int,
                *, keep_layers: bool = False) -> Curve:
    """Train with :func:`nntune.train.fit` and keep every epoch's record, even when the loss
    turns non-finite (the run then ends with ``diverged_epoch`` set and no model)."""
    records: list[dict[str, Any]] = []

    def report(_epoch: int, record: dict[str, Any]) -> bool:
        kept = {k: record[k] for k in SCALAR_KEYS if k in record}
        if keep_layers:
            kept["layers"] = record.get("layers", [])
        records.append(kept)
        return False

    try:
        result = fit(dict(params), splits, report=report, seed=seed)
    except TrialDiverged as err:
        return Curve(label, dict(params), records, diverged_epoch=err.epoch)
    return Curve(label, dict(params), records, model=result.model)


# ---------------------------------------------------------------- JSON


def jsonable(value: Any) -> Any:
    """Plain JSON types: numpy and torch scalars unwrapped, NaN/inf as None, floats to 6 digits."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.generic, torch.Tensor)):
        value = value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    return value


# ---------------------------------------------------------------- figures and the page


def new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def save_figure(fig: Figure, out_dir: Path, name: str) -> Path:
    """``<out_dir>/<name>.png``, whole or not at all: an interrupted run leaves no half PNG."""
    path = out_dir / f"{name}.png"
    with replaced_atomically(path, field="out_dir") as handle:
        fig.savefig(handle, format="png", dpi=DPI)
    return path


def write_page(lab: Lab, result: LabResult, measured: Measured, out_dir: Path) -> Path:
    """``<out_dir>/<lab>.html``: claim, verdict, text, checks, figures (inlined PNG) and numbers.

    Everything is inside the file, so it opens offline.
    """
    verdict = "held" if result.held else "did not hold"
    color = "#1a7f37" if result.held else "#b42318"
    checks = "".join(f"<tr><td>{html.escape(k)}</td><td>{'yes' if v else 'no'}</td></tr>"
                     for k, v in measured.checks.items())
    remarks = "".join(f"<li>{html.escape(r)}</li>" for r in measured.remarks)
    images = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"><figcaption>{html.escape(p.name)}</figcaption></figure>'
        for p in result.figures)
    numbers = html.escape(json.dumps(jsonable(result.numbers), indent=1))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nntune lab: {html.escape(lab.name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
.verdict {{ display: inline-block; padding: .2em .7em; border-radius: .3em; color: white; background: {color}; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
table {{ border-collapse: collapse; }} td {{ border: 1px solid #ccc; padding: .2em .6em; }}
pre {{ background: #f6f8fa; padding: 1em; overflow-x: auto; font-size: 85%; }}
</style></head><body>
<h1>{html.escape(lab.name)}</h1>
<p>{html.escape(lab.description)}</p>
<h2>Claim <span class="verdict">{verdict}</span></h2>
<p>{html.escape(lab.claim)}</p>
<p>{html.escape(lab.text)}</p>
<ul>{remarks}</ul>
<table>{checks}</table>
<p>seed {result.seed}{' (quick version)' if result.quick else ''}, {result.seconds:.1f} s</p>
<h2>Figures</h2>
{images}
<h2>Numbers</h2>
<pre>{numbers}</pre>
</body></html>
"""
    return write_atomic(out_dir / f"{lab.name}.html", page, field="out_dir")
