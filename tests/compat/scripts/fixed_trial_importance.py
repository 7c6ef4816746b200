# An objective checked at known values with FixedTrial before a search, the best
# configuration run again the same way, and the importance evaluators by Optuna's names.
# WORKDIR is a fresh directory.
import math
import warnings

import optuna
from optuna.importance import FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator
from optuna.trial import FixedTrial

optuna.logging.set_verbosity(optuna.logging.WARNING)
RESULT = {}
OFFSET = {"a": 0.0, "b": 10.0, "c": 20.0}


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", 1e-4, 1, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    for step in range(3):
        trial.report(x * x + step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    trial.set_user_attr("c_offset", OFFSET[c])
    return x * x + 3 * math.log10(y) + OFFSET[c]


RESULT["fixed_value"] = objective(FixedTrial({"x": 2.0, "y": 0.1, "c": "b"}))
fixed = FixedTrial({"x": 2.0, "y": 0.1, "c": "b"}, number=7)
objective(fixed)
RESULT["fixed_params"] = fixed.params
RESULT["fixed_number"] = fixed.number
RESULT["fixed_user_attrs"] = fixed.user_attrs
try:
    objective(FixedTrial({"x": 2.0}))
except ValueError:
    RESULT["missing_param"] = "ValueError"
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    RESULT["outside_value"] = objective(FixedTrial({"x": 9.0, "y": 0.1, "c": "a"}))
RESULT["outside_warned"] = any(issubclass(w.category, UserWarning) for w in caught)

study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=optuna.pruners.NopPruner())
study.optimize(objective, n_trials=200)
RESULT["rerun_equals_best"] = math.isclose(objective(FixedTrial(study.best_params)), study.best_value)
# The truth: c explains half the variance, x about 0.4, y under 0.1.
for name, evaluator in (("fanova", FanovaImportanceEvaluator(seed=0)),
                        ("mdi", MeanDecreaseImpurityImportanceEvaluator(seed=0))):
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    RESULT[f"{name}_order"] = list(importances)
    RESULT[f"{name}_sum"] = round(sum(importances.values()), 6)
    raw = optuna.importance.get_param_importances(study, evaluator=evaluator, normalize=False, params=["x", "c"])
    RESULT[f"{name}_raw_names"] = sorted(raw)
try:
    optuna.importance.get_param_importances(study, params=["nope"])
except ValueError:
    RESULT["unknown_param"] = "ValueError"
