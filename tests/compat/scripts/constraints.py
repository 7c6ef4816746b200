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
