"""``nntune tune`` refusing a config the run could not use: one line naming the field,
exit code 2, and no file made, also under --dry-run."""

from __future__ import annotations

import math

import pytest

from nntune.config import parse_config
from nntune.exceptions import ConfigError


def test_infinitely_many_gpus_is_refused_naming_the_field():
    with pytest.raises(ConfigError) as err:
        parse_config({"resources": {"gpus": math.inf}})
    assert str(err.value).startswith("resources.gpus:") and "finite" in str(err.value)


def test_gpus_inf_on_the_command_line_is_one_line_exit_2(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--set", "resources.gpus=.inf", "--dry-run")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()] and err.startswith("nntune: error: resources.gpus:")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("storage, says", [
    ("sqlite:///no-such-folder/study.db", "no folder no-such-folder"),
    ("sqlite:///file:no-such-folder/study.db?mode=rwc&uri=true", "no folder no-such-folder"),
    ("bogus://somewhere", "Can't load plugin"),
    ("mysql://user:secret@host/db", "No module named"),
])
def test_dry_run_refuses_a_storage_the_run_cannot_open(call_cli, tmp_path, monkeypatch, storage, says):
    """--dry-run validates: a storage that the real run stops at must stop it too, and
    nothing may be created on the way (no database file, no folder)."""
    pytest.importorskip("sqlalchemy")
    if storage.startswith("mysql"):
        import importlib.util

        if importlib.util.find_spec("MySQLdb") is not None:
            pytest.skip("a MySQL driver is installed here")
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--storage", storage, "--set", "task.train_size=0.2", "--dry-run", "--json")
    assert code == 2, err
    assert out == ""  # no JSON line for a config that is refused
    line = err.strip()
    assert line.splitlines() == [line] and line.startswith("nntune: error: storage:") and says in line
    assert "secret" not in line
    assert list(tmp_path.iterdir()) == []


def test_dry_run_still_passes_storages_that_open(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    for storage in ("sqlite:///sub/study.db", "memory", f"journal://{tmp_path}/j/study.log", "sqlite://"):
        code, _, err = call_cli("tune", "--storage", storage, "--set", "task.train_size=0.2", "--dry-run")
        assert code == 0, (storage, err)
    assert [p.name for p in tmp_path.iterdir()] == ["sub"] and not any((tmp_path / "sub").iterdir())


@pytest.mark.parametrize("args", [["--study", "  "], ["--set", "study=' '"]])
def test_a_blank_study_name_is_refused_before_the_storage_is_made(call_cli, tmp_path, monkeypatch, args):
    """It passed the config and --dry-run, then nntune.create_study refused it as
    ``study_name`` (no such field in the config) after the SQLite file was made."""
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", *args, "--storage", "sqlite:///s.db", "--trials", "1")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["nntune: error: study: must not be blank; give the study a name"]
    assert list(tmp_path.iterdir()) == []


def test_create_study_names_its_option_for_a_blank_name(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("create-study", "--storage", "sqlite:///s.db", "--study-name", " ")
    assert code == 2 and err.startswith("nntune: error: --study-name: must not be empty")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, field", [
    (["--report", "s.db"], "--report"),
    (["--model-file", "./s.db"], "--model-file"),
    (["--model-file", "s.db-wal"], "--model-file"),
])
def test_tune_refuses_to_write_its_report_or_model_over_the_storage(call_cli, tmp_path, monkeypatch, args, field):
    """The report (written after the search) and the model file went over the SQLite file
    itself: the studies were destroyed after a whole search. Refused before it starts."""
    monkeypatch.chdir(tmp_path)
    assert call_cli("create-study", "--storage", "sqlite:///s.db", "--study-name", "other")[0] == 0
    code, out, err = call_cli("tune", "--storage", "sqlite:///s.db", "--trials", "1", *args)
    assert code == 2 and out == ""
    line = err.strip()
    assert line.splitlines() == [line] and line.startswith(f"nntune: error: {field}:") and "storage" in line
    assert (tmp_path / "s.db").read_bytes().startswith(b"SQLite format 3")
    assert call_cli("study-names", "--storage", "sqlite:///s.db")[1].split() == ["other"]


def test_tune_refuses_one_file_for_report_and_model(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = call_cli("tune", "--storage", "sqlite:///s.db", "--report", "x.html", "--model-file", "x.html")
    assert code == 2 and err.startswith("nntune: error: --model-file: x.html is the --report file too")
    assert list(tmp_path.iterdir()) == []


def test_export_model_refuses_to_write_over_the_storage(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tuned = call_cli("tune", "--storage", "sqlite:///s.db", "--trials", "1", "--set", "fixed.epochs=1",
                     "--set", "task.train_size=0.2", "--report", "r.html", "--model-file", "m.pt")
    assert tuned[0] == 0, tuned[2]
    code, out, err = call_cli("export-model", "--storage", "sqlite:///s.db", "-o", "s.db")
    assert code == 2 and out == ""
    assert err.startswith("nntune: error: --output: s.db is the storage's own file")
    assert (tmp_path / "s.db").read_bytes().startswith(b"SQLite format 3")
    assert call_cli("study-names", "--storage", "sqlite:///s.db")[1].split() == ["digits-mlp"]


def test_lab_names_its_out_option_when_the_folder_cannot_be_made(call_cli, tmp_path, monkeypatch):
    """A folder that cannot be made (its parent is a file): the error names the command's
    option ``--out``, never run_lab's argument ``out_dir``, and nothing is made."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    code, out, err = call_cli("lab", "decision-boundary", "--quick", "--out", str(tmp_path / "afile" / "labs"), "--json")
    assert code == 2 and out == ""
    assert err.startswith("nntune: error: --out: cannot ") and "out_dir" not in err and "afile" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize("args, field, what", [
    (["--report", "c.yaml"], "--report", "config"),
    (["--model-file", "./c.yaml"], "--model-file", "config"),
    (["--report", "link.yaml"], "--report", "config"),  # a hard link: the same file under another name
    (["--model-file", "rows.csv"], "--model-file", "data (task.data.path)"),
])
def test_tune_refuses_to_write_its_report_or_model_over_a_file_it_reads(call_cli, tmp_path, monkeypatch,
                                                                         args, field, what):
    """--report c.yaml wrote the HTML report over the config the search was run from (the
    user's only copy), after the whole search. Refused before anything is read or made."""
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30))
    (tmp_path / "rows.csv").write_text("a,b,y\n" + rows)
    config = ("storage: sqlite:///s.db\ntask: {data: {kind: csv, path: rows.csv, target: y}}\n"
              "search: {trials: 1}\nfixed: {epochs: 1}\n")
    (tmp_path / "c.yaml").write_text(config)
    (tmp_path / "link.yaml").hardlink_to(tmp_path / "c.yaml")
    code, out, err = call_cli("tune", "c.yaml", *args)
    assert code == 2 and out == ""
    named = args[1].removeprefix("./")
    assert err == f"nntune: error: {field}: {named} is the {what} this command reads; writing there would destroy it\n"
    assert (tmp_path / "c.yaml").read_text() == config and (tmp_path / "rows.csv").read_text() == "a,b,y\n" + rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "link.yaml", "rows.csv"]


def test_an_empty_checkpoint_folder_is_refused_not_read_as_the_current_one(call_cli, tmp_path, monkeypatch):
    # --set search.checkpoint_dir=$DIR with DIR unset: PBT made the study's folder where nntune ran.
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--scheduler", "pbt", "--set", "search.checkpoint_dir=''", "--trials", "2")
    assert (code, out) == (2, "")
    assert err == "nntune: error: search.checkpoint_dir: string should have at least 1 character\n"
    assert list(tmp_path.iterdir()) == []
