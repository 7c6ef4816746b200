"""The terminator's decision, its callback in a real study, and ``search.terminator`` in
``nntune tune``."""

from __future__ import annotations

import numpy as np
import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.show import show_data
from nntune.terminator import (AutoErrorEvaluator, BaseTerminator, BestValueStagnationEvaluator, EMMREvaluator,
                               MedianErrorEvaluator, RegretBoundEvaluator, StaticErrorEvaluator, Terminator,
                               TerminatorCallback, report_cross_validation_scores)
from nntune.terminator._terminator import default_error_evaluator


def quadratic(trial) -> float:
    return -(trial.suggest_float("x", -5, 5) - 1.0) ** 2


def study_of(n: int, seed: int = 0) -> nntune.Study:
    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.RandomSampler(seed=seed))
    study.optimize(quadratic, n_trials=n)
    return study


def test_no_decision_before_min_n_trials_then_improvement_against_error():
    study = study_of(6)
    assert Terminator(error_evaluator=StaticErrorEvaluator(1e9), min_n_trials=7).read(study) is None
    huge = Terminator(RegretBoundEvaluator(min_n_trials=3, seed=0), StaticErrorEvaluator(1e9), min_n_trials=6)
    assert huge.should_terminate(study) and huge.last is not None and huge.last.n_complete == 6
    zero = Terminator(RegretBoundEvaluator(min_n_trials=3, seed=0), StaticErrorEvaluator(0.0), min_n_trials=6)
    assert not zero.should_terminate(study) and zero.last.improvement > 0
    assert "more trials may still find a better model" in zero.last.text()
    with pytest.raises(ValueError, match="min_n_trials"):
        Terminator(min_n_trials=0)


def test_a_study_of_several_objectives_is_refused():
    study = nntune.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="single-objective"):
        Terminator().should_terminate(study)


def test_each_improvement_gets_the_error_it_is_meant_for():
    assert isinstance(default_error_evaluator(BestValueStagnationEvaluator()), StaticErrorEvaluator)
    assert isinstance(default_error_evaluator(EMMREvaluator()), MedianErrorEvaluator)
    plain = default_error_evaluator(RegretBoundEvaluator(), study_of(2))
    assert isinstance(plain, AutoErrorEvaluator) and plain.n_samples is None
    study = study_of(2)
    study.storage.set_study_attr(study.id, "n_val", 400)  # what nntune tune stores
    study.storage.set_study_attr(study.id, "metric", "accuracy")
    known = default_error_evaluator(RegretBoundEvaluator(), study)
    assert (known.n_samples, known.metric) == (400, "accuracy")


@pytest.mark.slow
def test_the_callback_stops_a_noisy_cross_validated_study_and_says_why():
    def objective(trial) -> float:
        x, y = trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)
        folds = np.random.default_rng(trial.number).normal(0.0, 0.5, 5)
        scores = -(x**2 + y**2) + folds
        report_cross_validation_scores(trial, scores)
        return float(scores.mean())

    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=200, callbacks=[TerminatorCallback(Terminator(RegretBoundEvaluator(seed=0)))])
    assert 20 <= len(study.trials) < 200
    assert study.stop_reason.startswith("the terminator: after") and "cross-validation scores" in study.stop_reason
    stored = study.system_attrs["terminator"]
    assert stored["terminate"] and stored["improvement"] < stored["error"] and stored["trial"] == len(study.trials) - 1
    assert study.best_value > -1.0  # stopped near the optimum (0), not before the search found it


def test_a_users_own_terminator_stops_through_the_callback():
    class AfterFive(BaseTerminator):
        def should_terminate(self, study) -> bool:
            return len(study.trials) >= 5

    study = nntune.create_study()
    study.optimize(quadratic, n_trials=50, callbacks=[TerminatorCallback(AfterFive())])
    assert len(study.trials) == 5 and study.stop_reason == "stopped by the terminator"


DIGITS = {"study": "t", "task": {"data": "digits", "split": [0.6, 0.2, 0.2], "model": "mlp"},
          "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1, "log": True}},
          "fixed": {"epochs": 2, "units": 16}}


def test_nntune_tune_stops_on_its_terminator_and_show_says_so(tmp_path):
    settings = {"improvement": "stagnation", "max_stagnation_trials": 1, "min_trials": 3}
    summary = nntune.tune({**DIGITS, "storage": f"sqlite:///{tmp_path / 't.db'}"}, report=tmp_path / "r.html",
                          model_file=False, set={"search.trials": 30, "search.terminator": settings})
    shown = show_data(f"sqlite:///{tmp_path / 't.db'}", "t")
    n = sum(shown["counts"].values())
    assert 3 <= n < 30 and "the terminator" in summary.stop_reason
    assert shown["terminator"]["terminate"] and shown["terminator"]["text"].startswith("stopped by the terminator")
    assert "<p>stopped by the terminator: after" in (tmp_path / "r.html").read_text()


def test_nntune_tune_reads_the_split_error_by_default(tmp_path):
    summary = nntune.tune({**DIGITS, "storage": f"sqlite:///{tmp_path / 't.db'}"}, report=False, model_file=False,
                          set={"search.trials": 4, "search.terminator": {"min_trials": 3}})
    shown = show_data(f"sqlite:///{tmp_path / 't.db'}", "t")
    reading = shown["terminator"]
    assert reading["n_complete"] == 4 and "validation split's sampling error (359 samples)" in reading["error_by"]
    assert reading["error"] == pytest.approx(np.sqrt(summary.best.value * (1 - summary.best.value) / 359))


@pytest.mark.parametrize("value, field, problem", [
    ({"improvement": "foo"}, "search.terminator.improvement", "'regret_bound', 'emmr' or 'stagnation'"),
    ({"error": "x"}, "search.terminator.error", "'auto' or 'split' or 'curve' or a number"),
    ({"error": -1}, "search.terminator.error", "must be a finite number >= 0, got -1"),
    ({"error": float("nan")}, "search.terminator.error", "must be a finite number >= 0, got nan"),
    ({"error": float("inf")}, "search.terminator.error", "must be a finite number >= 0, got inf"),
    ({"error": True}, "search.terminator.error", "expected a number or auto or split or curve, got true"),
    ({"max_stagnation_trials": True}, "search.terminator.max_stagnation_trials", "expected an integer, got true"),
    ({"min_trials": 1}, "search.terminator.min_trials", "greater than or equal to 2"),
    ("maybe", "search.terminator", "true or false or a mapping"),
    ({"minimum": 3}, "search.terminator.minimum", "unknown key"),
    ({"error": "curve"}, "search.terminator.error", "needs trials of at least 3 epochs, and these train at most 2"),
])
def test_bad_settings_name_the_field_and_write_nothing(tmp_path, value, field, problem):
    with pytest.raises(ConfigError) as err:
        nntune.tune({**DIGITS, "storage": f"sqlite:///{tmp_path / 't.db'}"}, set={"search.terminator": value})
    assert err.value.field == field and problem in err.value.problem
    assert not (tmp_path / "t.db").exists()


def test_split_needs_an_accuracy_and_one_objective(tmp_path):
    with pytest.raises(ConfigError, match="split is the sampling error of an accuracy; the metric is f1"):
        nntune.tune({**DIGITS, "storage": f"sqlite:///{tmp_path / 't.db'}"},
                    set={"search.terminator": {"error": "split"}, "task.metric": "f1"})
    with pytest.raises(ConfigError, match="needs one best value, undefined for 2 objectives"):
        nntune.tune({**DIGITS, "storage": f"sqlite:///{tmp_path / 't.db'}"},
                    set={"search.terminator": True, "task.metric": ["accuracy", "params"]})


def test_the_command_warns_that_random_search_keeps_the_bound_wide(tmp_path):
    from typer.testing import CliRunner

    from nntune.cli import app

    url = f"sqlite:///{tmp_path / 't.db'}"
    warned = CliRunner().invoke(app, ["tune", "--set", f"storage={url}", "--set", "search.terminator=true", "--dry-run"])
    assert warned.exit_code == 0 and "regret bound stays wide under random draws" in warned.output
    for fine in (["--set", "search.sampler=tpe"], ["--set", "search.terminator={improvement: stagnation}"]):
        quiet = CliRunner().invoke(app, ["tune", "--set", f"storage={url}", "--set", "search.terminator=true", *fine,
                                         "--dry-run"])
        assert quiet.exit_code == 0 and "stays wide" not in quiet.output


def test_an_unreadable_study_raises_or_with_keep_going_runs_on_with_one_warning():
    from nntune.terminator import CurveNoiseErrorEvaluator

    def one_report(trial) -> float:  # curves of one step: no epoch noise to read
        value = quadratic(trial)
        trial.report(value, 1)
        return value

    def terminator() -> Terminator:
        return Terminator(BestValueStagnationEvaluator(0), CurveNoiseErrorEvaluator(), min_n_trials=2)

    strict = nntune.create_study(direction="maximize")
    with pytest.raises(ValueError, match="too few steps"):
        strict.optimize(one_report, n_trials=5, callbacks=[TerminatorCallback(terminator())])
    lenient = nntune.create_study(direction="maximize")
    with pytest.warns(UserWarning, match="cannot read study .* so it does not stop it: CurveNoise") as caught:
        lenient.optimize(one_report, n_trials=5, callbacks=[TerminatorCallback(terminator(), keep_going=True)])
    assert len(lenient.trials) == 5 and "terminator" not in (lenient.stop_reason or "")
    assert sum("cannot read study" in str(w.message) for w in caught) == 1
