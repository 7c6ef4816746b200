"""``nntune trial set`` on a running member: a change taken at the member's last epoch acts
as on a trial that fit trains alone (fit asks for changes before it judges whether the
trial has ended)."""

from pathlib import Path

from nntune.config import parse_config
from nntune.executors import run_population
from nntune.runner import open_study, prepare


def prepared(epochs: int, enqueue=({"lr": 0.05},), **search):
    return prepare(parse_config({
        "study": "changes", "storage": "memory",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"executor": "population", "population": 1, "trials": len(enqueue), "seed": 3,
                   "enqueue": list(enqueue), **search},
        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}},
        "fixed": {"epochs": epochs, "batch_size": 128, "layers": 1, "units": 16}}))


def test_more_epochs_taken_at_the_last_epoch_train_on_as_fit_would():
    from nntune.builtin_stack import StackTrainer

    p = prepared(epochs=1)
    study = open_study(p)
    study.set_trial_params(0, {"epochs": 3})  # taken after epoch 1, the member's last as planned
    run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs), total=1, population=1)
    (trial,) = study.storage.get_trials(study.id, with_metrics=True)
    assert [r["epoch"] for r in trial.metrics] == [1, 2, 3]
    assert trial.user_attrs["epochs"] == 3


def test_a_member_that_took_dropout_keeps_its_model_though_another_is_better(tmp_path):
    """Its dropout masks were the stack's: a solo retrain taking the same changes would give
    another model than the one its value describes, so its file stays, as a member planned
    with dropout keeps its own."""
    from nntune.builtin_stack import StackTrainer

    # lr rising: trial 1 beats trial 0, whose file would otherwise go (retrained exactly).
    p = prepared(epochs=2, enqueue=({"lr": 0.001}, {"lr": 0.05}), checkpoint_dir=str(tmp_path))
    study = open_study(p)
    study.set_trial_params(0, {"dropout": 0.3})
    run_population(study, StackTrainer(p.cfg, p.space, p.splits, epochs=p.epochs, checkpoints=p.checkpoints),
                   total=2, population=1)
    first, second = study.storage.get_trials(study.id)
    assert second.value > first.value
    assert first.system_attrs.get("checkpoint") and Path(first.system_attrs["checkpoint"]).is_file()
