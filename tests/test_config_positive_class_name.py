"""``task.positive_class`` given as a class's name (``malignant``, where the data names its
classes) is read as that class's index once the data is read: the study stores the index, the
lines and the report name the class, and a config given again is compared by the index. A name
the data does not have is refused with the data's classes."""

from __future__ import annotations

import pytest
import yaml

from nntune.storage import get_storage


@pytest.mark.parametrize("given, said", [
    ("tumour", "'tumour' is not a class of breast_cancer (classes: 0 benign, 1 malignant)"),
    ("2", "2 is not a class of breast_cancer (classes 0 to 1: 0 benign, 1 malignant)"),
    ("-1", "must be a class index >= 0, got -1"),
])
def test_a_class_the_data_has_not_is_refused_with_its_classes(call_cli, tmp_path, monkeypatch, given, said):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--dry-run", "--set", "task.data=breast_cancer", "--set", "task.metric=recall",
                              "--set", f"task.positive_class={given}")
    assert (code, out) == (2, "")
    assert err == f"nntune: error: task.positive_class: {said}\n"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("data, metric, given, said", [
    ("digits", "recall", "x", "'x' is not a class of digits (classes 0 to 9)"),  # its names are its indices
    ("diabetes", "r2", "x", "'x' is not a class of diabetes, which is no classification"),
])
def test_a_name_for_data_without_class_names_is_refused(call_cli, tmp_path, monkeypatch, data, metric, given, said):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--dry-run", "--set", f"task.data={data}", "--set", f"task.metric={metric}",
                            "--set", f"task.positive_class={given}")
    assert code == 2
    assert err == f"nntune: error: task.positive_class: {said}\n"


def test_a_number_that_is_a_class_name_says_to_quote_it(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.csv").write_text("a,y\n" + "".join(f"{i},{3 if i % 2 else 5}\n" for i in range(20)))
    data = "task.data={kind: csv, path: n.csv, target: y}"
    code, _, err = call_cli("tune", "--dry-run", "--set", data, "--set", "task.metric=recall",
                            "--set", "task.positive_class=5")
    assert code == 2
    assert err == ("nntune: error: task.positive_class: 5 is not a class of n (classes 0 to 1: 0 3, 1 5); "
                   "the class named 5 is given as '5', in quotes\n")
    code, out, err = call_cli("tune", "--dry-run", "--set", data, "--set", "task.metric=recall",
                              "--set", "task.positive_class='5'")
    assert code == 0, err
    assert "precision, recall, f1 and specificity of class 1 (5) against the rest" in out


@pytest.mark.parametrize("given", ["malignant", "1"])
def test_the_dry_run_says_which_class_a_name_or_index_is(call_cli, tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--dry-run", "--set", "task.data=breast_cancer", "--set", "task.metric=recall",
                              "--set", f"task.positive_class={given}")
    assert code == 0, err
    assert "precision, recall, f1 and specificity of class 1 (malignant) against the rest" in out
    assert not list(tmp_path.iterdir())


def test_a_named_class_is_tuned_stored_and_compared_as_its_index(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = {"task": {"data": "breast_cancer", "metric": "recall", "positive_class": "malignant"},
              "search": {"trials": 1}, "space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}},
              "fixed": {"epochs": 1}}
    (tmp_path / "named.yaml").write_text(yaml.safe_dump(config))
    config["task"]["positive_class"] = 1
    (tmp_path / "index.yaml").write_text(yaml.safe_dump(config))
    config["task"]["positive_class"] = "benign"
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(config))
    url = f"sqlite:///{tmp_path / 's.db'}"
    common = ("--study", "s", "--storage", url)
    outputs = ("--report", "r.html", "--model-file", "m.pt")
    code, out, err = call_cli("tune", "named.yaml", *common, *outputs)
    assert code == 0, err
    assert "of class malignant against the rest" in " ".join(out.split())
    assert get_storage(url).load_study("s").attrs["config"]["task"]["positive_class"] == 1
    assert "of class malignant against the rest" in " ".join((tmp_path / "r.html").read_text().split())
    # the name and the index are one config: the study resumes and is looked at with either
    for again in ("index.yaml", "named.yaml"):
        code, _, err = call_cli("tune", again, *common, *outputs)
        assert code == 0, err
    code, out, err = call_cli("test", "named.yaml", *common)
    assert code == 0, err
    assert "of class malignant against the rest" in " ".join(out.split())
    # another class is another study's config, by name as by index
    code, _, err = call_cli("test", "other.yaml", *common)
    assert code == 2
    assert err == ("nntune: error: task.positive_class: 'benign' (class 0) here, 1 in the config study 's' was "
                   "tuned with; give that config, or none to use the stored one\n")
    code, _, err = call_cli("tune", "other.yaml", *common, *outputs)
    assert code == 2 and err.startswith("nntune: error: task.positive_class: 0 here, 1 in the config study 's'")
