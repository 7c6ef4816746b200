"""What ``nntune tune`` prints after its search: the leaderboard, the trial counts, the
notes, the best trial, its test look (or the Pareto front's), the ensemble and where to look
next. Into a pipe or a file each line is one line (see :func:`nntune.cli_text.widened_for`)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from rich.console import Console

from nntune._words import counted
from nntune.cli_ask import DEFAULT_STORAGE
from nntune.cli_text import _fmt, _params_text, leaderboard_table, positive_class_name, print_test, widened_for


def print_summary(out: Console, prepared: Any, summary: Any, model_file: Path) -> None:
    """The lines of ``summary`` (a :class:`nntune.runner_summary.TuneSummary`) before the report's."""
    cfg = prepared.cfg
    ranking = " by Pareto rank (infeasible last)" if summary.objectives else ""  # show's order, see runner_pareto
    if summary.leaderboard:
        board = leaderboard_table(summary.leaderboard, cfg.task.trained_metric,
                                  f"top {counted(len(summary.leaderboard), 'trial')} of {summary.study}{ranking}",
                                  summary.objectives)
        widened_for(out, board).print(board)
    else:  # "top 0 trials" over an empty table says less than show's line for it
        out.print(f"no trial of {summary.study} has a value yet", markup=False, highlight=False)
    c = summary.counts
    out.print(f"trials: {c['complete']} complete, {c['pruned']} pruned, {c['failed']} failed, "
              f"{c['diverged']} diverged; stopped because: {summary.stop_reason}")
    if summary.first_error is not None:
        out.print(f"first failure: {summary.first_error}", markup=False, highlight=False)
    for note in summary.notes:  # the data's own words (a class named [rare]), never markup
        out.print(note, markup=False, highlight=False)
    if summary.best is not None:
        searched = f"with {_params_text(summary.best.params)}" if summary.best.params else "(no searched parameters)"
        out.print(f"best trial {summary.best.number}: validation {cfg.task.trained_metric} "
                  f"{_fmt(summary.best.value)} {searched}", markup=False)  # choice values are the user's words
    if summary.test is not None:
        print_test(out, summary.study, summary.test, positive_class_name(prepared.splits, cfg.task.positive_index))
        if not summary.test.recorded:
            out.print(f"model: {model_file} (nntune.load_model)", markup=False)
    if summary.objectives:  # several objectives: the Pareto front, each trial with its one test look
        from nntune.show import render_front

        rows = [{"number": f["trial"], **f} for f in summary.front_json()]
        render_front({"names": summary.objectives, "directions": cfg.task.directions, "rows": rows}, summary.study, out)
        from nntune.builtin import front_model_file

        written = [front_model_file(model_file, t.trial) for t in summary.front_tests if not t.recorded]
        if written:
            out.print(f"models: {', '.join(map(str, written))} (nntune.load_model)", markup=False)
    if summary.ensemble is not None:
        from nntune.ensemble_study import ensemble_lines

        for line in ensemble_lines(summary.ensemble):
            out.print(line, markup=False, highlight=False)
    if any(summary.counts.values()):
        out.print(next_steps(summary.study, cfg.storage), markup=False, highlight=False)


def next_steps(study: str, storage: str) -> str:
    """The commands that read the study further. The summary gives values only: what went
    wrong in a trial and what to change (the diagnosis) is shown by ``show``, and a first run
    would not otherwise learn that it exists. Each command is one to paste: the study's name
    quoted for the shell, the storage given unless it is the default (its password hidden)."""
    from nntune.storage import redact_url

    where = "" if storage == DEFAULT_STORAGE else f" --storage {shlex.quote(redact_url(storage))}"
    return (f"next: nntune show --study {shlex.quote(study)}{where} gives each top trial's diagnosis (what went "
            f"wrong, what to change) and which parameters mattered; nntune dashboard{where} shows the curves "
            "in a browser")
