"""The notes of the history, slice and intermediate-value plots explain the grey or orange
x of a trial stopped early only where the plot draws one: a study that pruned nothing is
not told "0 trials were stopped early ... with an x where they stopped"."""

from __future__ import annotations

import re

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data


def section(page: str, sid: str) -> str:
    return re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S).group(1)  # type: ignore[union-attr]


def notes(page: str, sid: str) -> str:
    return " ".join(re.findall(r'<p class="note">(.*?)</p>', section(page, sid), re.S))


def study(url: str, prune: bool) -> str:
    s = nntune.create_study(study_name="s", storage=url, sampler=nntune.samplers.RandomSampler(seed=0),
                            pruner=nntune.pruners.ThresholdPruner(upper=0.5) if prune else nntune.pruners.NopPruner())

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(3):
            trial.report(x + step / 10, step)
            if trial.should_prune():
                raise nntune.TrialPruned()
        return x

    s.optimize(objective, n_trials=8)
    return render_html(build_report_data(url, "s"))


def test_no_pruned_trial_no_word_of_an_x(tmp_path):
    page = study(f"sqlite:///{tmp_path / 'a.db'}", prune=False)
    for sid in ("history", "slices", "intermediate-values"):
        assert "stopped early" not in notes(page, sid), sid
    assert "Each dot is a complete trial (8 in all); the line is the best complete value so far." in page


def test_pruned_trials_are_still_explained(tmp_path):
    page = study(f"sqlite:///{tmp_path / 'b.db'}", prune=True)
    assert "grey x a trial stopped early at its last value" in notes(page, "history")
    assert "grey x trials stopped early" in notes(page, "slices")
    assert re.search(r"\d+ trials? (was|were) stopped early \(pruned\)", notes(page, "intermediate-values"))
