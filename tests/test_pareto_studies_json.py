"""``nntune studies --json`` gives a study of several objectives no single best value."""

from __future__ import annotations

import json

import nntune


def test_a_study_of_several_objectives_has_no_best_value_in_json(call_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="two", storage=url, directions=["maximize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)
    one = nntune.create_study(study_name="one", storage=url, direction="maximize")
    one.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    code, out, err = call_cli("studies", "--storage", url, "--json")
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)["studies"]}
    assert rows["two"]["best_value"] is None and rows["two"]["objectives"]["front"] >= 1
    assert rows["one"]["best_value"] == max(t.value for t in one.trials)
