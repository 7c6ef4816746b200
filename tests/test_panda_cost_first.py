"""A babysat study of several objectives whose first is a cost (``metric: [params,
accuracy]``): its epochs report accuracy, so the best epoch's snapshot kept and the live
view's diagnosis read them as accuracy (maximized), not in the cost's direction (they kept
the worst epoch's snapshot as the best one)."""

from pathlib import Path

from nntune.config import parse_config
from nntune.panda import checkpoint_dir, open_babysit_study, queue_new, snapshots, train_queued


def config(tmp_path: Path, metric: list[str]):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / 'p.db'}",
        "task": {"data": "digits", "model": "mlp", "metric": metric},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "checkpoints": {"keep_last": 1, "keep_best": True},
        "fixed": {"epochs": 5, "layers": 1, "units": 16, "batch_size": 128, "lr": 0.3, "optimizer": "sgd"},
    })


def test_the_trained_metric_s_direction_is_its_own_not_the_first_objective_s(tmp_path):
    task = config(tmp_path, ["params", "accuracy"]).task
    assert (task.resolved_direction, task.trained_direction) == ("minimize", "maximize")
    assert config(tmp_path, ["accuracy", "params"]).task.trained_direction == "maximize"
    assert config(tmp_path, ["params", "loss"]).task.trained_direction == "minimize"


def test_the_best_accuracy_epoch_s_snapshot_is_kept_when_a_cost_comes_first(tmp_path):
    cfg = config(tmp_path, ["params", "accuracy"])
    study = open_babysit_study(cfg)
    trial = train_queued(study, cfg, queue_new(study, cfg)).trial
    values = trial.intermediate_values
    assert len(values) == 5 and len(set(values.values())) > 1, values
    best = max(sorted(values), key=lambda e: (values[e], -e))
    worst = min(sorted(values), key=lambda e: (values[e], e))
    kept = set(snapshots(checkpoint_dir(cfg, study), trial.number))
    assert kept == {best, 5}  # the last (what a resume continues from) and the best accuracy's
    assert worst not in kept  # read in the cost's direction, the worst epoch was kept as the best
