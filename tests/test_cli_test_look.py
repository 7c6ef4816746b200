"""The test split is opened once per new best trial; ``nntune test`` looks again on purpose."""

import json

import yaml

from nntune.config import DEFAULT_YAML


def tiny_config(tmp_path):
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 't.db'}"
    raw["fixed"]["epochs"] = 2
    raw["search"]["trials"] = 2
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path, raw["storage"]


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def test_resuming_with_nothing_to_do_keeps_the_split_shut_and_test_looks_again(call_cli, tmp_path):
    cfg, url = tiny_config(tmp_path)
    code, out, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    first = last_json(out)
    assert first["test_evaluations"] == 1

    code, out, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    again = last_json(out)
    assert again["test_evaluations"] == 1 and again["test"] == first["test"]
    assert "split stayed shut" in err and "nntune test --study digits-mlp" in err

    # Without a file: the config stored with the study rebuilds the splits and the model.
    code, out, err = call_cli("test", "--storage", url, "--study", "digits-mlp", "--json")
    assert code == 0, err
    look = last_json(out)
    assert look["test_evaluations"] == 2 and look["trial"] == first["best"]["trial"]
    assert look["test"]["accuracy"] == first["test"]["accuracy"]  # same seed, same weights on CPU
    assert "evaluated 2 times" in err

    code, out, err = call_cli("show", "--storage", url, "--json")
    shown = json.loads(out)
    assert shown["test_evaluations"] == 2
    assert all(r["val_loss"] > 0 for r in shown["trials"])  # stored by the objective for ties


def test_test_command_on_a_missing_database_creates_nothing(call_cli, tmp_path):
    code, out, err = call_cli("test", "--study", "s")
    assert code == 2 and err.strip().startswith("nntune: error: storage: no such SQLite file: nntune.db (")
    assert list(tmp_path.iterdir()) == []
