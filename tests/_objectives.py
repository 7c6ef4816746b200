"""Objectives that worker processes import by name (well-behaved ones and ones that fail in
every way a trial can: raise, hang, exhaust memory, kill their own process), and studies
that several test files build alike."""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from nntune import Trial

MB = 1024 * 1024


def quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", 0, 8)
    return (x - 2) ** 2 + y


def eat_memory(cap_mb: int = 3000) -> None:
    """Grow resident memory by 32 MB every 50 ms (the supervisor should stop this)."""
    held = []
    while len(held) * 32 < cap_mb:
        held.append(np.ones(32 * MB // 8))
        time.sleep(0.05)
    raise AssertionError("the memory limit was never enforced")


def first_attempt(trial: Trial) -> bool:
    return not trial.study.storage.get_trial(trial.study.id, trial.number).system_attrs.get("retries")


def misbehaving(trial: Trial) -> float:
    """Trial 1 kills its own worker once, 2 raises, 3 hangs, 4 exhausts memory."""
    value = quadratic(trial)
    if trial.number == 1 and first_attempt(trial):
        os.kill(os.getpid(), signal.SIGKILL)
    if trial.number == 2:
        raise ValueError("boom in trial 2")
    if trial.number == 3:
        time.sleep(3600)
    if trial.number == 4:
        eat_memory()
    return value


def slow_quadratic(trial: Trial) -> float:
    time.sleep(0.05)
    return quadratic(trial)


def torch_fit(trial: Trial) -> float:
    """A small seeded torch training run: the same seed gives the same loss on CPU."""
    import torch

    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    units = trial.suggest_int("units", 4, 64, log=True)
    gen = torch.Generator().manual_seed(trial.seed)
    x = torch.randn(256, 8, generator=gen)
    y = x @ torch.randn(8, 1, generator=gen)
    torch.manual_seed(trial.seed)
    model = torch.nn.Sequential(torch.nn.Linear(8, units), torch.nn.Tanh(), torch.nn.Linear(units, 1))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for step in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    value = float(loss.detach())
    trial.report(value, 1)
    return value


def numpy_fit(trial: Trial) -> float:
    """Seeded gradient descent on a random least-squares problem (no torch to import)."""
    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    steps = trial.suggest_int("steps", 5, 50)
    rng = np.random.default_rng(trial.seed)
    x, w_true = rng.normal(size=(128, 6)), rng.normal(size=6)
    y = x @ w_true + 0.1 * rng.normal(size=128)
    w = rng.normal(size=6)
    for _ in range(steps):
        w -= lr * 2 * x.T @ (x @ w - y) / len(y)
    loss = float(np.mean((x @ w - y) ** 2))
    trial.report(loss, steps)
    return loss


def ray_mix(trial: Trial) -> float:
    """Trial 1 kills its own actor once, 2 raises, 3 hangs; the rest are quick."""
    value = quadratic(trial)
    if trial.number == 1 and first_attempt(trial):
        os.kill(os.getpid(), signal.SIGKILL)
    if trial.number == 2:
        raise ValueError("boom in trial 2")
    if trial.number == 3:
        time.sleep(3600)
    return value


def validation_loss_study(url: str, *, lr: float | None = None) -> None:
    """Study "loss" in ``url``: one trial of an objective that is its validation loss and
    logs accuracies beside it (and a learning rate with ``lr``), as a user's own loop does."""
    import nntune

    study = nntune.create_study(study_name="loss", storage=url, direction="minimize")

    def objective(trial: Trial) -> float:
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        for epoch in (1, 2, 3):
            loss = 1.0 / epoch
            record = {"train_loss": 0.9 * loss, "val_loss": loss,
                      "train_accuracy": 1 - 0.3 * loss, "val_accuracy": 1 - 0.4 * loss}
            trial.report(loss, epoch, metrics=record if lr is None else {**record, "lr": lr})
        return loss

    study.optimize(objective, n_trials=1)


FRONT = ((0.9, 900.0), (0.5, 100.0), (0.4, 800.0))  # trials 0 and 1 on the front, 2 dominated


def front_study(url: str, name: str, n_trials: int = 3, points: tuple[tuple[float, float], ...] = FRONT) -> None:
    """Study ``name`` in ``url`` of two objectives (maximize accuracy, minimize parameters)
    whose first ``n_trials`` trials are ``points`` in turn."""
    import nntune

    study = nntune.create_study(study_name=name, storage=url, directions=["maximize", "minimize"])
    study.set_metric_names(["accuracy", "parameters"])
    for a, b in points[:n_trials]:
        study.enqueue_trial({"a": a, "b": b})
    study.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1000)), n_trials=n_trials)


def tiny_front_config(tmp_path, study: str):  # -> nntune.config.Config
    """``nntune tune``'s config of two objectives (accuracy, params) on 300 digits: two
    random trials of one epoch, a one-layer MLP of 8 units, only the learning rate searched."""
    from nntune.config import parse_config

    return parse_config({"study": study, "storage": f"sqlite:///{tmp_path / 's.db'}",
                         "task": {"data": "digits", "train_size": 300, "metric": ["accuracy", "params"]},
                         "search": {"sampler": "random", "trials": 2, "seed": 0},
                         "space": {"lr": {"type": "float", "low": 1e-2, "high": 1e-1, "log": True}},
                         "fixed": {"epochs": 1, "units": 8, "layers": 1}})
