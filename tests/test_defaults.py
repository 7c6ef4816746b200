"""What ``create_study()`` and ``load_study()`` use when no sampler or scheduler is given."""

from __future__ import annotations

import nntune
from nntune.samplers import RandomSampler, TPESampler
from nntune.schedulers import ASHA, MedianStopping, NoScheduler
from nntune.trial import TrialState


def curves(trial: nntune.Trial) -> float:
    """A learning rate whose curve ranks configurations from the first epoch on."""
    x = trial.suggest_float("x", 0.0, 1.0)
    for epoch in range(1, 7):
        trial.report(x * epoch / 6, epoch)
        if trial.should_prune():
            raise nntune.TrialPruned()
    return x


def test_a_study_without_sampler_or_scheduler_gets_the_measured_defaults():
    study = nntune.create_study(direction="maximize", seed=5)
    assert isinstance(study.sampler, TPESampler) and isinstance(study.scheduler, ASHA)
    s = study.sampler
    assert (s.seed, s.n_startup_trials, s.startup, s.centre_first) == (5, 5, "sobol", True)
    # The good group: a twentieth of the ranked trials (Optuna's a tenth), 1 to 25.
    assert [s.gamma(n) for n in (5, 20, 21, 40, 100, 1000)] == [1, 1, 2, 2, 5, 25]
    # Printed as chosen: what differs from TPESampler's own defaults is named.
    assert repr(s) == ("TPESampler(seed=5, n_startup_trials=5, n_ei_candidates=24, multivariate=True, "
                       "startup='sobol', centre_first=True, gamma=few_trials_gamma)")
    assert (study.scheduler.min_resource, study.scheduler.max_resource, study.scheduler.reduction_factor) == (1, None, 2)
    assert study.scheduler.noise_margin == 2.0 and study.scheduler.first_reduction_factor is None
    # Either one given keeps the other's default; Optuna's name for the scheduler too.
    assert isinstance(nntune.create_study(pruner=MedianStopping()).sampler, TPESampler)
    assert isinstance(nntune.create_study(sampler=RandomSampler(0)).scheduler, ASHA)


def zdt1(trial: nntune.Trial) -> tuple[float, float]:
    """ZDT1 in 6 dimensions: two objectives to minimize, a convex front at x1..x5 = 0."""
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
    g = 1.0 + 9.0 * sum(x[1:]) / 5
    return x[0], g * (1.0 - (x[0] / g) ** 0.5)


def test_several_objectives_get_tpe_without_stopping_and_a_wider_front_than_random_search():
    study = nntune.create_study(directions=["maximize", "minimize"], seed=1)
    assert isinstance(study.sampler, TPESampler) and isinstance(study.scheduler, NoScheduler)
    assert study.sampler.constant_liar and study.sampler.seed == 1
    assert repr(study.sampler) == "TPESampler(seed=1, n_startup_trials=10, n_ei_candidates=24, multivariate=True)"

    from nntune._hypervolume import hypervolume

    def volume(sampler: object) -> float:
        s = nntune.create_study(directions=["minimize", "minimize"], sampler=sampler)
        s.optimize(zdt1, n_trials=40)
        return hypervolume([t.values for t in s.trials], [1.1, 11.0])

    # Measured in benchmarks/multi_objective.py: ahead in 10 of 10 seeds at 40 trials.
    wins = sum(volume(nntune.create_study(directions=["minimize", "minimize"], seed=seed).sampler)
               > volume(RandomSampler(seed)) for seed in range(5))
    assert wins >= 4, wins


def test_the_defaults_are_seeded_stop_bad_curves_and_model_from_trial_six(tmp_path):
    runs = []
    for _ in range(2):
        study = nntune.create_study(direction="maximize", seed=11)
        study.optimize(curves, n_trials=14)
        runs.append([(t.state, t.params["x"]) for t in study.trials])
    assert runs[0] == runs[1]
    assert runs[0][0][1] == 0.5  # the centre first
    states = [s for s, _ in runs[0]]
    assert TrialState.PRUNED in states and states.count(TrialState.COMPLETE) >= 3
    # From trial six on TPE models the good region, pruned trials included.
    assert max(x for _, x in runs[0][5:]) > max(x for _, x in runs[0][:5])
    assert sorted(x for _, x in runs[0][5:])[len(runs[0][5:]) // 2] > 0.7
    url = f"sqlite:///{tmp_path / 'd.db'}"
    nntune.create_study("a", url, direction="maximize", seed=11)
    reopened = nntune.load_study("a", url)
    assert isinstance(reopened.sampler, TPESampler) and reopened.sampler.seed == 11
    assert isinstance(reopened.scheduler, ASHA)


def test_the_default_tpe_lies_about_running_trials_which_changes_nothing_one_at_a_time():
    study = nntune.create_study(direction="maximize", seed=3)
    assert study.sampler.constant_liar
    plain = nntune.create_study(direction="maximize", sampler=TPESampler(
        seed=3, n_startup_trials=5, startup="sobol", centre_first=True, constant_liar=False))
    for s in (study, plain):
        s.optimize(curves, n_trials=10)
    assert [t.params for t in study.trials] == [t.params for t in plain.trials]
