"""Counts in messages agree with their nouns: "1 trial", never "1 trials"."""

from __future__ import annotations

import pytest

import nntune
from nntune._studies import MaxTrialsCallback
from nntune._words import agreeing, counted
from nntune.report.data import build_report_data
from nntune.report.html import intermediate_section
from nntune.report.lineage import lineage_note
from nntune.report.population import population_data
from nntune.train.stack_size import pick_population


@pytest.mark.parametrize(("n", "noun", "plural", "text"), [
    (1, "trial", None, "1 trial"),
    (0, "trial", None, "0 trials"),
    (2, "complete trial", None, "2 complete trials"),
    (1, "study", "studies", "1 study"),
    (3, "study", "studies", "3 studies"),
    (1.0, "epoch", None, "1.0 epoch"),
])
def test_counted_is_singular_only_for_one(n, noun, plural, text) -> None:
    assert counted(n, noun, plural) == text


def test_agreeing_picks_the_verb_for_one_or_many() -> None:
    assert [agreeing(n, "was", "were") for n in (0, 1, 2)] == ["were", "was", "were"]


def test_a_study_run_for_one_trial_says_one_trial() -> None:
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.stop_reason == "ran 1 trial"
    other = nntune.create_study()
    other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, callbacks=[MaxTrialsCallback(1)])
    assert other.stop_reason == "1 trial reached"


def test_report_notes_of_one_trial_or_member_are_singular(tmp_path) -> None:
    storage = f"sqlite:///{tmp_path / 'r.db'}"
    study = nntune.create_study(study_name="one-pruned", storage=storage, direction="maximize")

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(3):
            trial.report(x + step, step)
            if trial.number == 1 and step == 1:
                raise nntune.TrialPruned()
        return x + 2

    study.optimize(objective, n_trials=2)
    page = intermediate_section(build_report_data(storage, "one-pruned"))
    assert "1 trial was stopped early (pruned): orange, with an x where it stopped." in page
    assert lineage_note({"n_children": 1}).startswith('<p class="note">1 trial continued from')
    assert population_data({"capacity": 1})["text"] == "stacks of up to 1 member"
    with pytest.raises(ValueError, match="^the step time of 1 member must be a positive number"):
        pick_population([(1, 0.0)])


def test_a_dry_run_of_one_trial_says_one_trial(call_cli) -> None:
    code, out, err = call_cli("tune", "--set", "search.trials=1", "--dry-run")
    assert code == 0, err
    assert ", 1 trial" in out and "1 trials" not in out
