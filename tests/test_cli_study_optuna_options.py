"""``studies``, ``export`` and ``delete-study`` take Optuna's option names: ``--study-name``,
``--storage-class`` and (``studies``) ``-f``/``--flatten`` with Optuna's columns."""

from __future__ import annotations

import json

import pytest
import yaml

import nntune


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    one = nntune.create_study(study_name="one", storage=url, direction="maximize")
    one.set_user_attr("owner", "ann")
    trial = one.ask()
    one.tell(trial, 1.0)
    nntune.create_study(study_name="two", storage=url, directions=["minimize", "maximize"])
    return url


def test_studies_prints_optunas_rows_in_each_format(call_cli, url):
    code, out, err = call_cli("studies", "--storage", url, "--storage-class", "RDBStorage", "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [list(r) for r in rows] == [["name", "direction", "n_trials", "datetime_start", "user_attrs"]] * 2
    assert rows[0]["direction"] == ["MAXIMIZE"] and rows[0]["n_trials"] == 1 and rows[0]["datetime_start"]
    assert rows[1] == {"name": "two", "direction": ["MINIMIZE", "MAXIMIZE"], "n_trials": 0,
                       "datetime_start": None, "user_attrs": {}}
    assert rows[0]["user_attrs"] == {"owner": "ann"}
    code, out, _ = call_cli("studies", "--storage", url, "-f", "yaml")
    assert code == 0 and yaml.safe_load(out) == rows
    code, out, _ = call_cli("studies", "--storage", url, "-f", "table", "--flatten")
    assert code == 0 and "direction_1" in out.splitlines()[1] and "user_attrs_owner" in out.splitlines()[1]
    code, _, err = call_cli("studies", "--storage", url, "-f", "xml")
    assert code == 2 and err.startswith("nntune: error: --format:")


def test_studies_table_and_value_give_the_directions_as_json_names_them(call_cli, url):
    # Not a Python list's ['MINIMIZE', 'MAXIMIZE']: the names json and yaml give, plainly.
    code, out, err = call_cli("studies", "--storage", url, "-f", "table")
    assert code == 0, err
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in out.splitlines()[3:-1]}
    assert rows == {"one": "MAXIMIZE", "two": "MINIMIZE, MAXIMIZE"}
    code, out, err = call_cli("studies", "--storage", url, "-f", "value")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["one", "MAXIMIZE", "1"]
    assert lines[1].split()[:3] == ["two", "MINIMIZE,MAXIMIZE", "0"]  # one word for a shell's read


def test_export_and_delete_study_take_study_name_and_storage_class(call_cli, url):
    code, out, err = call_cli("export", "--storage", url, "--storage-class", "RDBStorage", "--study-name", "one")
    assert code == 0, err
    assert out.startswith("number,value,")
    code, _, err = call_cli("delete-study", "--storage", url, "--storage-class", "RDBStorage",
                            "--study-name", "two", "--yes")
    assert code == 0, err
    assert nntune.get_all_study_names(url) == ["one"]


def test_the_studies_table_written_to_a_pipe_cuts_nothing_short(call_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="a-study-with-a-long-descriptive-name", storage=url, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    code, out, err = call_cli("studies", "--storage", url)
    assert code == 0, err
    assert "a-study-with-a-long-descriptive-name" in out and "maximize" in out and "…" not in out


def test_the_leaderboard_of_show_written_to_a_pipe_keeps_each_trial_on_one_line(call_cli, tmp_path):
    # Into a file there is no screen to fit: `nntune show > out.txt; grep optimizer=rmsprop`
    # finds each trial's hyperparameters whole, on its row.
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="piped", storage=url, direction="maximize",
                                sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        trial.suggest_categorical("optimizer", ["rmsprop", "momentum"])
        trial.suggest_categorical("lr_schedule", ["constant", "cosine"])
        return trial.suggest_float("a_rather_long_parameter_name", 0.0, 1.0)

    study.optimize(objective, n_trials=3)
    code, out, err = call_cli("show", "--storage", url, "--study", "piped")
    assert code == 0, err
    for t in study.trials:
        (row,) = [line for line in out.splitlines() if line.startswith(f"│ {t.number:>5} │")]
        assert f"optimizer={t.params['optimizer']}" in row and f"lr_schedule={t.params['lr_schedule']}" in row
        assert "a_rather_long_parameter_name=" in row
