import math

import pytest

import nntune
from nntune import TrialState
from nntune.samplers import GridSampler, RandomSampler


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    n = trial.suggest_int("n", 1, 64, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return (x - 2) ** 2 + math.log2(n) + (kind == "b")


def test_optimize_and_best():
    study = nntune.create_study(direction="minimize", sampler=RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=30)
    values = [t.value for t in study.trials]
    assert len(values) == 30 and all(t.state == TrialState.COMPLETE for t in study.trials)
    assert study.best_value == min(values)
    assert study.best_trial.number == values.index(min(values))
    assert set(study.best_params) == {"x", "n", "kind"}
    assert study.trials_dataframe().shape[0] == 30


def test_same_seed_same_trials_and_different_seed_differs():
    def run(seed):
        s = nntune.create_study(sampler=RandomSampler(seed=seed))
        s.optimize(quadratic, n_trials=10)
        return [t.params for t in s.trials]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_random_sampler_is_independent_of_history():
    # Trial k gets the same parameters whatever ran before it (workers, failures).
    s1 = nntune.create_study(sampler=RandomSampler(seed=5))
    s1.optimize(quadratic, n_trials=6)
    s2 = nntune.create_study(sampler=RandomSampler(seed=5))
    s2.optimize(lambda t: quadratic(t) * (1 if t.number % 2 else float("nan")), n_trials=6)
    assert [t.params for t in s1.trials] == [t.params for t in s2.trials]


def test_maximize_direction():
    study = nntune.create_study(direction="maximize", sampler=RandomSampler(seed=0))
    study.optimize(lambda t: -quadratic(t), n_trials=15)
    assert study.best_value == max(t.value for t in study.trials)


def test_enqueue_runs_named_configurations_first():
    study = nntune.create_study(sampler=RandomSampler(seed=0))
    study.enqueue_trial({"x": 2.0, "n": 1, "kind": "a"})
    study.enqueue_trial({"x": -1.0, "n": 4, "kind": "b"})
    study.optimize(quadratic, n_trials=4)
    trials = study.trials
    assert trials[0].params == {"x": 2.0, "n": 1, "kind": "a"} and trials[0].value == 0.0
    assert trials[1].params == {"x": -1.0, "n": 4, "kind": "b"}
    assert study.best_trial.number == 0


def test_a_trial_enqueued_with_user_attrs_gets_them_back_when_requeued(tmp_path):
    # A PBT replacement is enqueued with its parent's marks: after a crash or Ctrl-C it must
    # still continue its parent, not start afresh as an unmarked trial.
    study = nntune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", direction="maximize")
    study.enqueue_trial({"x": 0.5}, user_attrs={"pbt_parent": 3, "pbt_parent_step": 4})
    trial = study.ask()
    trial.set_user_attr("epochs", 2)
    assert study.storage.recover_trial(study.id, trial.number, "Ctrl-C", counted=False) == TrialState.WAITING
    again = study.ask()
    assert again.number == trial.number and again.suggest_float("x", 0, 1) == 0.5
    assert study.storage.get_trial(study.id, trial.number).user_attrs == {"pbt_parent": 3, "pbt_parent_step": 4}


def test_states_pruned_diverged_failed():
    def objective(trial):
        mode = trial.suggest_categorical("mode", ["ok", "prune", "nan", "diverge", "raise", "none"])
        for step in range(1, 4):
            trial.report(float(step), step)
        if mode == "prune":
            raise nntune.TrialPruned()
        if mode == "diverge":
            raise nntune.TrialDiverged(2)
        if mode == "raise":
            raise ValueError("bad thing")
        return {"ok": 1.0, "nan": float("nan"), "none": None}[mode]

    study = nntune.create_study(sampler=GridSampler({"mode": ["ok", "prune", "nan", "diverge", "raise", "none"]}))
    study.optimize(objective, n_trials=6, catch=(ValueError,))
    by_mode = {t.params["mode"]: t for t in study.trials}
    assert by_mode["ok"].state == TrialState.COMPLETE
    assert by_mode["prune"].state == TrialState.PRUNED and by_mode["prune"].value == 3.0
    assert by_mode["prune"].intermediate_values == {1: 1.0, 2: 2.0, 3: 3.0}  # curve kept
    assert by_mode["nan"].state == TrialState.DIVERGED
    assert by_mode["diverge"].state == TrialState.DIVERGED
    assert by_mode["diverge"].system_attrs["diverged_epoch"] == 2
    assert by_mode["raise"].state == TrialState.FAILED
    assert by_mode["raise"].error == "ValueError: bad thing"
    assert by_mode["none"].state == TrialState.FAILED
    assert study.counts() == {"complete": 1, "pruned": 1, "failed": 2, "diverged": 2}


def test_uncaught_exception_marks_failed_then_raises():
    study = nntune.create_study()
    with pytest.raises(RuntimeError):
        study.optimize(lambda t: (_ for _ in ()).throw(RuntimeError("x")), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.FAILED]


def test_timeout_uses_the_injected_clock():
    now = [0.0]

    def objective(trial):
        now[0] += 10.0
        return trial.suggest_float("x", 0, 1)

    study = nntune.create_study(clock=lambda: now[0])
    study.optimize(objective, timeout=35)
    assert len(study.trials) == 4  # started at 0, 10, 20, 30; not at 40
    assert "timeout" in study.stop_reason


def test_resume_from_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    s = nntune.create_study("resume", url, sampler=RandomSampler(seed=0))
    s.optimize(quadratic, n_trials=5)
    with pytest.raises(nntune.storage.DuplicatedStudyError):
        nntune.create_study("resume", url)
    again = nntune.create_study("resume", url, load_if_exists=True, sampler=RandomSampler(seed=0))
    again.optimize(quadratic, n_trials=3)
    assert [t.number for t in again.trials] == list(range(8))
    loaded = nntune.load_study("resume", url)
    assert loaded.best_value == min(t.value for t in again.trials)
    with pytest.raises(nntune.ConfigError, match="direction"):
        nntune.create_study("resume", url, load_if_exists=True, direction="maximize")


def test_user_attrs_and_trial_seed():
    study = nntune.create_study(sampler=RandomSampler(seed=3))

    def objective(trial):
        trial.set_user_attr("seed", trial.seed)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=3)
    seeds = [t.user_attrs["seed"] for t in study.trials]
    assert len(set(seeds)) == 3
    again = nntune.create_study(sampler=RandomSampler(seed=3))
    again.optimize(objective, n_trials=3)
    assert [t.user_attrs["seed"] for t in again.trials] == seeds


def test_suggest_returns_the_same_value_on_repeat_and_checks_bounds():
    study = nntune.create_study()
    trial = study.ask()
    a = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    assert trial.suggest_float("lr", 1e-5, 1e-1, log=True) == a
    assert 1e-5 <= a <= 1e-1
    assert trial.suggest_beta("beta2", 0.9, 0.999) <= 0.999
    with pytest.raises(nntune.ConfigError, match="^units.low"):
        trial.suggest_int("units", 10, 1)
    study.tell(trial, 1.0)
    assert study.trials[0].params.keys() == {"lr", "beta2"}


def test_grid_sampler_covers_the_grid_then_stops():
    study = nntune.create_study(sampler=GridSampler({"a": [1, 2, 3], "b": ["x", "y"]}, seed=0))
    study.optimize(lambda t: t.suggest_int("a", 1, 3) + len(t.suggest_categorical("b", ["x", "y"])),
                   n_trials=100)
    assert sorted((t.params["a"], t.params["b"]) for t in study.trials) == \
        [(a, b) for a in (1, 2, 3) for b in ("x", "y")]
    assert study.stop_reason == "every grid point has been tried"


def test_an_optuna_objective_runs_by_changing_the_import():
    optuna = pytest.importorskip("optuna")
    source = '''
def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    units = trial.suggest_int("units", 16, 256, step=16)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    trial.set_user_attr("note", "hi")
    value = 0.0
    for step in range(5):
        value = abs(lr - 1e-3) * 100 + layers + units / 256 + (act == "tanh") + 1.0 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise opt.TrialPruned()
    return value

study = opt.create_study(study_name="s", storage=None, direction="minimize",
                         sampler=opt.samplers.RandomSampler(seed=0), load_if_exists=False)
study.optimize(objective, n_trials=12, timeout=60)
result = (study.best_value, study.best_params, study.best_trial.number, len(study.trials),
          study.best_trial.user_attrs["note"])
'''
    for module in (optuna, nntune):
        scope = {"opt": module}
        exec(source, scope)
        best_value, best_params, number, n, note = scope["result"]
        assert n == 12 and note == "hi" and set(best_params) == {"lr", "layers", "units", "act"}


@pytest.mark.parametrize("scheduler", [nntune.schedulers.ASHA(min_resource=1, max_resource=27),
                                       nntune.schedulers.Hyperband(min_resource=1, max_resource=27)])
def test_should_prune_reads_the_history_only_at_rung_steps(scheduler):
    """A report at a step that is no rung costs no read of the whole history."""
    from nntune.storage.memory import InMemoryStorage

    class CountingStorage(InMemoryStorage):
        reads = 0

        def get_trials(self, *args, **kwargs):
            CountingStorage.reads += 1
            return super().get_trials(*args, **kwargs)

    study = nntune.create_study(storage=CountingStorage(), direction="maximize", scheduler=scheduler)
    trial = study.ask()
    CountingStorage.reads = 0
    decisions = []
    for step in range(1, 28):
        trial.report(step / 27, step)
        decisions.append(trial.should_prune())
    assert not any(decisions)  # alone at every rung, it goes on
    assert CountingStorage.reads == 3  # the rungs at epochs 1, 3 and 9


def test_the_package_loads_its_names_and_submodules_on_first_use():
    import subprocess
    import sys

    code = ("import sys, nntune\n"
            "assert 'torch' not in sys.modules and 'sqlalchemy' not in sys.modules\n"
            "assert nntune.exceptions.TrialPruned is nntune.TrialPruned\n"
            "assert nntune.samplers.TPESampler and nntune.create_study and nntune.trial.TrialState\n"
            "try:\n    nntune.no_such_name\nexcept AttributeError:\n    print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize("directions", [["minimize"], ["minimize", "maximize"]])
def test_telling_a_trial_taken_from_this_process_changes_nothing(directions):
    from nntune.storage import TrialTakenOver

    study = nntune.create_study(directions=directions, sampler=RandomSampler(seed=0))
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    # Its heartbeat stopped: the trial was recovered, claimed again and finished by that claim.
    store = study.storage
    store.recover_trial(study.id, trial.number, "no heartbeat", max_retries=1)
    other = store.claim_trial(study.id, number=trial.number).system_attrs["claim"]
    store.set_trial_system_attr(study.id, trial.number, "values", [0.5] * len(directions), claim=other)
    store.finish_trial(study.id, trial.number, TrialState.COMPLETE, 0.5, claim=other)
    with pytest.raises(TrialTakenOver, match="taken from this worker"):
        study.tell(trial, [0.9] * len(directions))
    stored = store.get_trial(study.id, trial.number)
    assert stored.params == {} and stored.value == 0.5 and stored.values == [0.5] * len(directions)
