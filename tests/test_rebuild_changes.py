"""A trial changed while it trained (``nntune trial set``) is rebuilt with its changes at the
epochs it took them, for the test look and the model file: the model whose value was
reported, not the configuration it started as."""

from __future__ import annotations

import torch

from nntune._trial import derive_seed
from nntune.builtin import rebuild_model, taken_changes, trial_hyperparameters
from nntune.config import parse_config
from nntune.runner import open_study, prepare, run_tune
from nntune.train import evaluate, fit


def test_the_test_look_retrains_the_trial_with_the_changes_it_took(tmp_path):
    cfg = parse_config({"study": "changed", "storage": f"sqlite:///{tmp_path / 'c.db'}",
                        "task": {"data": "digits", "model": "mlp", "metric": "accuracy", "train_size": 0.4},
                        "search": {"trials": 1, "seed": 3}, "space": {},
                        "fixed": {"epochs": 4, "layers": 1, "units": 32, "optimizer": "sgd", "lr": 0.1,
                                  "batch_size": 64}})
    p = prepare(cfg)
    study = open_study(p)
    number = study.enqueue_trial({})
    study.set_trial_params(number, {"lr": 1e-4})  # taken at the first epoch boundary
    summary = run_tune(p, model_file=tmp_path / "m.pt")
    trial = study.storage.get_trial(study.id, number)
    assert taken_changes(study, number) == {1: {"lr": 1e-4}}
    assert [round(m["lr"], 6) for m in trial.metrics] == [0.1, 0.0001, 0.0001, 0.0001]

    def validation(model: torch.nn.Module) -> float:
        scores = evaluate(model, p.splits.x_val, p.splits.y_val, task_type="classification", metrics=("accuracy",),
                          n_classes=p.splits.n_classes)
        return float(scores["accuracy"])

    assert validation(rebuild_model(study, cfg, p.splits, trial)) == trial.value
    saved = torch.load(tmp_path / "m.pt", weights_only=True)["model"]
    rebuilt = rebuild_model(study, cfg, p.splits, trial).state_dict()
    assert all(torch.equal(saved[k], rebuilt[k]) for k in saved)  # the model file holds that model too
    assert summary.test is not None and summary.test.trial == number
    # Without the change the configuration trains another model (lr 0.1 for all four epochs).
    unchanged = fit(trial_hyperparameters(cfg, trial.params, None), p.splits, metric="accuracy", report=None,
                    seed=derive_seed(study.seed, number)).model.state_dict()
    assert not all(torch.equal(saved[k], unchanged[k]) for k in saved)
