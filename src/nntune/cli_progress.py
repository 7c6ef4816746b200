"""``nntune tune``'s progress: the line naming the study once its storage is open, then a
bar of the trials still to run with the best value so far, or, when nothing is left to
run, one plain line and no bar."""

from __future__ import annotations

import math
import os
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from nntune.runner_notes import held_already
from nntune.samplers import is_feasible
from nntune.trial import FrozenTrial


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return "nan" if math.isnan(value) else f"{value:.4g}"


class ReaderlessConsole(Console):
    """A console whose reader may leave before the end (``nntune tune | head``, a pager quit
    early): the rest of its output is dropped and the command's work goes on, so the search,
    the test look and the report are finished, not cut short by rich's exit 1 at the first
    line printed after the search. Into a pipe or a file (no screen to fit) a line is never
    wrapped: a note or a warning stays one line for ``grep`` and for a log; a terminal wraps
    it at its own width."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.is_terminal:
            self.soft_wrap = True

    def on_broken_pipe(self) -> None:
        self.quiet = True
        try:
            fd = self.file.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO): quiet is enough
            return
        # What Python still buffers for this stream (a final --json line) goes nowhere, not to an error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def tune_header(cfg: Any, storage: str, objectives: str) -> Text:
    """``study NAME in STORAGE: MODEL on DATA, OBJECTIVES``, the name in bold. A Text, not
    markup: a study named ``exp[bs=64]`` or a path with brackets is shown as written."""
    data = cfg.task.data if isinstance(cfg.task.data, str) else _local_data(cfg.task.data)
    return Text.assemble("study ", (str(cfg.study), "bold"), f" in {storage}: {cfg.model_name} on {data}, {objectives}")


def _local_data(data: Any) -> str:
    """A file of the user's as its kind and its path (``csv data/houses.csv``): the kind alone
    (``mlp on csv``) did not say which of their files a run was tuning on."""
    path = data.get("path")
    return str(data.get("kind")) if path is None else f"{data.get('kind')} {path}"


class TuneProgress:
    """``on_start`` and ``on_trial`` for :func:`nntune.runner.run_tune`; ``close`` after it."""

    def __init__(self, out: Console, cfg: Any, header: str | Text) -> None:
        self.out = out
        self.cfg = cfg
        self.header = header
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=out, transient=False)
        self.task: Any = None
        self.best: float | None = None

    def on_start(self, study: Any, todo: int) -> None:
        # Said once the storage is open: a storage that cannot be reached gets its one line alone.
        self.out.print(self.header)
        if todo == 0:  # one plain line, no empty "0/0" bar
            held = held_already(sum(study.counts().values()), self.cfg.search.trials)
            self.out.print(f"{held}; nothing to run",
                           markup=False, highlight=False)
            return
        # A resumed study's best so far counts the trials of earlier runs too, as the summary
        # below the bar does (and Optuna's bar, which shows study.best_value).
        for frozen in study.get_trials(deepcopy=False):
            self._keep_best(study, frozen)
        self.task = self.bar.add_task("trials" if self.best is None else self._description(), total=todo)
        self.bar.start()

    def on_trial(self, study: Any, frozen: FrozenTrial) -> None:
        self._keep_best(study, frozen)
        if self.task is not None:
            self.bar.update(self.task, advance=1, description=self._description())

    def _keep_best(self, study: Any, frozen: FrozenTrial) -> None:
        value = frozen.value
        # A trial that breaks task.constraints is never the best one (show, the report, the summary).
        if value is not None and frozen.state.value == "complete" and not math.isnan(value) and is_feasible(frozen):
            if self.best is None or (value > self.best) == (study.directions[0] == "maximize"):
                self.best = value

    def _description(self) -> str:
        return f"trials (best {self.cfg.task.trained_metric} {_fmt(self.best)})"

    def close(self) -> None:
        if self.task is not None:  # stopping a bar never started would still print an empty line
            self.bar.stop()
