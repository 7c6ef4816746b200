# Choosing a sampler, as in Optuna's tutorials: grid, brute force, partial fixing, TPE,
# quasi-random, Gaussian process, and a sampler written by the user.
import numpy as np

import optuna
from optuna.distributions import FloatDistribution
from optuna.samplers import BaseSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -3, 3)
    return (x - 2) ** 2 + (y + 1) ** 2


RESULT = {}

grid = {"x": [-4.0, 0.0, 2.0, 6.0], "y": [-1, 0, 2]}
study = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
study.optimize(objective, n_trials=50)  # stops by itself once the grid is done
RESULT["grid_n_trials"] = len(study.trials)
RESULT["grid_points"] = sorted((t.params["x"], t.params["y"]) for t in study.trials)
RESULT["grid_best"] = study.best_value


def discrete(trial):
    a = trial.suggest_categorical("a", ["relu", "tanh"])
    b = trial.suggest_int("b", 1, 3)
    c = trial.suggest_float("c", 0.0, 0.5, step=0.25)
    return {"relu": 0.0, "tanh": 1.0}[a] + b + c


study = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
study.optimize(discrete, n_trials=100)
RESULT["brute_n_trials"] = len(study.trials)
RESULT["brute_distinct"] = len({tuple(sorted(t.params.items())) for t in study.trials})
RESULT["brute_best"] = study.best_value

sampler = optuna.samplers.PartialFixedSampler({"y": -1}, optuna.samplers.TPESampler(seed=0, n_startup_trials=5))
study = optuna.create_study(sampler=sampler)
study.optimize(objective, n_trials=15)
RESULT["partial_fixed_y"] = sorted({t.params["y"] for t in study.trials})
RESULT["partial_fixed_n"] = len(study.trials)

study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5, multivariate=True,
                                                               constant_liar=True))
study.optimize(objective, n_trials=30, n_jobs=2)
RESULT["tpe_n_trials"] = len(study.trials)
done = sorted(study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)), key=lambda t: t.number)
RESULT["tpe_improved"] = study.best_value < min(t.value for t in done[:5])

study = optuna.create_study(sampler=optuna.samplers.QMCSampler(seed=0, qmc_type="halton", scramble=True))
study.optimize(objective, n_trials=16)
RESULT["qmc_n_trials"] = len(study.trials)
xs = np.array([t.params["x"] for t in study.trials])
RESULT["qmc_spread"] = bool(((xs > 0).sum() >= 5) and ((xs < 0).sum() >= 5))

study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0, n_startup_trials=4))
study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=7)
RESULT["gp_n_trials"] = len(study.trials)


# A sampler written by the user, in the style of Optuna's "User-Defined Sampler" tutorial:
# relative draws near the best trial so far, independent draws uniform.
class NearBestSampler(BaseSampler):
    def __init__(self, seed=None):
        self._rng = np.random.RandomState(seed)
        self.calls = {"relative": 0, "independent": 0, "after": 0}

    def infer_relative_search_space(self, study, trial):
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        self.calls["relative"] += 1
        best = study.best_trial
        out = {}
        for name, dist in search_space.items():
            if isinstance(dist, FloatDistribution):
                width = (dist.high - dist.low) * 0.1
                out[name] = float(np.clip(best.params[name] + self._rng.uniform(-width, width), dist.low, dist.high))
        return out

    def sample_independent(self, study, trial, param_name, param_distribution):
        self.calls["independent"] += 1
        if isinstance(param_distribution, FloatDistribution):
            return float(self._rng.uniform(param_distribution.low, param_distribution.high))
        return int(self._rng.randint(param_distribution.low, param_distribution.high + 1))

    def after_trial(self, study, trial, state, values):
        self.calls["after"] += 1


user = NearBestSampler(seed=0)
study = optuna.create_study(sampler=user)
study.optimize(objective, n_trials=20)
RESULT["user_sampler_n"] = len(study.trials)
RESULT["user_sampler_used_relative"] = user.calls["relative"] > 0
RESULT["user_sampler_after"] = user.calls["after"]
RESULT["user_sampler_good"] = study.best_value < 10.0
