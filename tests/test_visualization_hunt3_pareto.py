"""plot_pareto_front on a study with constraints draws the trials that broke them apart, as
Optuna's plot does: in their own light-grey "Infeasible Trial" trace, never among the dominated
trials nor on the front, and still drawn with include_dominated_trials=False."""
from __future__ import annotations

from typing import Any

import optuna
import pytest

import nntune
import nntune.visualization as vis
import nntune.visualization.matplotlib as mvis
from nntune.report import html as report_html
from nntune.report.study_data import front_data

# (a, b) per trial; a trial with a > 0.6 breaks the constraint "a" (a - 0.6 <= 0).
VALUES = [(0.1, 0.9), (0.9, 0.1), (0.8, 0.8), (0.5, 0.5), (0.7, 0.05), (0.4, 0.95)]


def constrained(lib: Any) -> Any:
    """The same study under nntune or Optuna: two objectives, one constraint per trial."""
    study = lib.create_study(directions=["minimize", "minimize"])
    for a, b in VALUES:
        trial = study.ask()
        trial.set_constraint("a", a - 0.6)
        study.tell(trial, [a, b])
    return study


def optuna_counts(fig: Any) -> dict[str, int]:
    """Optuna's traces have no names; each says what it draws in its hover's <extra> part."""
    return {tr.hovertemplate.split("<extra>")[1].split("</extra>")[0]: len(tr.x) for tr in fig.data}


@pytest.mark.parametrize("include_dominated", [True, False])
def test_infeasible_trials_are_a_trace_of_their_own_as_in_optuna(include_dominated):
    ours = vis.plot_pareto_front(constrained(nntune), include_dominated_trials=include_dominated)
    theirs = optuna_counts(optuna.visualization.plot_pareto_front(
        constrained(optuna), include_dominated_trials=include_dominated))
    counts = {tr.name: len(tr.x) for tr in ours.data}
    assert counts == {name: n for name, n in theirs.items() if n}  # Optuna's names for the same parts
    assert counts["Infeasible Trial"] == 3 and counts.get("Feasible Trial", 0) == (1 if include_dominated else 0)
    infeasible = next(tr for tr in ours.data if tr.name == "Infeasible Trial")
    assert sorted(infeasible.x) == [0.7, 0.8, 0.9] and infeasible.marker.color == "#cccccc"


def test_constraints_func_marks_the_same_trials_infeasible():
    study = nntune.create_study(directions=["minimize", "minimize"])
    a_dist = nntune.distributions.FloatDistribution(0, 1)
    for a, b in VALUES:
        study.add_trial(nntune.create_trial(params={"a": a}, distributions={"a": a_dist}, values=[a, b]))
    fig = vis.plot_pareto_front(study, include_dominated_trials=False, constraints_func=lambda t: [t.params["a"] - 0.6])
    assert {tr.name: len(tr.x) for tr in fig.data} == {"Infeasible Trial": 3, "Best Trial": 2}


@pytest.mark.parametrize("include_dominated", [True, False])
def test_matplotlib_labels_the_infeasible_trials_as_optuna_does(include_dominated):
    ax = mvis.plot_pareto_front(constrained(nntune), include_dominated_trials=include_dominated)
    drawn = {c.get_label(): len(c.get_offsets()) for c in ax.collections}
    assert drawn["Infeasible Trial"] == 3 and drawn["Best Trial"] == 2
    assert drawn.get("Feasible Trial", 0) == (1 if include_dominated else 0)
    assert "Infeasible Trial" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_report_section_draws_the_infeasible_trials_apart():
    study = constrained(nntune)
    front = front_data(study.trials, ["minimize", "minimize"], None, [])
    page = report_html.pareto_section({"pareto": front, "test": {"sealed": False}})
    assert "Infeasible Trial" in page and "3 complete trials broke" in page


def test_target_names_given_as_one_string_are_refused_not_read_letter_by_letter():
    study = nntune.create_study(directions=["minimize", "minimize"])
    study.tell(study.ask(), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^target_names: must be a list of names, one per objective, got 'ab'$"):
        vis.plot_pareto_front(study, target_names="ab")
    with pytest.raises(ValueError, match=r"^target_names: must be a list of names"):
        mvis.plot_pareto_front(study, target_names="ab")
