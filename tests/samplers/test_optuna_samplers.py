"""Samplers Optuna users name: a user's BaseSampler, partial fixing, brute force, the
constant liar, Halton points, and NSGA-II's pure parts."""

from __future__ import annotations

import numpy as np
import pytest

import nntune
from nntune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from nntune.exceptions import ConfigError
from nntune.samplers import BaseSampler, BruteForceSampler, NSGAIISampler, PartialFixedSampler, QMCSampler, TPESampler
from nntune.samplers._nsga import crowding_distance, nondominated_fronts, pareto_scores, pareto_view
from nntune.samplers._tpe import with_liars
from nntune.search_space import intersection_search_space
from nntune.space import Choice, Float, Int, Space
from nntune.trial import FrozenTrial, TrialState


def test_distributions_by_optunas_names_are_nntunes():
    assert FloatDistribution(1e-4, 1.0, log=True) == Float(1e-4, 1.0, log=True)
    assert IntDistribution(1, 9, step=2) == Int(1, 9, step=2)
    c = CategoricalDistribution(choices=["a", "b"])
    assert c == Choice(("a", "b")) and isinstance(c, CategoricalDistribution) and c.choices == ("a", "b")
    assert not isinstance(Float(0, 1), CategoricalDistribution)


def test_distributions_have_the_methods_an_optuna_sampler_calls():
    c = CategoricalDistribution(choices=["a", None, 3])
    assert [c.to_internal_repr(v) for v in ("a", None, 3)] == [0.0, 1.0, 2.0]
    assert [c.to_external_repr(r) for r in (0.0, 1.0, 2.0)] == ["a", None, 3]
    assert IntDistribution(1, 9).to_external_repr(4.0) == 4 and FloatDistribution(0, 1).to_internal_repr(1) == 1.0
    assert [d.single() for d in (c, CategoricalDistribution(["x"]), IntDistribution(2, 2), IntDistribution(1, 3, step=5),
                                 FloatDistribution(0.5, 0.5), FloatDistribution(0, 1))] == \
        [False, True, True, True, True, False]
    with pytest.raises(ValueError):
        c.to_internal_repr("zzz")


class MidpointSampler(BaseSampler):
    """Relative: the middle of each float range; independent: the low end."""

    def __init__(self):
        self.log = []

    def infer_relative_search_space(self, study, trial):
        return intersection_search_space(study.get_trials(deepcopy=False))

    def sample_relative(self, study, trial, search_space):
        self.log.append(("relative", trial.number, sorted(search_space)))
        return {k: (d.low + d.high) / 2 for k, d in search_space.items() if isinstance(d, FloatDistribution)}

    def sample_independent(self, study, trial, param_name, param_distribution):
        self.log.append(("independent", trial.number, param_name))
        return param_distribution.low

    def after_trial(self, study, trial, state, values):
        self.log.append(("after", trial.number, state, values))


def test_a_sampler_written_for_optuna_drives_the_study():
    user = MidpointSampler()
    study = nntune.create_study(sampler=user)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 4.0) + t.suggest_int("n", 1, 3), n_trials=2)
    assert [t.params for t in study.trials] == [{"x": 0.0, "n": 1}, {"x": 2.0, "n": 1}]
    assert ("independent", 0, "x") in user.log and ("relative", 1, ["n", "x"]) in user.log
    assert ("after", 1, TrialState.COMPLETE, [3.0]) in user.log
    with pytest.raises(TypeError):
        BaseSampler()  # the three methods are required


def test_partial_fixed_keeps_its_values_and_lets_the_base_choose_the_rest():
    space = Space({"a": Float(0, 1), "b": Int(1, 5)})
    s = PartialFixedSampler({"b": 4}, TPESampler(seed=0, n_startup_trials=2))
    for n in range(4):
        p = s.suggest(space, [], number=n)
        assert p["b"] == 4 and 0 <= p["a"] <= 1
    assert s.suggest_one("b", Int(1, 5), [], number=9) == 4


def test_brute_force_tries_every_combination_once_then_stops():
    def objective(trial):
        return trial.suggest_int("b", 1, 3) + trial.suggest_float("c", 0.0, 0.5, step=0.25) + \
            (trial.suggest_categorical("a", ["x", "y"]) == "y")

    for jobs in (1, 2):
        study = nntune.create_study(sampler=BruteForceSampler(seed=0))
        study.optimize(objective, n_trials=100, n_jobs=jobs)
        combos = {tuple(sorted(t.params.items())) for t in study.trials}
        assert len(combos) == 18, jobs
        # Under threads, a trial may start before the one running the last path has drawn it.
        assert len(study.trials) == 18 if jobs == 1 else len(study.trials) <= 18 + 1
        assert study.best_value == 1.0
    with pytest.raises(ConfigError, match="x: brute force needs a discrete"):
        BruteForceSampler().suggest(Space({"x": Float(0, 1)}), [], number=0)


def test_constant_liar_tells_running_trials_at_the_worst_value():
    history = [FrozenTrial(0, TrialState.COMPLETE, {"x": 1}, value=1.0),
               FrozenTrial(1, TrialState.COMPLETE, {"x": 2}, value=5.0),
               FrozenTrial(2, TrialState.RUNNING, {"x": 3}),
               FrozenTrial(3, TrialState.RUNNING)]
    lied = with_liars(history, "minimize")
    assert [(t.state, t.value) for t in lied[2:]] == [(TrialState.COMPLETE, 5.0), (TrialState.RUNNING, None)]
    assert with_liars(history, "maximize")[2].value == 1.0
    assert with_liars(history[2:], "minimize") == history[2:]  # nothing complete: no lie


def test_threads_store_suggestions_at_once_so_the_liar_sees_them():
    seen = []

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        stored = trial.study.storage.get_trial(trial.study.id, trial.number, with_metrics=False)
        seen.append("x" in stored.params)
        return x

    study = nntune.create_study(sampler=TPESampler(seed=0, constant_liar=True, n_startup_trials=2))
    study.optimize(objective, n_trials=6, n_jobs=2)
    assert len(study.trials) == 6 and all(seen)


def test_halton_points_and_a_bad_qmc_type():
    s = QMCSampler(seed=0, qmc_type="halton")
    xs = [s.suggest(Space({"x": Float(0, 1)}), [], number=n)["x"] for n in range(8)]
    assert len(set(xs)) == 8 and sum(x < 0.5 for x in xs) == 4  # evenly spread
    with pytest.raises(ConfigError, match="qmc_type"):
        QMCSampler(qmc_type="lattice")


def test_nondominated_sorting_and_crowding():
    points = np.array([[1.0, 4.0], [2.0, 2.0], [4.0, 1.0], [3.0, 3.0], [5.0, 5.0]])
    assert nondominated_fronts(points) == [[0, 1, 2], [3], [4]]
    cd = crowding_distance(points[[0, 1, 2]])
    assert np.isinf(cd[0]) and np.isinf(cd[2]) and cd[1] == pytest.approx(2.0)
    scores = pareto_scores(points)
    assert scores[0] == scores[2] == 0.0 and 0 < scores[1] < 1 <= scores[3] < 2 <= scores[4]


def test_pareto_view_turns_several_values_into_one_to_minimize():
    trials = [FrozenTrial(0, TrialState.COMPLETE, value=0.9, system_attrs={"values": [0.9, 100.0]}),
              FrozenTrial(1, TrialState.COMPLETE, value=0.5, system_attrs={"values": [0.5, 200.0]}),
              FrozenTrial(2, TrialState.RUNNING)]
    view = pareto_view(trials, ["maximize", "minimize"])
    assert view[0].value == 0.0 and view[1].value >= 1.0 and view[2] is trials[2]
    assert trials[1].value == 0.5  # the stored trial is untouched


def test_nsga2_children_come_from_the_elite():
    space = Space({"x": Float(0, 1), "k": Int(0, 9)})
    history = [FrozenTrial(i, TrialState.COMPLETE, {"x": i / 10, "k": i}, value=float(i)) for i in range(8)]
    s = NSGAIISampler(population_size=4, seed=0, mutation_prob=0.0, crossover_prob=1.0)
    for n in range(8, 12):
        child = s.suggest(space, history, number=n)
        assert child["k"] in range(4) and child["x"] <= 0.3 + 1e-9  # parents: the best four
    assert s.suggest(space, history, number=9) == s.suggest(space, history, number=9)
    with pytest.raises(ConfigError, match="population_size"):
        NSGAIISampler(population_size=1)


def test_nsga2_on_two_objectives_finds_a_front():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return x, (1 - x) + y

    study = nntune.create_study(directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=6, seed=1))
    study.optimize(objective, n_trials=30)
    front = study.best_trials
    assert front and all(t.params["y"] < 0.5 for t in front[-3:])


@pytest.mark.parametrize("make", [lambda **kw: QMCSampler(seed=0, **kw),
                                  lambda **kw: nntune.samplers.GPSampler(seed=0, n_startup_trials=2, **kw)],
                         ids=["qmc", "gp"])
def test_a_parameter_outside_the_joint_space_is_warned_of_and_drawn_by_the_independent_sampler(make, sampler_log):
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 3:  # a branch no earlier trial took
            return x + trial.suggest_float("extra", 0, 1)
        return x

    import warnings

    quiet = nntune.create_study(sampler=make(warn_independent_sampling=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # silenced: not a word
        quiet.optimize(objective, n_trials=4)
    assert not sampler_log.messages
    loud = nntune.create_study(sampler=make(independent_sampler=nntune.samplers.RandomSampler(seed=5)))
    loud.optimize(objective, n_trials=4)
    # logged, as Optuna's (its logging level silences it)
    assert [m.split(", outside")[0] for m in sampler_log.messages] == ["extra in trial 3 is drawn on its own by "
                                                                        "RandomSampler"]
    assert loud.trials[3].params["extra"] == nntune.samplers.RandomSampler(seed=5).suggest_one(
        "extra", FloatDistribution(0, 1), [], number=3)
    make(independent_sampler=MidpointSampler())  # a sampler written for Optuna is taken, as Optuna takes it


def test_brute_force_tries_every_path_of_a_conditional_space_once():
    def objective(trial):
        if trial.suggest_categorical("model", ["mlp", "cnn"]) == "mlp":
            return trial.suggest_int("layers", 1, 3)
        return trial.suggest_categorical("kernel", [3, 5]) / 10

    for seed in range(4):
        for jobs in (1, 2):
            study = nntune.create_study(sampler=BruteForceSampler(seed=seed))
            study.optimize(objective, n_trials=50, n_jobs=jobs)
            paths = {tuple(t.params.items()) for t in study.trials}
            assert len(paths) == 5, (seed, jobs, paths)  # 3 MLPs and 2 CNNs
            assert len(study.trials) == 5 if jobs == 1 else len(study.trials) <= 5 + 1


def test_a_trial_that_has_drawn_only_its_first_values_keeps_the_rest_of_its_path():
    # Two trials in turns, as two threads run them: A draws b, then B draws its whole path,
    # then A draws a. Without A's plan, B could take the one value of a left under A's b.
    for seed in range(12):
        study = nntune.create_study(sampler=BruteForceSampler(seed=seed))
        for _ in range(3):  # 6 paths, two trials at a time
            first, second = study.ask(), study.ask()
            b = first.suggest_int("b", 1, 3)
            second_path = (second.suggest_int("b", 1, 3), second.suggest_categorical("a", ["x", "y"]))
            first_path = (b, first.suggest_categorical("a", ["x", "y"]))
            assert first_path != second_path, seed
            study.tell(first, 0.0)
            study.tell(second, 0.0)
        assert len({tuple(t.params.items()) for t in study.trials}) == 6, seed
        assert study.sampler.is_exhausted(None, study.trials)


def test_the_brute_force_tree_knows_what_is_left_at_each_node():
    from nntune.samplers._brute_force import Node, choose, exhausted, grow

    root = Node()
    grow(root, [("a", 3, 0), ("b", 2, "x")], finished=True)
    grow(root, [("a", 3, 0), ("b", 2, "y")], finished=True)
    grow(root, [("a", 3, 1)], finished=False)  # running: it may ask more
    assert not exhausted(root)
    rng = np.random.default_rng(0)
    assert {choose(root, {}, "a", [0, 1, 2], rng) for _ in range(20)} == {2}  # the value nobody took
    grow(root, [("a", 3, 2)], finished=True)
    assert exhausted(root, running_counts=True) and not exhausted(root, running_counts=False)
    assert choose(root, {"a": 1}, "c", [7, 8], rng) in (7, 8)  # past the known tree anything is new
    with pytest.raises(ConfigError, match="same parameter after the same values"):
        grow(root, [("z", 2, 0)], finished=True)


def test_constrained_view_ranks_infeasible_trials_below_feasible_ones():
    from nntune.samplers import constrained_view, violation

    def t(n, value, c):
        return FrozenTrial(n, TrialState.COMPLETE, value=value, system_attrs={"constraints": c})

    history = [t(0, 5.0, [-1.0]), t(1, 1.0, [2.0, 0.5]), t(2, 3.0, [0.0]), t(3, 0.5, [0.1])]
    assert violation(history[1]) == 2.5
    view = constrained_view(history, "minimize")
    assert [x.value for x in view] == [5.0, 8.5, 3.0, 6.1]  # worst feasible 5, plus 1, plus violation
    assert [x.value for x in constrained_view(history, "maximize")] == [5.0, -0.5, 3.0, 1.9]
    assert history[1].value == 1.0


def test_constraints_func_is_stored_and_best_trials_are_feasible():
    sampler = TPESampler(seed=0, n_startup_trials=3, constraints_func=lambda t: [t.params["x"] - 0.5])
    study = nntune.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    assert all(t.system_attrs["constraints"] == [t.params["x"] - 0.5] for t in study.trials)
    assert study.best_value <= 0.5 and any(t.value > 0.5 for t in study.trials)
    multi = nntune.create_study(directions=["maximize", "maximize"], sampler=NSGAIISampler(
        population_size=4, seed=0, constraints_func=lambda t: [t.params["x"] - 0.5]))
    multi.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=8)
    assert all(t.params["x"] <= 0.5 for t in multi.best_trials) and multi.best_trials


def test_constraints_set_by_the_objective_are_read_by_every_sampler_and_the_best_trial():
    from nntune.samplers import RandomSampler
    from nntune.trial import constraint_values

    # Both stored forms read together; a keyed value wins over a listed one of its key.
    assert constraint_values({"constraints": [1.0, -2.0], "constraints:0": -1.0, "constraints:cost": 3}) == \
        {"0": -1.0, "1": -2.0, "cost": 3.0}

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraint("x_at_most_half", x - 0.5)
        return x

    for sampler in (TPESampler(seed=0, n_startup_trials=3), RandomSampler(seed=0)):
        study = nntune.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=12)
        assert all(t.constraints == {"x_at_most_half": t.params["x"] - 0.5} for t in study.trials)
        assert study.best_value <= 0.5 and any(t.value > 0.5 for t in study.trials)
        # What the sampler is handed: every infeasible trial below every feasible one.
        seen, direction = study.sampler_view(study.get_trials(deepcopy=False))
        feasible = [t.value for t in seen if t.params["x"] <= 0.5]
        assert max(t.value for t in seen if t.params["x"] > 0.5) < min(feasible)


def test_partial_fixed_over_a_sampler_written_for_optuna_holds_its_values_and_forwards_the_hooks():
    user = MidpointSampler()
    study = nntune.create_study(sampler=PartialFixedSampler({"n": 2}, user))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 4.0) + t.suggest_int("n", 1, 3), n_trials=3)
    assert [t.params for t in study.trials] == [{"x": 0.0, "n": 2}, {"x": 2.0, "n": 2}, {"x": 2.0, "n": 2}]
    # The held parameter left the base's joint space; the base saw each trial end.
    assert ("relative", 1, ["x"]) in user.log and ("independent", 1, "n") not in user.log
    assert [e[:2] for e in user.log if e[0] == "after"] == [("after", 0), ("after", 1), ("after", 2)]
    assert isinstance(study.sampler, PartialFixedSampler)


def test_partial_fixed_forwards_the_trial_hooks_to_an_nntune_base():
    class Counting(TPESampler):
        ended: list[int] = []

        def after_trial(self, study, trial, state, values):
            self.ended.append(trial.number)

    base = Counting(seed=0, n_startup_trials=2)
    study = nntune.create_study(sampler=PartialFixedSampler({"n": 2}, base))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + t.suggest_int("n", 1, 3), n_trials=3)
    assert base.ended == [0, 1, 2] and all(t.params["n"] == 2 for t in study.trials)


def test_a_model_based_sampler_warns_of_a_branch_only_after_its_start_up_trials(sampler_log):
    # Optuna's GP sampler warns once its start-up trials are complete: before that every
    # parameter is drawn on its own anyway (a warning per trial was noise).
    def objective(trial):
        if trial.suggest_categorical("k", ["a", "b"]) == "a":
            return trial.suggest_float("y", 0, 1)
        return trial.suggest_float("z", 0, 1)

    study = nntune.create_study(sampler=nntune.samplers.GPSampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=7)
    warned = sorted({int(m.split(" in trial ")[1].split()[0]) for m in sampler_log.messages
                     if "is drawn on its own" in m})
    assert warned and warned[0] >= 5
