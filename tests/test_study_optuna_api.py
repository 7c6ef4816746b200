"""The study API Optuna users call: threads, callbacks, ask/tell with values, adding and
enqueueing trials, Optuna's table, several objectives, the functions over storages, logging."""

from __future__ import annotations

import logging as std_logging
import threading
import time

import pytest

import nntune
from nntune import logging as nlogging
from nntune.distributions import FloatDistribution, IntDistribution
from nntune.exceptions import ConfigError
from nntune.pruners import MedianPruner
from nntune.study import MaxTrialsCallback, StudyDirection
from nntune.trial import TrialState, create_trial, pareto_front


def quadratic(trial):
    return (trial.suggest_float("x", -5, 5) - 1) ** 2


def test_threads_run_exactly_n_trials_each_number_once():
    names = set()

    def objective(trial):
        names.add(threading.current_thread().name)
        time.sleep(0.01)  # let the other thread in
        return quadratic(trial)

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=9, n_jobs=2)
    assert [t.number for t in study.trials] == list(range(9))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert len(names) == 2
    with pytest.raises(ConfigError, match="n_jobs"):
        study.optimize(objective, n_trials=1, n_jobs=0)


def test_an_error_in_a_thread_fails_its_trial_and_is_raised():
    def objective(trial):
        if trial.number == 3:
            raise RuntimeError("boom")
        if trial.number > 3:
            time.sleep(0.05)  # so the other thread cannot finish the study before the error stops it
        return quadratic(trial)

    study = nntune.create_study()
    with pytest.raises(RuntimeError, match="boom"):
        study.optimize(objective, n_trials=20, n_jobs=2)
    assert study.trials[3].state == TrialState.FAILED and len(study.trials) < 20
    study.optimize(objective, n_trials=5, n_jobs=2, catch=(RuntimeError,))  # caught: goes on


def test_max_trials_callback_counts_the_states_it_is_given():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if x < 0.5:
            raise nntune.TrialPruned()
        return x

    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=3))
    study.optimize(objective, n_trials=100, callbacks=[MaxTrialsCallback(4, states=(TrialState.COMPLETE,))])
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 4
    study2 = nntune.create_study()
    study2.optimize(objective, n_trials=100, callbacks=[MaxTrialsCallback(3, states=None)])
    assert len(study2.trials) == 3


def test_ask_with_fixed_distributions_and_tell_by_number_with_values():
    study = nntune.create_study(direction="maximize")
    trial = study.ask({"x": FloatDistribution(0, 1), "n": IntDistribution(1, 3)})
    assert set(trial.params) == {"x", "n"}
    frozen = study.tell(trial.number, values=[0.5])
    assert frozen.value == 0.5 and frozen.values == [0.5]
    assert study.tell(trial.number, 0.9, skip_if_finished=True).value == 0.5
    assert study.tell(study.ask(), values=float("nan")).state == TrialState.DIVERGED
    assert study.direction == StudyDirection.MAXIMIZE == "maximize"
    assert f"{study.direction}" == "maximize"


def test_enqueue_skips_repeats_and_add_trial_stores_a_finished_trial():
    study = nntune.create_study()
    assert study.enqueue_trial({"x": 1.0}) == 0
    assert study.enqueue_trial({"x": 1.0}, skip_if_exists=True) is None
    study.add_trial(create_trial(params={"x": 2.0}, distributions={"x": FloatDistribution(-5, 5)}, value=1.0,
                                 intermediate_values={0: 3.0, 1: 2.0}, user_attrs={"from": "paper"}))
    study.add_trials([create_trial(state=TrialState.PRUNED, params={"x": 4.0},
                                   distributions={"x": FloatDistribution(-5, 5)}, intermediate_values={0: 9.0})])
    study.optimize(quadratic, n_trials=1)
    added, pruned, ran = study.trials[1], study.trials[2], study.trials[0]
    assert (added.value, added.intermediate_values, added.user_attrs) == (1.0, {0: 3.0, 1: 2.0}, {"from": "paper"})
    assert pruned.state == TrialState.PRUNED and pruned.value is None  # as Optuna stores it
    assert ran.params == {"x": 1.0} and ran.value == 0.0
    with pytest.raises(ValueError, match="outside"):
        create_trial(params={"x": 9.0}, distributions={"x": FloatDistribution(-5, 5)}, value=1.0)
    with pytest.raises(ValueError, match="needs its value"):
        create_trial(params={})


def test_trials_dataframe_has_optunas_columns():
    study = nntune.create_study()

    def objective(trial):
        trial.set_user_attr("note", "n")
        return quadratic(trial)

    study.optimize(objective, n_trials=2)
    df = study.trials_dataframe()
    assert list(df.columns) == ["number", "value", "datetime_start", "datetime_complete", "duration", "params_x",
                                "user_attrs_note", "state"]
    assert df["state"].tolist() == ["COMPLETE", "COMPLETE"]
    assert df["duration"].iloc[0].total_seconds() >= 0
    multi = study.trials_dataframe(attrs=("number", "params"), multi_index=True)
    assert list(multi.columns) == [("number", ""), ("params", "x")]


def test_several_objectives():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x * x

    study = nntune.create_study(directions=["maximize", "maximize"], sampler=nntune.samplers.TPESampler(
        seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=12)
    assert study.directions == [StudyDirection.MAXIMIZE] * 2
    assert {t.number for t in study.best_trials} == {t.number for t in study.trials}  # all on the front
    assert all(len(t.values) == 2 for t in study.trials)
    with pytest.raises(RuntimeError, match="best_trials"):
        study.best_trial
    assert list(study.trials_dataframe(attrs=("number", "value")).columns) == ["number", "values_0", "values_1"]
    with pytest.warns(UserWarning, match="1 value for a study of 2 objectives"):
        bad = study.tell(study.ask(), values=[1.0])
    assert bad.state == TrialState.FAILED and "1 value for a study of 2 objectives" in bad.error
    # A pruner is kept, as Optuna keeps it; asking it (should_prune) says pruning is undefined.
    assert isinstance(nntune.create_study(directions=["minimize", "minimize"], pruner=MedianPruner()).pruner,
                      MedianPruner)
    with pytest.raises(ConfigError, match="directions"):
        nntune.create_study(direction="minimize", directions=["minimize"])


def test_pareto_front_is_the_undominated_complete_trials():
    def t(n, values, state=TrialState.COMPLETE):
        return create_trial(state=state, values=values) if state == TrialState.COMPLETE else \
            create_trial(state=state)

    trials = [t(0, [1.0, 5.0]), t(1, [2.0, 2.0]), t(2, [3.0, 3.0]), t(3, [5.0, 1.0])]
    for i, tr in enumerate(trials):
        tr.number = i
    assert [x.number for x in pareto_front(trials, ["minimize", "minimize"])] == [0, 1, 3]
    assert [x.number for x in pareto_front(trials, ["maximize", "maximize"])] == [0, 2, 3]
    assert [x.number for x in pareto_front(trials, ["minimize", "maximize"])] == [0]  # best on both


def test_studies_in_a_storage_listed_copied_and_deleted(tmp_path):
    url, other = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    study = nntune.create_study(study_name="one", storage=url, directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    study.set_user_attr("owner", "me")
    nntune.create_study(study_name="two", storage=url)
    assert nntune.get_all_study_names(url) == ["one", "two"]
    summaries = {s.study_name: s for s in nntune.get_all_study_summaries(url)}
    assert summaries["one"].n_trials == 2 and summaries["one"].directions == ["minimize", "maximize"]
    assert summaries["one"].user_attrs == {"owner": "me"} and summaries["two"].best_trial is None
    nntune.copy_study(from_study_name="one", from_storage=url, to_storage=other, to_study_name="copy")
    copied = nntune.load_study(study_name="copy", storage=other)
    assert [t.values for t in copied.trials] == [t.values for t in study.trials]
    assert copied.directions == study.directions
    nntune.delete_study(study_name="two", storage=url)
    assert nntune.get_all_study_names(url) == ["one"]


def test_logging_at_info_shows_each_trial(caplog):
    nlogging.enable_propagation()
    try:
        nlogging.set_verbosity(nlogging.INFO)
        with caplog.at_level(std_logging.INFO, logger="nntune"):
            nntune.create_study().optimize(quadratic, n_trials=2)
        assert "Trial 1 finished with value" in caplog.text and "Best is trial" in caplog.text
        caplog.clear()
        nlogging.set_verbosity(nlogging.WARNING)
        nntune.create_study().optimize(quadratic, n_trials=1)
        assert "Trial 0" not in caplog.text
    finally:
        nlogging.set_verbosity(nlogging.WARNING)
        nlogging.disable_propagation()


def test_logged_line_names_no_best_before_a_feasible_trial_and_uses_metric_names(caplog):
    # As Optuna's lines: trial 0 breaks its constraint, so there is no best to name yet;
    # named objectives read as {'loss': ...}.
    def objective(trial):
        trial.set_constraint("c", 1.0 if trial.number == 0 else -1.0)
        return 0.5 + trial.number

    nlogging.enable_propagation()
    try:
        nlogging.set_verbosity(nlogging.INFO)
        with caplog.at_level(std_logging.INFO, logger="nntune"):
            study = nntune.create_study()
            study.optimize(objective, n_trials=2)
            study.set_metric_names(["loss"])
            study.optimize(objective, n_trials=1)
            mo = nntune.create_study(directions=["minimize", "maximize"])
            mo.set_metric_names(["a", "b"])
            mo.optimize(lambda t: (1.0, 2.0), n_trials=1)
        # Each record is seen once per capturing handler: compare the lines in order, once each.
        lines = list(dict.fromkeys(r.getMessage() for r in caplog.records if "finished with" in r.getMessage()))
        assert lines == ["Trial 0 finished with value: 0.5 and parameters: {}.",
                         "Trial 1 finished with value: 1.5 and parameters: {}. Best is trial 1 with value: 1.5.",
                         "Trial 2 finished with value: {'loss': 2.5} and parameters: {}. "
                         "Best is trial 1 with value: 1.5.",
                         "Trial 0 finished with values: {'a': 1.0, 'b': 2.0} and parameters: {}."]
    finally:
        nlogging.set_verbosity(nlogging.WARNING)
        nlogging.disable_propagation()


def test_module_paths_optuna_users_import():
    import nntune.exceptions
    import nntune.study
    import nntune.trial

    assert nntune.trial.Trial is nntune.Trial and nntune.trial.TrialState.FAIL is TrialState.FAILED
    assert TrialState.FAILED.name == "FAIL" and TrialState("fail") is TrialState.FAILED
    assert nntune.exceptions.TrialPruned is nntune.TrialPruned
    assert nntune.study.MaxTrialsCallback is MaxTrialsCallback
    assert nntune.visualization.plot_slice and nntune.importance.get_param_importances
    assert nntune.storages.RDBStorage and nntune.artifacts.upload_artifact


def test_a_value_that_is_not_a_number_fails_the_trial_and_the_study_goes_on(caplog):
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        return "not a number" if trial.number == 0 else x

    study = nntune.create_study()
    nlogging.enable_propagation()  # optimize logs the failure as Optuna's does (tell warns)
    try:
        with caplog.at_level(std_logging.WARNING, logger="nntune"):
            study.optimize(objective, n_trials=3)
    finally:
        nlogging.disable_propagation()
    assert "objective returned 'not a number', which is not a number" in caplog.text
    assert [t.state for t in study.trials] == [TrialState.FAILED, TrialState.COMPLETE, TrialState.COMPLETE]
    assert study.trials[0].value is None and "not a number" in study.trials[0].error

    asked = study.ask()
    with pytest.warns(UserWarning, match="2 values for a study of 1 objective"):
        told = study.tell(asked, [0.5, 0.25])
    assert told.state == TrialState.FAILED and told.value is None
    assert study.storage.get_trial(study.id, asked.number).state == TrialState.FAILED  # never left running


def test_a_parameter_asked_again_another_way_in_one_trial_is_refused():
    study = nntune.create_study()

    def float_then_int(trial):
        trial.suggest_float("w", 0, 1)
        return trial.suggest_int("w", 0, 5)

    with pytest.raises(ConfigError, match="w: suggested as int after float in the same trial"):
        study.optimize(float_then_int, n_trials=1)
    assert study.trials[-1].state == TrialState.FAILED

    def other_choices(trial):
        trial.suggest_categorical("act", ["relu", "tanh"])
        return trial.suggest_categorical("act", ["relu", "gelu"])

    with pytest.raises(ConfigError, match="act: suggested with choices"):
        study.optimize(other_choices, n_trials=1)

    def same_kind_twice(trial):  # a changed range is allowed, as in Optuna: the first value stands
        first = trial.suggest_float("v", 0, 1)
        assert trial.suggest_float("v", 0, 2) == first and trial.suggest_categorical("c", [1, 2]) == \
            trial.suggest_categorical("c", [1, 2])
        return first

    with pytest.warns(RuntimeWarning, match=r"v: asked again in this trial as Float\(low=0.0, high=2.0") as seen:
        study.optimize(same_kind_twice, n_trials=2)
    assert [t.state for t in study.trials[-2:]] == [TrialState.COMPLETE] * 2
    assert len(seen) == 2 and all(w.filename == __file__ for w in seen)  # pointed at the objective's line


@pytest.mark.parametrize("kind", ["memory", "sqlite", "journal"])
def test_params_keep_the_order_they_were_suggested_in(tmp_path, kind):
    # Optuna's scripts print best_params in the order the objective asked: not alphabetical.
    storage = {"memory": None, "sqlite": f"sqlite:///{tmp_path / 's.db'}",
               "journal": f"journal:///{tmp_path / 's.log'}"}[kind]

    def objective(trial):
        n = trial.suggest_int("n_layers", 1, 3)
        units = [trial.suggest_int(f"units_{i}", 4, 8) for i in range(n)]
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        return lr * sum(units) + (trial.suggest_categorical("act", ["relu", "tanh"]) == "tanh")

    study = nntune.create_study(study_name="order", storage=storage, sampler=nntune.samplers.RandomSampler(seed=3))
    study.optimize(objective, n_trials=6)
    study = nntune.load_study(study_name="order", storage=storage or study.storage)
    for t in study.trials:
        n = t.params["n_layers"]
        expected = ["n_layers", *(f"units_{i}" for i in range(n)), "lr", "act"]
        assert list(t.params) == expected and list(t.distributions) == expected
    assert list(study.best_params) == list(study.best_trial.params)


def test_an_asked_trials_params_are_stored_at_once_and_survive_a_tell_by_number(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = nntune.create_study(study_name="a", storage=url)
    trial = study.ask({"x": FloatDistribution(0.0, 1.0)})
    y = trial.suggest_int("y", 1, 9)
    other = nntune.load_study(study_name="a", storage=url)  # as another process sees it
    assert other.trials[0].params == {"x": trial.params["x"], "y": y}
    study.tell(trial.number, 0.5)  # by number: Optuna scripts do
    assert list(study.trials[0].params) == ["x", "y"] and study.trials[0].state == TrialState.COMPLETE


def test_a_step_reported_twice_keeps_its_first_value_with_a_warning():
    study = nntune.create_study()
    trial = study.ask()
    trial.report(0.5, 3)
    with pytest.warns(UserWarning, match="step 3 is ignored"):
        trial.report(0.9, 3)
    trial.report(0.7, 4)
    study.tell(trial, 0.7)
    assert study.trials[0].intermediate_values == {3: 0.5, 4: 0.7}


def test_load_if_exists_without_a_direction_opens_the_study_as_it_was_made(tmp_path):
    url = f"sqlite:///{tmp_path}/l.db"
    nntune.create_study(study_name="mx", storage=url, direction="maximize").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    nntune.create_study(study_name="two", storage=url, directions=["maximize", "minimize"])
    again = nntune.create_study(study_name="mx", storage=url, load_if_exists=True)  # a worker's line
    assert again.direction == "maximize" and len(again.trials) == 2
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert again.best_value == max(t.value for t in again.trials)
    both = nntune.create_study(study_name="two", storage=url, load_if_exists=True)
    assert [str(d) for d in both.directions] == ["maximize", "minimize"]
    both.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1)
    with pytest.raises(ConfigError, match="created to maximize"):  # a direction that says otherwise
        nntune.create_study(study_name="mx", storage=url, direction="minimize", load_if_exists=True)


def test_load_study_without_a_name_opens_the_only_study(tmp_path):
    url = f"sqlite:///{tmp_path}/one.db"
    nntune.create_study(study_name="only", storage=url)
    assert nntune.load_study(study_name=None, storage=url).study_name == "only"
    nntune.create_study(study_name="second", storage=url)
    with pytest.raises(ValueError, match="exactly one study"):
        nntune.load_study(study_name=None, storage=url)


def test_telling_an_end_explicitly_is_checked_before_anything_is_written():
    study = nntune.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    for kwargs, words in (({"state": TrialState.COMPLETE}, "needs its values"),
                          ({"values": 1.0, "state": TrialState.FAILED}, "takes no values"),
                          ({"values": 1.0, "state": TrialState.PRUNED}, "takes no values"),
                          ({"values": [1.0, 2.0], "state": TrialState.COMPLETE}, "2 values for a study of 1")):
        with pytest.raises(ValueError, match=words):
            study.tell(trial, **kwargs)
        assert study.trials[0].state == TrialState.RUNNING  # left as it was
    with pytest.raises(ValueError, match="no such trial"):
        study.tell(99, 1.0)
    assert study.tell(trial, 0.5, state=TrialState.COMPLETE).value == 0.5
    # Without a state, as in optimize, a missing value fails the trial with a warning.
    other = study.ask()
    with pytest.warns(UserWarning, match="no value"):
        assert study.tell(other).state == TrialState.FAILED


def test_optimize_inside_optimize_is_refused_in_every_thread():
    study = nntune.create_study()

    def nested(trial):
        study.optimize(lambda t: 0.0, n_trials=1)
        return 0.0

    for jobs in (1, 2):
        with pytest.raises(RuntimeError, match="nested optimize"):
            study.optimize(nested, n_trials=2, n_jobs=jobs, catch=())
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # the study still runs after
    assert study.trials[-1].state == TrialState.COMPLETE


def test_a_live_trial_knows_when_it_started_and_what_was_drawn_together():
    study = nntune.create_study(sampler=nntune.samplers.TPESampler(seed=0, n_startup_trials=1))
    study.optimize(quadratic, n_trials=1)
    trial = study.ask()
    assert trial.datetime_start == study.get_trials(deepcopy=False)[-1].datetime_start is not None
    assert set(trial.relative_params) == {"x"}  # the space inferred from the first trial
    assert trial.suggest_float("x", -5, 5) == trial.relative_params["x"]


def test_an_in_memory_study_is_saved_with_pickle_and_goes_on_where_it_stopped(tmp_path):
    import pickle

    study = nntune.create_study(direction="maximize", sampler=nntune.samplers.TPESampler(seed=0, n_startup_trials=3))
    study.optimize(quadratic, n_trials=4)
    (tmp_path / "study.pkl").write_bytes(pickle.dumps(study))  # Optuna's FAQ, with joblib.dump
    again = pickle.loads((tmp_path / "study.pkl").read_bytes())
    assert [t.params for t in again.trials] == [t.params for t in study.trials]
    again.optimize(quadratic, n_trials=2, n_jobs=2)  # its locks are new ones
    assert len(again.trials) == 6 and len(study.trials) == 4
    assert again.best_value == max(t.value for t in again.trials)


def test_an_enqueued_value_is_checked_against_what_the_objective_asks():
    study = nntune.create_study()
    study.enqueue_trial({"n": 2.7, "c": "zzz", "x": 9.0})
    trial = study.ask()
    assert trial.suggest_int("n", 0, 5) == 2 and trial.params["n"] == 2  # the integer part, as Optuna
    with pytest.raises(ValueError, match="'zzz' is not among the choices"):
        trial.suggest_categorical("c", ["a", "b"])
    with pytest.warns(UserWarning, match="enqueued value 9.0 is outside"):
        assert trial.suggest_float("x", 0, 1) == 9.0  # out of range: used, with a warning


def test_optunas_small_names_on_trials_states_and_the_study():
    assert [TrialState(i) for i in range(5)] == [TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED,
                                                 TrialState.FAIL, TrialState.WAITING]  # Optuna's numbers
    seen = []

    class Watching(nntune.samplers.TPESampler):
        def before_trial(self, study, trial):
            seen.append(trial.number)

    study = nntune.create_study(sampler=Watching(seed=0), pruner=MedianPruner())
    study.optimize(quadratic, n_trials=3)
    assert seen == [0, 1, 2]  # a subclass's hook is called as each trial starts
    assert isinstance(study.pruner, MedianPruner) and study.pruner is study.scheduler
    assert [t.number for t in sorted(reversed(study.trials))] == [0, 1, 2]


def test_small_misuses_are_named_as_optuna_names_them():
    two = nntune.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="needs 2 values, got 1"):
        two.add_trial(create_trial(value=1.0))
    assert two.trials == []
    grid = nntune.create_study(sampler=nntune.samplers.GridSampler({"x": [0, 1]}))
    with pytest.raises(ValueError, match="y: not in the grid"):
        grid.optimize(lambda t: t.suggest_int("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1, catch=())
    study = nntune.create_study()
    trial = study.ask()
    with pytest.raises(TypeError, match="must be a number, got str"):
        trial.report("abc", 1)
    study.optimize(quadratic, n_trials=2)
    frame = study.trials_dataframe(attrs=("number", "distributions"))
    assert list(frame.columns) == ["number", "distributions_x"]
    assert frame["distributions_x"].iloc[1] == FloatDistribution(-5, 5)


@pytest.mark.parametrize("kind", ["memory", "sqlite", "journal"])
def test_a_told_trial_refuses_user_attrs_as_optunas_does(tmp_path, kind):
    storage = {"memory": None, "sqlite": f"sqlite:///{tmp_path}/s.db", "journal": f"journal:///{tmp_path}/s.log"}[kind]
    study = nntune.create_study(storage=storage, study_name="s")
    trial = study.ask()
    trial.set_user_attr("before", 1)
    study.tell(trial, trial.suggest_float("x", 0, 1))
    with pytest.raises(nntune.exceptions.UpdateFinishedTrialError, match="trial 0 has already finished"):
        trial.set_user_attr("after", 2)
    assert study.trials[0].user_attrs == {"before": 1}


def test_a_callback_reads_the_trials_per_step_metrics():
    seen = []

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(2):
            trial.report(x, step, metrics={"val_accuracy": step / 10})
        return x

    study = nntune.create_study()
    study.optimize(objective, n_trials=2, callbacks=[lambda s, t: seen.append(t.metrics)])
    assert seen == [[{"step": 0, "val_accuracy": 0.0}, {"step": 1, "val_accuracy": 0.1}]] * 2


def test_best_trials_of_one_objective_are_every_trial_tied_at_the_best_value():
    study = nntune.create_study(direction="maximize")  # Optuna gives trials [1, 2] for these values
    for value in (1.0, 3.0, 3.0, 2.0):
        study.tell(study.ask(), value)
    assert [t.number for t in study.best_trials] == [1, 2]
    assert study.best_trial.number == 1 and study.best_value == 3.0
    assert nntune.create_study().best_trials == []


def test_a_study_of_several_objectives_has_no_single_direction_as_in_optuna():
    study = nntune.create_study(directions=["minimize", "maximize"])
    with pytest.raises(RuntimeError, match="no single direction; read directions"):
        _ = study.direction
    assert [str(d) for d in study.directions] == ["minimize", "maximize"]
    assert "directions=" in repr(study)
    assert nntune.create_study(direction="maximize").direction == "maximize"
