"""Optuna names that scripts reach for beyond the everyday calls: the errors they catch,
Optuna 2's suggest and distribution names, the base classes they subclass or check
against, and the objectives' names in the table."""

from __future__ import annotations

import warnings

import pytest

import nntune
from nntune import distributions as D
from nntune import exceptions
from nntune.importance import (BaseImportanceEvaluator, FanovaImportanceEvaluator,
                               MeanDecreaseImpurityImportanceEvaluator, PedAnovaImportanceEvaluator,
                               PermutationImportanceEvaluator, get_param_importances)
from nntune.trial import BaseTrial, FixedTrial, TrialState


def old_style(trial):
    a = trial.suggest_uniform("a", -1.0, 1.0)
    b = trial.suggest_loguniform("b", 1e-4, 1.0)
    c = trial.suggest_discrete_uniform("c", 0.0, 1.0, 0.25)
    return a * a + b + c


def test_optuna_2s_suggest_names_are_suggest_float():
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(old_style, n_trials=8)
    t = study.trials[0]
    assert t.distributions == {"a": D.FloatDistribution(-1.0, 1.0), "b": D.FloatDistribution(1e-4, 1.0, log=True),
                               "c": D.FloatDistribution(0.0, 1.0, step=0.25)}
    assert all(t.params["c"] in (0.0, 0.25, 0.5, 0.75, 1.0) for t in study.trials)
    fixed = FixedTrial({"a": 0.5, "b": 0.01, "c": 0.25})
    assert old_style(fixed) == pytest.approx(0.25 + 0.01 + 0.25)
    assert isinstance(fixed, BaseTrial) and isinstance(study.ask(), BaseTrial)


def test_optuna_2s_distribution_names_build_todays_and_check_kinds():
    assert D.UniformDistribution(0, 1) == D.FloatDistribution(0, 1)
    assert D.LogUniformDistribution(1e-3, 1) == D.FloatDistribution(1e-3, 1, log=True)
    assert D.DiscreteUniformDistribution(0, 1, 0.5) == D.FloatDistribution(0, 1, step=0.5)
    assert D.IntUniformDistribution(1, 9, step=2) == D.IntDistribution(1, 9, step=2)
    assert D.IntLogUniformDistribution(1, 64) == D.IntDistribution(1, 64, log=True)
    assert isinstance(D.FloatDistribution(1e-3, 1, log=True), D.LogUniformDistribution)
    assert not isinstance(D.FloatDistribution(1e-3, 1, log=True), D.UniformDistribution)
    assert not isinstance(D.IntDistribution(1, 8), D.UniformDistribution)
    study = nntune.create_study()
    trial = study.ask({"lr": D.LogUniformDistribution(1e-4, 1e-1), "units": D.IntUniformDistribution(8, 64)})
    assert 1e-4 <= trial.params["lr"] <= 1e-1 and 8 <= trial.params["units"] <= 64


def test_the_errors_scripts_catch_by_optunas_names(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    nntune.create_study(study_name="s", storage=url)
    with pytest.raises(exceptions.DuplicatedStudyError) as caught:
        nntune.create_study(study_name="s", storage=url)
    assert isinstance(caught.value, exceptions.OptunaError) and isinstance(caught.value, ValueError)
    study = nntune.load_study(study_name="s", storage=url)
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(exceptions.UpdateFinishedTrialError):
        trial.report(0.5, 1)
    assert issubclass(exceptions.TrialPruned, exceptions.OptunaError)

    def pruned(t):
        raise exceptions.TrialPruned()

    study.optimize(pruned, n_trials=1)
    assert study.trials[-1].state == TrialState.PRUNED
    with warnings.catch_warnings():
        warnings.filterwarnings("error")
        warnings.filterwarnings("ignore", category=exceptions.ExperimentalWarning)
        warnings.warn("experimental", exceptions.ExperimentalWarning)  # ignored, not raised


@pytest.fixture(scope="module")
def study():
    s = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=1))
    s.optimize(lambda t: 10 * t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1) * 0.1, n_trials=20)
    return s


def test_evaluators_share_a_base_and_a_users_own_subclass_works(study):
    for cls in (PermutationImportanceEvaluator, FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator,
                PedAnovaImportanceEvaluator):
        assert isinstance(cls(), BaseImportanceEvaluator)

    class Spread(BaseImportanceEvaluator):
        def evaluate(self, study, params=None, *, target=None):
            done = [t for t in study.trials if t.state == TrialState.COMPLETE]
            return {p: max(t.params[p] for t in done) - min(t.params[p] for t in done) for p in params or ("x", "y")}

    shares = get_param_importances(study, evaluator=Spread())
    assert set(shares) == {"x", "y"} and sum(shares.values()) == pytest.approx(1.0)
    with pytest.raises(TypeError):
        BaseImportanceEvaluator()  # evaluate is abstract


def test_metric_names_name_the_tables_value_columns(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    one = nntune.create_study(study_name="one", storage=url)
    assert one.metric_names is None
    one.set_metric_names(["loss"])
    one.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert nntune.load_study(study_name="one", storage=url).metric_names == ["loss"]
    assert list(one.trials_dataframe().columns[:2]) == ["number", "value_loss"]
    many = nntune.create_study(study_name="many", storage=url, directions=["maximize", "minimize"])
    with pytest.raises(ValueError, match="number of objectives must match"):
        many.set_metric_names(["accuracy"])
    many.set_metric_names(["zeta", "alpha"])  # kept in the objectives' order, not sorted
    many.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    assert list(many.trials_dataframe().columns[:3]) == ["number", "values_zeta", "values_alpha"]
    eleven = nntune.create_study(directions=["minimize"] * 11)
    eleven.optimize(lambda t: tuple(range(11)), n_trials=1)
    columns = [c for c in eleven.trials_dataframe().columns if c.startswith("values_")]
    assert columns == [f"values_{i}" for i in range(11)]
    assert eleven.trials_dataframe()["values_10"][0] == 10


def test_distributions_serialise_as_optunas_and_read_optunas():
    optuna = pytest.importorskip("optuna")
    for dist in (D.FloatDistribution(0, 1), D.FloatDistribution(1e-4, 1, log=True), D.FloatDistribution(0, 1, step=0.1),
                 D.IntDistribution(1, 9, step=2), D.IntDistribution(1, 64, log=True),
                 D.CategoricalDistribution(["a", 1, None])):
        ours = D.distribution_to_json(dist)
        assert ours == optuna.distributions.distribution_to_json(optuna.distributions.json_to_distribution(ours))
        assert D.json_to_distribution(ours) == dist
    old = '{"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}}'
    assert D.json_to_distribution(old) == D.FloatDistribution(0.001, 1.0, log=True)
    assert D.json_to_distribution({"type": "int", "low": 1, "high": 4}) == D.IntDistribution(1, 4)  # nntune's shape
    with pytest.raises(ValueError, match="distribution.name: unknown distribution 'Foo'"):
        D.json_to_distribution('{"name": "Foo", "attributes": {}}')


def test_a_handler_on_optunas_logger_hears_the_study(capsys):
    import logging
    import sys

    nntune.logging.set_verbosity(nntune.logging.INFO)
    nntune.logging.disable_default_handler()
    handler = logging.StreamHandler(sys.stdout)
    nntune.logging.get_logger("optuna").addHandler(handler)
    try:
        nntune.create_study(study_name="heard").optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    finally:
        nntune.logging.get_logger("optuna").removeHandler(handler)
        nntune.logging.enable_default_handler()
        nntune.logging.set_verbosity(nntune.logging.WARNING)
    lines = capsys.readouterr().out.splitlines()
    # Optuna's line exactly: no full stop after the name (a log reader takes it for part of it).
    assert lines[0] == "A new study created in memory with name: heard"
    assert [line.split(" finished")[0] for line in lines[1:]] == ["Trial 0", "Trial 1"]
    assert nntune.logging.get_logger("optuna.study").name == "nntune.study"


@pytest.mark.parametrize("storage", [None, "sqlite"])
def test_telling_a_finished_trial_is_a_value_error_and_changes_nothing(tmp_path, storage):
    url = None if storage is None else f"sqlite:///{tmp_path / 't.db'}"
    study = nntune.create_study(directions=["minimize", "minimize"], storage=url)
    trial = study.ask()
    study.tell(trial, [1.0, 2.0])
    with pytest.raises(ValueError, match="cannot tell trial 0: trial 0 is complete"):
        study.tell(trial.number, [5.0, 6.0])
    with pytest.raises(exceptions.UpdateFinishedTrialError):
        study.tell(trial, [5.0, 6.0])
    assert study.trials[0].values == [1.0, 2.0]
    assert study.tell(trial, [7.0, 8.0], skip_if_finished=True).values == [1.0, 2.0]


def test_a_finished_trial_is_a_base_trial_as_in_optuna():
    # Optuna's FrozenTrial subclasses BaseTrial: a helper that checks its argument accepts
    # study.best_trial when the objective runs on it again.
    study = nntune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert isinstance(study.best_trial, BaseTrial) and issubclass(nntune.trial.FrozenTrial, BaseTrial)
    assert not isinstance(object(), BaseTrial)
