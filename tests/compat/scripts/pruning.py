# Pruning unpromising trials, as in Optuna's tutorial: report a curve, ask should_prune.
# The same configurations are enqueued in both runs, so every pruner sees the same curves
# and must stop the same trials.
import math

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

CONFIGS = [{"lr": lr, "width": w} for lr in (0.3, 0.03, 0.003, 0.1, 0.01) for w in (8, 32, 128)]


def objective(trial):
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    width = trial.suggest_int("width", 8, 128, log=True)
    loss = 1.0
    for step in range(12):
        loss = 0.2 + abs(math.log10(lr) + 1.5) * 0.3 + 8.0 / width + 0.5 * math.exp(-step * lr * 10)
        trial.report(loss, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


PRUNERS = {
    "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    "percentile": lambda: optuna.pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=1,
                                                          interval_steps=2),
    "threshold": lambda: optuna.pruners.ThresholdPruner(upper=1.0, n_warmup_steps=3),
    "patient": lambda: optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(n_startup_trials=2), patience=1),
    "nop": lambda: optuna.pruners.NopPruner(),
}

RESULT = {}
for name, make in PRUNERS.items():
    study = optuna.create_study(direction="minimize", pruner=make(),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    for config in CONFIGS:
        study.enqueue_trial(config)
    study.optimize(objective, n_trials=len(CONFIGS))
    RESULT[f"{name}_states"] = [t.state.name for t in study.trials]
    RESULT[f"{name}_best"] = study.best_value

# A pruner written for Optuna: stop any trial whose loss is still above 1 at step 5.
class LatePruner(optuna.pruners.BasePruner):
    def prune(self, study, trial):
        step = trial.last_step
        return step is not None and step >= 5 and trial.intermediate_values[step] > 1.0


study = optuna.create_study(pruner=LatePruner())
for config in CONFIGS:
    study.enqueue_trial(config)
study.optimize(objective, n_trials=len(CONFIGS))
RESULT["user_pruner_states"] = [t.state.name for t in study.trials]
pruned = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.PRUNED,))
RESULT["user_pruner_pruned_at"] = sorted(t.last_step for t in pruned)

# Successive halving and Hyperband stop some trials on a long run (their exact choices
# differ between the two libraries: rung bookkeeping and bracket assignment are their own).
for name, make in {"halving": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
                   "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=12,
                                                                         reduction_factor=3)}.items():
    study = optuna.create_study(pruner=make(), sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=30)
    RESULT[f"{name}_n_trials"] = len(study.trials)
    RESULT[f"{name}_some_pruned"] = any(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
