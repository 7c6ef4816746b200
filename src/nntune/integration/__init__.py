"""Other training frameworks reporting to a trial, by Optuna's names.

``PyTorchLightningPruningCallback(trial, monitor)`` reports a Lightning model's epochs to
the trial, with the whole epoch record nntune's diagnosis reads, and stops the fit when
the study's scheduler says so. Lightning is imported only when the name is used; without it,
making the callback raises an ImportError that says what to install.

``TensorBoardCallback(dirname, metric_name)``, passed to ``study.optimize(callbacks=...)``,
writes each completed trial for TensorBoard's HParams dashboard: its hyperparameters, its
value, and its learning curve when it reported intermediate values. The ``tensorboard``
package is imported only when the callback is made.

``MLflowCallback(tracking_uri, metric_name)`` and ``WeightsAndBiasesCallback(metric_name,
wandb_kwargs)`` log each finished trial to MLflow or W&B as Optuna's do, with its learning
curve when it reported intermediate values; mlflow and wandb are imported only when a
callback is made.

``PyTorchIgnitePruningHandler(trial, metric, trainer)`` (attached to an Ignite evaluator's
``Events.COMPLETED``) and ``SkorchPruningCallback(trial, monitor)`` (among a skorch net's
callbacks) do for Ignite and skorch what the Lightning callback does: each epoch reported
with a record diagnosis reads, the trial stopped when the scheduler says so. Each package is
imported only when its name is used.

``KerasPruningCallback(trial, monitor)`` does the same for a Keras 3 ``model.fit`` on the
PyTorch backend (``KERAS_BACKEND=torch``), so a model written for KerasTuner is tuned unchanged;
``KerasTunerHyperParameters(trial)`` is the ``hp`` its ``build_model(hp)`` takes, each
``hp.Int``, ``hp.Float``, ``hp.Choice`` drawn by the study's sampler.

``OptunaSearchCV(estimator, param_distributions, n_trials=10, cv=5, ...)`` is scikit-learn's
search estimator over a study (a skorch net is a scikit-learn estimator), with Optuna's
arguments and attributes (``best_estimator_``, ``cv_results_``, ``study_``).

``TorchDistributedTrial(trial)`` shares one trial among the processes of a torch.distributed
(DDP) job: rank 0 wraps the study's trial, the others wrap ``None``, and each call runs on
rank 0 with its answer, or its error, broadcast to every rank.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["KerasPruningCallback", "KerasTunerHyperParameters", "MLflowCallback", "OptunaSearchCV",
           "PyTorchIgnitePruningHandler",
           "PyTorchLightningPruningCallback", "SkorchPruningCallback", "TensorBoardCallback", "TorchDistributedTrial", "WeightsAndBiasesCallback"]

# Classes that subclass or type-check against their framework's own, so the module that
# defines them imports the framework: name -> (module, the framework's import names, pip name).
_FRAMEWORK_CLASSES = {
    "PyTorchLightningPruningCallback": ("_lightning", ("lightning", "lightning.pytorch"), "lightning"),
    "PyTorchIgnitePruningHandler": ("_ignite", ("ignite", "ignite.engine"), "pytorch-ignite"),
    "SkorchPruningCallback": ("_skorch", ("skorch", "skorch.callbacks"), "skorch"),
    "KerasPruningCallback": ("_keras", ("keras",), "keras"),
}


def _framework_class(name: str) -> Any:
    module, imports, package = _FRAMEWORK_CLASSES[name]
    try:
        return getattr(importlib.import_module(f"nntune.integration.{module}"), name)
    except ImportError as err:
        from nntune.integration._optional import unavailable

        if err.name == "tensorflow" and "keras" in imports:  # Keras 3 reads its backend at import
            return unavailable(name, f"{name}: Keras is set to run on TensorFlow, which is not installed; set "
                                     "KERAS_BACKEND=torch before keras is imported (or \"backend\": \"torch\" "
                                     "in ~/.keras/keras.json)")
        if err.name not in imports:
            raise  # the framework is there but lacks a dependency of its own: that error names it
        return unavailable(name, f"{name} needs the {package} package: pip install {package}")


def __getattr__(name: str) -> Any:
    if name in _FRAMEWORK_CLASSES:
        return _framework_class(name)
    if name == "KerasTunerHyperParameters":
        from nntune.integration._keras_tuner import KerasTunerHyperParameters

        return KerasTunerHyperParameters
    if name == "TensorBoardCallback":
        from nntune.integration._tensorboard import TensorBoardCallback

        return TensorBoardCallback
    if name == "MLflowCallback":
        from nntune.integration._mlflow import MLflowCallback

        return MLflowCallback
    if name == "WeightsAndBiasesCallback":
        from nntune.integration._wandb import WeightsAndBiasesCallback

        return WeightsAndBiasesCallback
    if name == "OptunaSearchCV":
        from nntune.integration._sklearn import OptunaSearchCV

        return OptunaSearchCV
    if name == "TorchDistributedTrial":
        from nntune.integration._distributed import TorchDistributedTrial

        return TorchDistributedTrial
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
