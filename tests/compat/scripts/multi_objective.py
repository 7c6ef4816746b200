# Multi-objective optimization, as in Optuna's tutorial: accuracy against model size.
# The same configurations are enqueued in both runs, so the Pareto fronts must agree.
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    width = trial.suggest_int("width", 4, 256, log=True)
    depth = trial.suggest_int("depth", 1, 4)
    accuracy = 1.0 - 0.5 / (width ** 0.5) - 0.05 * abs(depth - 2)
    params = width * width * depth
    return accuracy, params


RESULT = {}
study = optuna.create_study(directions=["maximize", "minimize"])
for width in (4, 16, 64, 256):
    for depth in (1, 2, 4):
        study.enqueue_trial({"width": width, "depth": depth})
study.optimize(objective, n_trials=12)
RESULT["directions"] = [d.name for d in study.directions]
RESULT["front"] = sorted(t.number for t in study.best_trials)
RESULT["front_values"] = sorted(tuple(t.values) for t in study.best_trials)
RESULT["columns"] = [c for c in study.trials_dataframe().columns if c.startswith("values")]

for sampler in (optuna.samplers.NSGAIISampler(seed=0, population_size=8),
                optuna.samplers.TPESampler(seed=0, n_startup_trials=8)):
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=24)
    name = type(sampler).__name__
    RESULT[f"{name}_n"] = len(study.trials)
    RESULT[f"{name}_front_nonempty"] = len(study.best_trials) > 0


def wrong_count(trial):
    return trial.suggest_float("x", 0, 1)


study = optuna.create_study(directions=["maximize", "minimize"])
study.optimize(wrong_count, n_trials=2)
RESULT["wrong_count_states"] = [t.state.name for t in study.trials]
try:
    study.best_trial
    RESULT["best_trial"] = "returned"
except RuntimeError:
    RESULT["best_trial"] = "RuntimeError"
