"""Functional ANOVA on trees: a tree worked by hand, and a fitted forest against a brute
force average over a grid."""

from __future__ import annotations

import numpy as np
import pytest

from nntune._fanova import Tree, fanova_importances, leaf_boxes, main_effects


def hand_tree() -> Tree:
    # x0 <= 0.5 -> 0; else x1 <= 0.25 -> 4, else 8
    return Tree(left=np.array([1, -1, 3, -1, -1]), right=np.array([2, -1, 4, -1, -1]),
                feature=np.array([0, -2, 1, -2, -2]), threshold=np.array([0.5, -2, 0.25, -2, -2]),
                value=np.array([0.0, 0.0, 0.0, 4.0, 8.0]))


def test_a_tree_worked_by_hand():
    # Leaves: x0 < .5 (volume .5, value 0); x0 > .5, x1 < .25 (.125, 4); x0 > .5, x1 > .25 (.375, 8).
    # Mean 3.5; variance .5 * 3.5^2 + .125 * .5^2 + .375 * 4.5^2 = 13.75. Averaged over x1 the
    # tree is 0 or 7 along x0: variance 12.25; averaged over x0 it is 2 or 4 along x1:
    # .25 * 1.5^2 + .75 * .5^2 = 0.75; the remaining 0.75 is their interaction.
    effects, total = main_effects(hand_tree(), [0, 0], [1, 1])
    assert total == pytest.approx(13.75)
    assert effects == pytest.approx([12.25, 0.75])
    assert fanova_importances([hand_tree()], [0, 0], [1, 1]) == pytest.approx([12.25 / 13.75, 0.75 / 13.75])


def test_the_box_clips_the_leaves():
    lo, hi, v = leaf_boxes(hand_tree(), np.array([0.6, 0.0]), np.array([1.0, 1.0]))
    assert sorted(v) == [4.0, 8.0]  # the x0 <= 0.5 leaf lies outside the box
    effects, total = main_effects(hand_tree(), [0.6, 0], [1, 1])
    assert effects[0] == pytest.approx(0.0) and effects[1] == pytest.approx(total)


def test_a_fitted_forest_matches_a_brute_force_average():
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(300, 3))
    y = 4 * x[:, 0] ** 2 + np.sin(6 * x[:, 1]) + 0.3 * x[:, 0] * x[:, 2]
    forest = RandomForestRegressor(n_estimators=4, max_depth=6, random_state=0).fit(x, y)
    tree = forest.estimators_[0]
    effects, total = main_effects(Tree.from_sklearn(tree), [0, 0, 0], [1, 1, 1])
    # The same quantities on a 40^3 grid of cell centres: exact for a tree up to the grid's
    # resolution of its split points.
    g = (np.arange(40) + 0.5) / 40
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    f = tree.predict(grid).reshape(40, 40, 40)
    assert total == pytest.approx(f.var(), rel=0.05)
    for i in range(3):
        marginal = f.mean(axis=tuple(k for k in range(3) if k != i))
        assert effects[i] == pytest.approx(marginal.var(), rel=0.05, abs=1e-3 * total)
    shares = fanova_importances([Tree.from_sklearn(e) for e in forest.estimators_], [0] * 3, [1] * 3)
    assert shares[0] > shares[1] > shares[2] and shares.sum() <= 1.0 + 1e-9


def test_a_constant_tree_says_nothing():
    flat = Tree(np.array([-1]), np.array([-1]), np.array([-2]), np.array([-2.0]), np.array([3.0]))
    assert list(fanova_importances([flat], [0, 0], [1, 1])) == [0.0, 0.0]
