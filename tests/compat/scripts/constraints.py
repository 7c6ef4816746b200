# Constrained optimization, as in Optuna's FAQ: constraints_func returns values that must
# be <= 0; infeasible trials are kept with their constraint values, feasible ones preferred.
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
RESULT = {}


def objective(trial):
    x = trial.suggest_float("x", -15, 30)
    y = trial.suggest_float("y", -15, 30)
    trial.set_user_attr("constraint", (x - 3 + y, ))  # x + y <= 3
    return x * x + (y - 10) ** 2


def constraints(trial):
    return trial.user_attrs["constraint"]


for name, sampler in {"tpe": optuna.samplers.TPESampler(seed=0, n_startup_trials=10, constraints_func=constraints),
                      "nsga2": optuna.samplers.NSGAIISampler(seed=0, population_size=10,
                                                             constraints_func=constraints)}.items():
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=60)
    feasible = [t for t in study.trials if t.system_attrs["constraints"][0] <= 0]
    RESULT[f"{name}_constraints_stored"] = all(len(t.system_attrs["constraints"]) == 1 for t in study.trials)
    RESULT[f"{name}_best_is_feasible"] = study.best_trial.system_attrs["constraints"][0] <= 0
    RESULT[f"{name}_best_is_best_feasible"] = study.best_value == min(t.value for t in feasible)
    # The constrained optimum is 24.5 (the point of x + y = 3 nearest to (0, 10)).
    RESULT[f"{name}_near_optimum"] = 24.5 <= study.best_value < 3 * 24.5


# Optuna 5's way: the objective sets each constraint by name; every sampler prefers the
# feasible trials, and the best trial is the best feasible one.
def keyed_objective(trial):
    x = trial.suggest_float("x", -15, 30)
    y = trial.suggest_float("y", -15, 30)
    trial.set_constraint("sum", x + y - 3)
    trial.set_constraint("x_low", -x - 10)  # x >= -10
    return x * x + (y - 10) ** 2


for name, sampler in {"keyed_tpe": optuna.samplers.TPESampler(seed=0, n_startup_trials=10),
                      "keyed_nsga2": optuna.samplers.NSGAIISampler(seed=0, population_size=10)}.items():
    study = optuna.create_study(sampler=sampler)
    study.optimize(keyed_objective, n_trials=60)
    feasible = [t for t in study.trials if all(c <= 0 for c in t.constraints.values())]
    RESULT[f"{name}_keys"] = sorted({k for t in study.trials for k in t.constraints})
    RESULT[f"{name}_best_is_best_feasible"] = study.best_value == min(t.value for t in feasible)
    RESULT[f"{name}_near_optimum"] = 24.5 <= study.best_value < 3 * 24.5

study = optuna.create_study()
trial = study.ask()
trial.suggest_float("x", 0, 1)
trial.set_constraint("c", 1.0)
with __import__("warnings").catch_warnings(record=True) as caught:
    __import__("warnings").simplefilter("always")
    trial.set_constraint("c", -1.0)  # set once: the second is ignored with a warning
RESULT["second_set_warns"] = len(caught) >= 1
RESULT["live_constraints"] = trial.constraints
for bad in ("no number", float("nan")):
    try:
        trial.set_constraint("bad", bad)
        RESULT[f"bad_{bad!s}"] = "accepted"
    except (TypeError, ValueError) as err:
        RESULT[f"bad_{bad!s}"] = type(err).__name__
study.tell(trial, 0.5)
RESULT["frozen_constraints"] = study.trials[0].constraints
study.add_trial(optuna.trial.create_trial(params={"x": 0.1}, value=0.1,
                                          distributions={"x": optuna.distributions.FloatDistribution(0, 1)},
                                          constraints={"c": -2.0}))
RESULT["best_of_two"] = (study.best_value, study.best_trial.constraints)
fixed = optuna.trial.FixedTrial({"x": 0.5})
fixed.set_constraint("c", 0.25)
RESULT["fixed_constraints"] = fixed.constraints
