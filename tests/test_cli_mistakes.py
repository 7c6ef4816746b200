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
