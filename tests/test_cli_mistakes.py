"""Common mistakes of a new user: each is one line on stderr naming the field, exit code 2,
nothing on stdout and nothing written."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url, problem", [
    ("sqlite:////nonexistent-folder/x.db", "unable to open database file"),
    ("postgresql://tuner:secret@127.0.0.1:1/nntune", "Connection refused"),
])
def test_a_storage_that_cannot_be_reached_is_one_line_alone(call_cli, tmp_path, monkeypatch, url, problem):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--storage", url, "--trials", "1")
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("nntune: error: storage: cannot open ") and problem in line
    assert "secret" not in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("top", ["0", "-2"])
def test_show_top_below_one_is_refused(call_cli, tmp_path, top):
    code, out, err = call_cli("show", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "--top", top)
    assert code == 2 and out == ""
    assert err == f"nntune: error: --top: must be at least 1, got {top}\n"


def test_nntune_test_twice_counts_two_looks_and_refuses_another_model(call_cli, tmp_path, monkeypatch):
    import json

    import yaml

    from nntune.config import DEFAULT_YAML

    monkeypatch.chdir(tmp_path)
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=f"sqlite:///{tmp_path / 't.db'}")
    raw["search"]["trials"] = 1
    raw["fixed"]["epochs"] = 2
    raw["task"]["train_size"] = 0.3
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert call_cli("tune", "t.yaml")[0] == 0
    looks = []
    for args in (("t.yaml",), ()):  # the same file, then the config stored with the study
        code, out, err = call_cli("test", *args, "--storage", raw["storage"], "--json")
        assert code == 0, err
        looks.append(json.loads(out.strip().splitlines()[-1]))
    assert [look["test_evaluations"] for look in looks] == [2, 3]
    assert looks[0]["test"] == looks[1]["test"]  # the same model, the same split: the same numbers

    raw["fixed"]["epochs"] = 5  # not the model the study tuned
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    code, out, err = call_cli("test", "other.yaml", "--json")
    assert code == 2 and out == ""
    assert err == ("nntune: error: fixed.epochs: 5 here, 2 in the config study 'digits-mlp' was tuned with; "
                   "give that config, or none to use the stored one\n")
    code, out, _ = call_cli("show", "--storage", raw["storage"], "--json")
    assert json.loads(out)["test_evaluations"] == 3  # the refused look was not counted


def test_a_config_that_is_a_folder_or_not_text_is_one_line(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "configs").mkdir()
    (tmp_path / "model.yaml").write_bytes(bytes(range(256)))  # a binary file under a YAML name
    code, out, err = call_cli("tune", "configs")
    assert (code, out, err) == (2, "", "nntune: error: config: configs is a folder, not a YAML file\n")
    code, out, err = call_cli("tune", "model.yaml")
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("nntune: error: config: cannot read model.yaml as YAML text: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["configs", "model.yaml"]


@pytest.mark.parametrize("args, problem", [
    (("tune", "--report", "a_file/r.html"), "--report: cannot write a_file/r.html: "),
    (("tune", "--report", "a_folder", "--dry-run"), "--report: a_folder is a folder; give a file name"),
    (("tune", "--scheduler", "pbt", "--set", "search.checkpoint_dir=a_file"),
     "search.checkpoint_dir: a_file is a file, not a folder"),
    (("babysit", "--set", "search.checkpoint_dir=a_file/runs", "--set", "epochs=1"),
     "search.checkpoint_dir: cannot write a_file/runs/digits-mlp: "),
    (("lab", "underfit", "--out", "a_file"), "--out: a_file is a file, not a folder"),
])
def test_a_place_that_cannot_be_written_is_refused_before_any_work(call_cli, tmp_path, monkeypatch, args, problem):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("kept")
    (tmp_path / "a_folder").mkdir()
    code, out, err = call_cli(*args, "--storage", f"sqlite:///{tmp_path / 'x.db'}") if args[0] != "lab" \
        else call_cli(*args)
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"nntune: error: {problem}"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"]  # no study, no report


def test_report_to_a_place_that_cannot_be_written(call_cli, tmp_path, monkeypatch):
    import nntune

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    nntune.create_study(study_name="s", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    (tmp_path / "a_file").write_text("kept")
    code, out, err = call_cli("report", "--study", "s", "--storage", url, "--output", "a_file/r.html")
    assert code == 2 and out == ""
    assert err.startswith("nntune: error: --output: cannot write a_file/r.html: ") and len(err.splitlines()) == 1
    code, out, err = call_cli("report", "--study", "s", "--storage", url, "--output", "new/r.html")
    assert code == 0, err
    from nntune._files import _umask

    # the user's umask decides who may read it, not the private temporary file it was written to
    assert (tmp_path / "new" / "r.html").stat().st_mode & 0o777 == 0o666 & ~_umask()
