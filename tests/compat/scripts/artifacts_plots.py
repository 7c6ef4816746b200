# Checkpoints kept per trial through artifacts (Optuna's checkpointing recipe), and the
# visualization and importance modules. WORKDIR is a fresh directory.
import os

import optuna
from optuna.artifacts import FileSystemArtifactStore, download_artifact, upload_artifact

optuna.logging.set_verbosity(optuna.logging.WARNING)
RESULT = {}

os.makedirs(os.path.join(WORKDIR, "artifacts"))  # noqa: F821
store = FileSystemArtifactStore(base_path=os.path.join(WORKDIR, "artifacts"))  # noqa: F821


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    for step in range(3):
        trial.report((x - 1) ** 2 + y * y + 1.0 / (step + 1), step)
    path = os.path.join(WORKDIR, f"checkpoint-{trial.number}.txt")  # noqa: F821
    with open(path, "w") as f:
        f.write(f"{x} {y}")
    artifact_id = upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
    trial.set_user_attr("artifact_id", artifact_id)
    return (x - 1) ** 2 + y * y


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=20)
best = study.best_trial
target = os.path.join(WORKDIR, "restored.txt")  # noqa: F821
download_artifact(artifact_store=store, artifact_id=best.user_attrs["artifact_id"], file_path=target)
with open(target) as f:
    x, y = map(float, f.read().split())
RESULT["restored_matches"] = (x, y) == (best.params["x"], best.params["y"])

import plotly.graph_objects as go  # noqa: E402

plots = {
    "history": optuna.visualization.plot_optimization_history(study),
    "intermediate": optuna.visualization.plot_intermediate_values(study),
    "parallel": optuna.visualization.plot_parallel_coordinate(study),
    "contour": optuna.visualization.plot_contour(study, params=["x", "y"]),
    "slice": optuna.visualization.plot_slice(study),
    "importances": optuna.visualization.plot_param_importances(study),
    "edf": optuna.visualization.plot_edf(study),
    "timeline": optuna.visualization.plot_timeline(study),
}
RESULT["figures"] = {k: isinstance(v, go.Figure) for k, v in plots.items()}
importances = optuna.importance.get_param_importances(study)
RESULT["importance_names"] = sorted(importances)
RESULT["importance_sum"] = round(sum(importances.values()), 6)
RESULT["y_matters"] = importances["y"] > 0.0

multi = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0))
multi.optimize(lambda t: (t.suggest_float("a", 0, 1), 1 - t.suggest_float("b", 0, 1) ** 2), n_trials=10)
RESULT["pareto_figure"] = isinstance(optuna.visualization.plot_pareto_front(multi), go.Figure)
