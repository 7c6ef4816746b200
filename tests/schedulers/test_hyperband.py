"""Hyperband: the published bracket table, the seeded bracket assignment, and halving
within a bracket only."""

from __future__ import annotations

from collections import Counter

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.schedulers import Bracket, Decision, Hyperband, brackets, halvings
from nntune.trial import FrozenTrial, TrialState


def trial(number: int, curve: dict[int, float], state: TrialState = TrialState.PRUNED) -> FrozenTrial:
    return FrozenTrial(number=number, state=state, intermediate_values=dict(curve))


def test_brackets_have_the_published_sizes_for_81_epochs_and_eta_3() -> None:
    # Li et al., Table 1: n = ceil((s_max + 1) / (s + 1) * eta^s), r = R * eta^-s.
    assert [(b.index, b.n_configs, b.min_resource) for b in brackets(81, 3, 1)] == [
        (4, 81, 1), (3, 34, 3), (2, 15, 9), (1, 8, 27), (0, 5, 81)]


def test_each_bracket_halves_as_in_the_published_table() -> None:
    table = {4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
             3: [(34, 3), (11, 9), (3, 27), (1, 81)],
             2: [(15, 9), (5, 27), (1, 81)],
             1: [(8, 27), (2, 81)],
             0: [(5, 81)]}
    assert {b.index: halvings(b, 81, 3) for b in brackets(81, 3)} == table


def test_brackets_for_other_budgets_and_factors() -> None:
    assert [(b.n_configs, b.min_resource) for b in brackets(27, 3)] == [(27, 1), (12, 3), (6, 9), (4, 27)]
    # A minimum of 2 epochs scales every bracket's start; the sizes stay the paper's.
    assert [(b.n_configs, b.min_resource) for b in brackets(162, 3, 2)] == [
        (81, 2), (34, 6), (15, 18), (8, 54), (5, 162)]
    assert [(b.n_configs, b.min_resource) for b in brackets(16, 2)] == [
        (16, 1), (10, 2), (7, 4), (5, 8), (5, 16)]
    assert brackets(5, 3) == [Bracket(1, 3, 1), Bracket(0, 2, 3)]
    with pytest.raises(ConfigError):
        brackets(81, 1)


def test_bracket_assignment_is_a_seeded_pure_function_of_the_number_with_the_papers_shares() -> None:
    a, b = Hyperband(seed=7), Hyperband(seed=7)
    numbers = list(range(300))
    assert [a.bracket_of(n) for n in numbers] == [b.bracket_of(n) for n in reversed(numbers)][::-1]
    # Each cycle of 143 trials holds exactly n_configs trials of each bracket.
    counts = Counter(a.bracket_of(n).index for n in range(143, 286))
    assert counts == {4: 81, 3: 34, 2: 15, 1: 8, 0: 5}
    # The brackets are mixed from the first trials on, and the seed changes the deal.
    assert len({a.bracket_of(n).index for n in range(20)}) >= 3
    assert [a.bracket_of(n) for n in numbers] != [Hyperband(seed=8).bracket_of(n) for n in numbers]


def test_trials_are_judged_at_their_own_brackets_rungs_against_their_own_bracket() -> None:
    hb = Hyperband(min_resource=1, max_resource=9, reduction_factor=3, seed=0)
    assert [hb.rungs(b) for b in hb.brackets] == [[1, 3], [3], []]
    by_bracket: dict[int, list[int]] = {}
    for n in range(60):
        by_bracket.setdefault(hb.bracket_of(n).index, []).append(n)
    top, middle, full = by_bracket[2], by_bracket[1], by_bracket[0]
    # Bracket 2's trials at epoch 1: much better trials in other brackets do not count.
    others = [trial(n, {1: 0.0, 2: 0.0, 3: 0.0}) for n in middle[:6] + full[:6]]
    own = [trial(n, {1: v}) for n, v in zip(top[:3], [0.5, 0.6, 0.7])]
    history = [*others, *own]
    assert [hb.decide(t, 1, history, "minimize") for t in own] == [
        Decision.CONTINUE, Decision.STOP, Decision.STOP]
    # Bracket 1 starts at epoch 3: its trials go on through epoch 1 whatever their value.
    late = trial(middle[6], {1: 9.0})
    assert hb.decide(late, 1, [*history, late], "minimize") == Decision.CONTINUE
    late3 = trial(middle[6], {1: 9.0, 2: 9.0, 3: 9.0})
    assert hb.decide(late3, 3, [*history, late3], "minimize") == Decision.STOP
    # Bracket 0 trains every trial to the full budget.
    worst = trial(full[6], {e: 99.0 for e in range(1, 10)})
    assert all(hb.decide(worst, e, [*history, worst], "minimize") == Decision.CONTINUE
               for e in range(1, 10))
    assert hb.describe(late3) == {"bracket": 1, "rung": 0, "rung_step": 3}
    assert hb.describe(trial(full[6], {1: 1.0})) == {"bracket": 0}


def test_hyperband_study_end_to_end_prunes_within_brackets() -> None:
    hb = Hyperband(min_resource=1, max_resource=9, reduction_factor=3, seed=1)
    steps = 0

    def objective(t: nntune.Trial) -> float:
        nonlocal steps
        q = t.suggest_float("q", 0.0, 1.0)
        for epoch in range(1, 10):
            steps += 1
            t.report(q + 1 / epoch, epoch)
            if t.should_prune():
                raise nntune.TrialPruned()
        return q + 1 / 9

    study = nntune.create_study(scheduler=hb, seed=0)
    study.optimize(objective, n_trials=26)
    trials = study.trials
    assert steps < 26 * 9
    for t in trials:
        bracket = hb.bracket_of(t.number)
        if t.state == TrialState.PRUNED:
            assert t.last_step in hb.rungs(bracket)
            assert t.intermediate_values == {e: t.params["q"] + 1 / e for e in range(1, t.last_step + 1)}
        if bracket.index == 0:
            assert t.state == TrialState.COMPLETE


@pytest.mark.parametrize("make", [lambda: Hyperband(1, 9, 3, seed=-1),
                                  lambda: nntune.pruners.HyperbandPruner(max_resource=9, seed=-1),
                                  lambda: nntune.pruners.HyperbandPruner(seed=-1)])
def test_a_negative_seed_is_refused_where_it_is_given(make) -> None:
    # It was taken, and the first trial to reach a report failed in numpy's generator.
    with pytest.raises(ConfigError, match="^seed: must be an integer >= 0, got -1$"):
        make()
