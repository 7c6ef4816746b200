# The study's everyday API, as Optuna's tutorials use it: ask and tell, enqueueing,
# adding finished trials, attributes, callbacks, threads, the trials table, and the
# functions over a storage's studies. WORKDIR is a fresh directory for the databases.
import os

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.study import MaxTrialsCallback, StudyDirection
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.WARNING)
RESULT = {}

# Ask-and-tell, with fixed distributions and every way of telling.
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
space = {"x": FloatDistribution(0.0, 1.0), "n": IntDistribution(1, 4), "act": CategoricalDistribution(["a", "b"])}
for i in range(6):
    trial = study.ask(space)
    value = trial.params["x"] * trial.params["n"]
    if i == 2:
        study.tell(trial, state=TrialState.PRUNED)
    elif i == 3:
        study.tell(trial.number, state=TrialState.FAIL)
    else:
        study.tell(trial, value)
RESULT["ask_tell_states"] = [t.state.name for t in study.trials]
RESULT["ask_params"] = sorted(study.trials[0].params)
RESULT["direction"] = study.direction == StudyDirection.MAXIMIZE
RESULT["directions"] = [d == StudyDirection.MAXIMIZE for d in study.directions]
try:
    study.tell(0, 1.0)
    RESULT["tell_twice"] = "accepted"
except Exception:
    RESULT["tell_twice"] = "raised"
study.tell(0, 1.0, skip_if_finished=True)

# Enqueue (skipping repeats), add finished trials made elsewhere.
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.enqueue_trial({"x": 0.5, "y": 2})
study.enqueue_trial({"x": 0.5, "y": 2}, skip_if_exists=True)
study.enqueue_trial({"x": 0.25, "y": 1}, user_attrs={"source": "manual"})
study.add_trial(optuna.trial.create_trial(params={"x": 0.1, "y": 0},
                                          distributions={"x": FloatDistribution(0, 1), "y": IntDistribution(0, 3)},
                                          value=0.1, intermediate_values={0: 0.5, 1: 0.2}))
study.add_trials([optuna.trial.create_trial(params={"x": 0.9, "y": 3},
                                            distributions={"x": FloatDistribution(0, 1),
                                                           "y": IntDistribution(0, 3)}, value=3.9)])


def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_int("y", 0, 3)
    trial.set_user_attr("double", 2 * x)
    return x + y


study.optimize(objective, n_trials=4, gc_after_trial=True)
RESULT["enqueue_n"] = len(study.trials)
RESULT["enqueued_params"] = [(t.params["x"], t.params["y"]) for t in study.get_trials(deepcopy=True)[:2]]
RESULT["added_values"] = sorted(t.value for t in study.trials if "double" not in t.user_attrs)
RESULT["added_intermediate"] = {int(k): v for k, v in study.trials[0].intermediate_values.items()}
RESULT["best_value"] = study.best_value
RESULT["best_trials"] = [t.number for t in study.best_trials]
RESULT["manual_attr"] = [t.user_attrs.get("source") for t in study.trials if t.user_attrs.get("source")]

frame = study.trials_dataframe()
RESULT["columns"] = list(frame.columns)
RESULT["frame_states"] = frame["state"].tolist()
small = study.trials_dataframe(attrs=("number", "value", "params", "state"))
RESULT["small_columns"] = list(small.columns)

study.set_user_attr("owner", "me")
RESULT["study_user_attrs"] = study.user_attrs
RESULT["completed"] = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

# Threads, callbacks and stop().
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=40, n_jobs=2,
               callbacks=[MaxTrialsCallback(10, states=(TrialState.COMPLETE,))])
RESULT["max_trials_complete"] = len(study.get_trials(states=(TrialState.COMPLETE,))) >= 10
RESULT["max_trials_stopped_early"] = len(study.trials) <= 12


def stop_at_three(study, trial):
    if trial.number == 2:
        study.stop()


study = optuna.create_study()
study.optimize(objective, n_trials=10, callbacks=[stop_at_three])
RESULT["stop_n"] = len(study.trials)
try:  # outside a search there is nothing to stop
    study.stop()
    RESULT["stop_outside"] = "no error"
except RuntimeError:
    RESULT["stop_outside"] = "RuntimeError"


def stop_from_the_objective(trial):
    if trial.number == 1:
        trial.study.stop()
    return objective(trial)


study.optimize(stop_from_the_objective, n_trials=10)
RESULT["stop_from_objective_n"] = len(study.trials)

# Studies in a database: load, list, copy, delete.
url = "sqlite:///" + os.path.join(WORKDIR, "studies.db")  # noqa: F821 - given by the runner
other = "sqlite:///" + os.path.join(WORKDIR, "copy.db")  # noqa: F821
study = optuna.create_study(study_name="first", storage=url, direction="maximize")
study.optimize(objective, n_trials=3)
optuna.create_study(study_name="second", storage=url)
again = optuna.load_study(study_name="first", storage=url)
RESULT["loaded_n"] = len(again.trials)
RESULT["names"] = sorted(optuna.get_all_study_names(storage=url))
summaries = optuna.get_all_study_summaries(storage=url)
RESULT["summaries"] = sorted((s.study_name, s.n_trials, s.direction == StudyDirection.MAXIMIZE) for s in summaries)
optuna.copy_study(from_study_name="first", from_storage=url, to_storage=other)
copied = optuna.load_study(study_name="first", storage=other)
RESULT["copied_values"] = [t.value for t in copied.trials] == [t.value for t in again.trials]
optuna.delete_study(study_name="second", storage=url)
RESULT["names_after_delete"] = optuna.get_all_study_names(storage=url)
