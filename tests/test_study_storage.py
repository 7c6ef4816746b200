"""``study._storage`` as the samplers and pruners written for Optuna (an OptunaHub package,
a user's own ``BaseSampler``) call it: Optuna's signatures, trial ids and attribute writes.
Each sampler and pruner here runs under Optuna as well, the reference for what it should do."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import optuna
import pytest

import nntune
from nntune.exceptions import UpdateFinishedTrialError

optuna.logging.set_verbosity(optuna.logging.WARNING)
KEY = "MarkSampler:draw"


def mark_sampler(lib: ModuleType, seed: int) -> Any:
    """A sampler as an OptunaHub package writes one: its draw for a trial is kept as the
    trial's system attribute in ``before_trial`` and read back in ``sample_relative``."""
    TrialState = lib.trial.TrialState

    class MarkSampler(lib.samplers.BaseSampler):
        def __init__(self) -> None:
            self._rng = np.random.RandomState(seed)

        def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
            return {"x": lib.distributions.FloatDistribution(0.0, 1.0)}

        def before_trial(self, study: Any, trial: Any) -> None:
            storage = study._storage
            storage.set_trial_system_attr(trial._trial_id, KEY, float(self._rng.uniform()))
            storage.set_trial_user_attr(trial._trial_id, "MarkSampler:number", trial.number)
            seen = storage.get_n_trials(study._study_id, TrialState.COMPLETE)
            storage.set_study_system_attr(study._study_id, "MarkSampler:seen", seen)

        def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Any]) -> dict[str, Any]:
            storage = study._storage
            draw = storage.get_trial(trial._trial_id).system_attrs[KEY]
            assert storage.get_trial_system_attrs(trial._trial_id)[KEY] == draw
            number = storage.get_trial_number_from_id(trial._trial_id)
            assert storage.get_trial_id_from_study_id_trial_number(study._study_id, number) == trial._trial_id
            assert storage.get_study_system_attrs(study._study_id)["MarkSampler:seen"] <= number
            assert storage.get_study_directions(study._study_id)[0].name == "MINIMIZE"
            done = storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.COMPLETE,))
            if not done:
                return {"x": draw}
            return {"x": (draw + storage.get_best_trial(study._study_id).params["x"]) / 2}

        def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
            # The trial handed here has what before_trial stored (Optuna reads it from storage).
            return 1 + int(trial.system_attrs[KEY] * param_distribution.high)

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            # Optuna finishes the trial after this hook: the sampler may still write to it.
            study._storage.set_trial_system_attr(trial._trial_id, "MarkSampler:state", state.name)

    return MarkSampler()


def first_step_pruner(lib: ModuleType) -> Any:
    """A pruner that reads the history through the storage: a trial whose first step is
    worse than every complete trial's first step stops."""
    TrialState = lib.trial.TrialState

    class FirstStepPruner(lib.pruners.BasePruner):
        def prune(self, study: Any, trial: Any) -> bool:
            storage = study._storage
            assert trial.system_attrs[KEY] == storage.get_trial(trial._trial_id).system_attrs[KEY]
            mine = storage.get_trial(trial._trial_id).intermediate_values
            done = storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.COMPLETE,))
            return bool(done) and mine[0] > max(t.intermediate_values[0] for t in done)

    return FirstStepPruner()


def objective(lib: ModuleType) -> Any:
    def run(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0) + trial.suggest_int("n", 1, 4) / 100
        for step in range(2):
            trial.report((x - 0.3) ** 2 + step, step)
            if trial.should_prune():
                raise lib.TrialPruned()
        return (x - 0.3) ** 2
    return run


def _run(lib: ModuleType, storage: str | None) -> tuple[list[Any], Any]:
    study = lib.create_study(storage=storage, sampler=mark_sampler(lib, 3), pruner=first_step_pruner(lib))
    study.optimize(objective(lib), n_trials=8)
    rows = [(t.number, t.state.name, round(t.params["x"], 12), t.params["n"], t.system_attrs[KEY],
             t.system_attrs["MarkSampler:state"], t.user_attrs) for t in study.trials]
    return rows, study._storage.get_study_system_attrs(study._study_id)["MarkSampler:seen"]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_optuna_written_sampler_and_pruner_use_the_storage_as_under_optuna(tmp_path, kind):
    url = None if kind == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    rows, seen = _run(nntune, url)
    assert (rows, seen) == _run(optuna, None)
    assert {r[1] for r in rows} == {"COMPLETE", "PRUNED"}  # the pruner did stop some


@pytest.mark.parametrize("lib", [nntune, optuna], ids=["nntune", "optuna"])
def test_a_finished_trial_refuses_attribute_writes(lib, tmp_path):
    study = lib.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    trial_id = study.trials[0]._trial_id
    for write in (study._storage.set_trial_system_attr, study._storage.set_trial_user_attr):
        with pytest.raises(optuna.exceptions.UpdateFinishedTrialError if lib is optuna else UpdateFinishedTrialError):
            write(trial_id, "k", 1)
    assert "k" not in study.trials[0].system_attrs and "k" not in study.trials[0].user_attrs
    with pytest.raises(KeyError):
        study._storage.get_trial(trial_id + 10)


@pytest.mark.parametrize("lib", [nntune, optuna], ids=["nntune", "optuna"])
def test_trial_ids_name_one_trial_across_the_storages_studies(lib, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    first = lib.create_study(study_name="first", storage=url)
    first.enqueue_trial({"x": 0.25})
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    second = lib.create_study(study_name="second", storage=url)
    second.enqueue_trial({"x": 0.75})
    second.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)

    storage = second._storage
    theirs = storage.get_trial_id_from_study_id_trial_number(first._study_id, 0)
    ours = storage.get_trial_id_from_study_id_trial_number(second._study_id, 0)
    assert theirs != ours and ours == second.trials[0]._trial_id
    assert storage.get_trial(theirs).params == {"x": 0.25} and storage.get_trial(ours).params == {"x": 0.75}
    assert storage.get_trial_number_from_id(theirs) == 0
    assert [t._trial_id for t in storage.get_all_trials(first._study_id)] == [theirs]
    with pytest.raises(KeyError):
        storage.get_trial_id_from_study_id_trial_number(first._study_id, 1)


def test_a_studys_storage_view_opens_a_study_as_its_storage():
    study = nntune.create_study(study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    again = nntune.load_study(study_name="s", storage=study._storage)
    assert again.storage is study.storage
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
