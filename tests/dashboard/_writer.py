"""A study that runs in its own process and writes to a shared storage, epoch by epoch.

``python _writer.py URL STUDY TRIALS EPOCHS SECONDS_PER_EPOCH``: an objective with training
and validation loss and accuracy and a decaying learning rate per epoch, stopped early by
the median rule, so the dashboard has running, complete and pruned trials to follow.
"""

from __future__ import annotations

import math
import sys
import time

from nntune import create_study
from nntune.exceptions import TrialPruned
from nntune.schedulers import MedianStopping


def main(url: str, name: str, n_trials: int, epochs: int, pause: float) -> None:
    study = create_study(name, url, direction="maximize", scheduler=MedianStopping(n_startup_trials=2, n_warmup_steps=2),
                         load_if_exists=True, seed=0)
    study.storage.set_study_attr(study.id, "metric", "accuracy")

    def objective(trial):  # noqa: ANN001, ANN202
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        units = trial.suggest_int("units", 8, 256, log=True)
        final = 0.98 - 0.25 * abs(math.log10(lr) + 2.0) / 2 - 2.0 / units
        acc = 0.1
        for epoch in range(1, epochs + 1):
            time.sleep(pause)
            acc = final - (final - 0.1) * math.exp(-0.5 * epoch)
            rate = lr * 0.8 ** (epoch - 1)
            record = {"epoch": epoch, "train_loss": 2.3 * (1 - acc) * 0.9, "val_loss": 2.3 * (1 - acc),
                      "train_accuracy": min(1.0, acc + 0.02), "val_accuracy": acc, "lr": rate}
            trial.report(acc, epoch, record)
            if trial.should_prune():
                raise TrialPruned()
        return acc

    study.optimize(objective, n_trials=n_trials)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
