# What a script checks of the objects it is handed (a finished trial is a BaseTrial, every
# built-in sampler a BaseSampler), a grid search after a baseline added without parameters,
# an enqueued NaN, and steps counted in a tensor.
import math
import warnings

import torch

import optuna
from optuna.samplers import BaseSampler
from optuna.trial import BaseTrial, TrialState

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")  # Optuna's experimental warnings
RESULT = {}

study = optuna.create_study()
study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
RESULT["best_trial_is_base_trial"] = isinstance(study.best_trial, BaseTrial)
samplers = optuna.samplers
RESULT["samplers_are_base_samplers"] = [
    isinstance(s, BaseSampler) for s in (
        samplers.TPESampler(seed=0), samplers.RandomSampler(seed=0), samplers.GridSampler({"x": [0.5]}),
        samplers.QMCSampler(seed=0), samplers.GPSampler(seed=0), samplers.CmaEsSampler(seed=0),
        samplers.NSGAIISampler(seed=0), samplers.BruteForceSampler(seed=0),
        samplers.PartialFixedSampler({"x": 0.5}, samplers.RandomSampler(seed=0)))]

study = optuna.create_study(sampler=samplers.GridSampler({"x": [0.25, 0.5, 0.75]}, seed=0))
study.add_trial(optuna.trial.create_trial(value=3.0))  # a baseline measured elsewhere
study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=10)
RESULT["grid_after_baseline"] = sorted(t.params["x"] for t in study.trials if t.params)

study = optuna.create_study()
study.enqueue_trial({"x": math.nan})
try:
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    RESULT["enqueued_nan"] = "ran"
except ValueError:
    RESULT["enqueued_nan"] = "ValueError"
RESULT["enqueued_nan_state"] = study.trials[0].state == TrialState.FAIL


def by_tensor_epochs(trial):
    for epoch in torch.arange(3):
        trial.report(1.0 / (int(epoch) + 1), epoch)
    return 1.0 / 3


study = optuna.create_study()
study.optimize(by_tensor_epochs, n_trials=1)
RESULT["tensor_steps"] = sorted(int(s) for s in study.trials[0].intermediate_values)
