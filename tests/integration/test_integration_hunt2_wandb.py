"""The W&B callback's ``wandb_kwargs`` as ``wandb.init`` takes them, with W&B offline: the
runs are read back from their transaction logs (``test_wandb``'s reader)."""

from __future__ import annotations

import pytest

import nntune
from nntune.integration._wandb import WeightsAndBiasesCallback
from tests.integration.lazy_module import lazy, needed
from tests.integration.test_wandb import offline, offline_runs  # noqa: F401  (the fixture)

wandb = lazy("wandb")
_needs = needed("wandb")


def _study_of_two(callback: WeightsAndBiasesCallback) -> nntune.Study:
    study = nntune.create_study(study_name="tagged", sampler=nntune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2, callbacks=[callback])
    return study


def test_tags_none_is_no_tags_in_multirun_mode(offline):  # noqa: F811
    study = _study_of_two(WeightsAndBiasesCallback("loss", wandb_kwargs={"tags": None}, as_multirun=True))
    runs = offline_runs(offline)
    assert len(runs) == len(study.trials) == 2
    assert [run["tags"] for run in runs] == [["tagged"], ["tagged"]]


def test_one_string_is_one_tag_not_its_letters(offline):  # noqa: F811
    _study_of_two(WeightsAndBiasesCallback("loss", wandb_kwargs={"tags": "cnn"}, as_multirun=True))
    assert [run["tags"] for run in offline_runs(offline)] == [["cnn", "tagged"], ["cnn", "tagged"]]


def test_a_searched_parameter_replaces_the_kwargs_config_default_in_its_run(offline):  # noqa: F811
    # A base config with a default for a searched parameter: each trial's run records the
    # value the trial used (W&B refuses a changed config value unless told to allow it).
    callback = WeightsAndBiasesCallback("loss", wandb_kwargs={"config": {"x": 5.0, "batch": 32}}, as_multirun=True)
    study = _study_of_two(callback)
    configs = sorted((run["config"] for run in offline_runs(offline)), key=lambda c: c["x"])
    assert configs == [{"direction": ["MINIMIZE"], "batch": 32, "x": pytest.approx(x)}
                       for x in sorted(t.params["x"] for t in study.trials)]
