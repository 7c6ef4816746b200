"""The contour's default pair over conditional parameters: two parameters that no complete
trial holds together (an SVM's C and a forest's depth), or that one trial holds (the default
search's SGD momentum), are passed over for a pair the trials share, so the page opens on a
surface rather than on "no complete trial has both parameters"."""

from __future__ import annotations

import nntune
from nntune.dashboard import RunningServer, create_app
from nntune.dashboard.plots import default_pair
from nntune.storage import SQLStorage

from tests.dashboard.test_api import get


def test_a_pair_the_complete_trials_never_hold_together_is_not_the_default(tmp_path):
    url = f"sqlite:///{tmp_path / 'cond.db'}"
    study = nntune.create_study("cond", url, sampler=nntune.samplers.RandomSampler(seed=2))

    def objective(trial: nntune.Trial) -> float:
        if trial.suggest_categorical("kind", ["svm", "forest"]) == "svm":
            return trial.suggest_float("C", 1e-3, 1e3, log=True) * trial.suggest_float("gamma", 0.1, 1.0)
        return float(trial.suggest_int("depth", 1, 10))

    # The forest first: its depth leads the space's numbers, and the SVM's C follows it.
    for kind in ["forest", "svm"] * 4:
        study.enqueue_trial({"kind": kind})
    study.optimize(objective, n_trials=12)
    with RunningServer(create_app(SQLStorage(url))) as server:
        code, body, _ = get(f"{server.url}/api/contour?study=cond")
    assert code == 200
    x, y = body["pair"]
    together = [t for t in study.trials if x in t.params and y in t.params]
    assert len(together) >= 3 and len(body["contour"]["number"]) == len(together)
    assert body["pair"] == ["C", "gamma"] and body["contour"]["grid"] is not None


def test_the_default_pair_keeps_the_first_parameter_and_changes_its_partner():
    counts = {frozenset(("lr", "momentum")): 1, frozenset(("lr", "units")): 6, frozenset(("momentum", "units")): 1}

    def shared(a: str, b: str) -> int:
        return counts.get(frozenset((a, b)), 0)

    names, numeric = ["lr", "optimizer", "momentum", "units"], ["lr", "momentum", "units"]
    assert default_pair(names, None, numeric) == ("lr", "momentum")  # without counts: the space's order
    assert default_pair(names, None, numeric, shared) == ("lr", "units")
    assert default_pair(names, {"momentum": 0.7, "units": 0.2, "lr": 0.1}, numeric, shared) == ("units", "lr")
    # Where no pair reaches three trials, the best any pair reaches is enough.
    assert default_pair(["a", "b", "c"], None, None, lambda a, b: 2 if {a, b} == {"b", "c"} else 0) == ("b", "c")
    # No complete trial yet: the space's first two, as before.
    assert default_pair(["a", "b", "c"], None, ["a", "b", "c"], lambda a, b: 0) == ("a", "b")
