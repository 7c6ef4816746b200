"""Quasi-random (Sobol) search."""

from __future__ import annotations

import math

import numpy as np

import nntune
from nntune import Beta, Float, Int, Space
from nntune.samplers import QMCSampler, RandomSampler
from nntune.samplers._qmc import sobol_point

SPACE = Space({"lr": Float(1e-4, 1.0, log=True), "beta": Beta(0.9, 0.999), "x": Float(-1.0, 1.0),
               "units": Int(1, 16)})


def suggestions(sampler, n: int) -> list[dict]:
    return [sampler.suggest(SPACE, [], number=k) for k in range(n)]


def test_same_seed_same_points_other_seed_other_points():
    assert suggestions(QMCSampler(seed=1, scramble=True), 8) == suggestions(QMCSampler(seed=1, scramble=True), 8)
    assert suggestions(QMCSampler(seed=1, scramble=True), 8) != suggestions(QMCSampler(seed=2, scramble=True), 8)
    # Unscrambled (the default, as Optuna's) the seed does not move the joint points.
    assert suggestions(QMCSampler(seed=1), 8) == suggestions(QMCSampler(seed=2), 8)


def test_point_k_is_point_k_of_the_sequence_whatever_the_order():
    s = QMCSampler(seed=5)
    forward = [s.suggest(SPACE, [], number=k) for k in range(6)]
    backward = [s.suggest(SPACE, [], number=k) for k in reversed(range(6))][::-1]
    assert forward == backward
    assert np.allclose(sobol_point(3, 4, 7), sobol_point(3, 4, 7))


def strata_hit(units: np.ndarray) -> list[int]:
    """Per column, how many of len(units) equal strata of [0, 1] hold a point."""
    n = len(units)
    return [len(set(np.minimum(n - 1, np.floor(col * n)).astype(int))) for col in units.T]


def test_16_points_fill_every_sixteenth_of_every_axis_on_its_own_scale():
    # Scrambled: unscrambled points lie on the strata's edges, where a round trip through
    # the log scale may tip one into the stratum below.
    units = np.array([SPACE.to_unit(p) for p in suggestions(QMCSampler(seed=0, scramble=True), 16)])
    assert strata_hit(units[:, :3]) == [16, 16, 16]
    # So the learning rate lands 4 times in each of its 4 decades (r = -4 * rand()).
    lrs = [p["lr"] for p in suggestions(QMCSampler(seed=0, scramble=True), 16)]
    decades = np.floor(np.log10(lrs)).astype(int)
    assert sorted(np.bincount(-decades - 1).tolist()) == [4, 4, 4, 4]
    # Independent random draws leave some strata empty.
    rand = np.array([SPACE.to_unit(p) for p in suggestions(RandomSampler(seed=0), 16)])
    assert min(strata_hit(rand[:, :3])) < 16


def test_define_by_run_parameters_get_their_own_stratified_sequence():
    s = QMCSampler(seed=0)
    dist = Float(0.0, 1.0)
    xs = [s.suggest_one("x", dist, [], number=k) for k in range(8)]
    assert sorted(math.floor(x * 8) for x in xs) == list(range(8))
    ys = [s.suggest_one("y", dist, [], number=k) for k in range(8)]
    assert xs != ys


def test_through_a_study():
    study = nntune.create_study(sampler=QMCSampler(seed=0), space=SPACE)
    study.optimize(lambda t: sum(abs(v) for v in t.suggest_space(SPACE).values()), n_trials=8)
    assert [t.params for t in study.trials] == suggestions(QMCSampler(seed=0), 8)


def test_a_qmc_sampler_without_a_seed_warns_as_optunas_since_processes_would_not_share_its_sequence(tmp_path,
                                                                                                 sampler_log):
    import warnings

    import nntune

    url = f"sqlite:///{tmp_path / 'q.db'}"
    first = nntune.create_study(study_name="q", storage=url, sampler=QMCSampler(scramble=True))
    second = nntune.load_study(study_name="q", storage=url, sampler=QMCSampler(scramble=True))
    said = [m for m in sampler_log.messages if "QMCSampler got no seed" in m]
    assert len(said) == 2 and "processes sharing a study must give" in said[0]
    assert first.sampler.seed != second.sampler.seed  # two sequences: what the warning is about
    sampler_log.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        QMCSampler(seed=1), QMCSampler(), QMCSampler(scramble=True, warn_asynchronous_seeding=False)
    assert not sampler_log.messages


def test_a_qmc_sampler_s_notes_are_silenced_by_the_logging_level_as_optunas(sampler_log):
    # Optuna logs them (optuna.logging.set_verbosity silences them); a Python warning did not
    # heed nntune.logging.set_verbosity.
    import nntune

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        return x + (trial.suggest_float("extra", 0, 1) if trial.number == 3 else 0)

    nntune.logging.set_verbosity(nntune.logging.ERROR)
    try:
        QMCSampler(scramble=True)
        nntune.create_study(sampler=QMCSampler(seed=0)).optimize(objective, n_trials=4)
    finally:
        nntune.logging.set_verbosity(nntune.logging.WARNING)
    assert not sampler_log.records
    nntune.create_study(sampler=QMCSampler(seed=0)).optimize(objective, n_trials=4)
    assert [r.name for r in sampler_log.records] == ["nntune.samplers._qmc"]  # Optuna's optuna.samplers._qmc


def test_the_default_is_optunas_unscrambled_sequence_with_its_parameters_still_apart():
    sampler = QMCSampler(seed=3)
    assert sampler.scramble is False and "scramble=False" in repr(sampler)
    from scipy.stats import qmc

    expected = qmc.Sobol(4, scramble=False).random(8)
    assert np.allclose([sobol_point(4, k, 3, scramble=sampler.scramble) for k in range(8)], expected)
    # A define-by-run parameter walks its own sequence: unscrambled, all would be equal.
    dist = Float(0.0, 1.0)
    assert [sampler.suggest_one("x", dist, [], number=k) for k in range(4)] != \
        [sampler.suggest_one("y", dist, [], number=k) for k in range(4)]
