"""``nntune study-names``, ``study set-user-attr``, ``storage upgrade`` and Optuna's
``--storage-class`` on the ask-and-tell commands, with Optuna's options and output."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

import nntune
from nntune.cli_ask_inputs import storage_url
from nntune.exceptions import ConfigError
from nntune.storage import NOTHING_STORED, SQLStorage
from nntune.storage._engines import driver_url
from _postgres import run_sql
from test_cli_ask import dump, ok, optuna_cli

X = json.dumps({"x": {"type": "float", "low": 0, "high": 1}})


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


# ---------------------------------------------------------------- study-names


@pytest.mark.parametrize("fmt", ["value", "json", "yaml", "table"])
def test_study_names_prints_what_optunas_cli_prints(call_cli, capsys, tmp_path, fmt):
    pytest.importorskip("optuna")
    ours, theirs = f"sqlite:///{tmp_path / 'nntune.db'}", f"sqlite:///{tmp_path / 'optuna.db'}"
    SQLStorage(ours).engine.dispose()  # an empty storage first (Optuna makes its own at the first command)
    for name in (None, "zeta", "alpha"):
        if name is not None:
            ok(call_cli, "create-study", "--storage", ours, "--study-name", name)
            optuna_cli(capsys, "create-study", "--storage", theirs, "--study-name", name)
        mine = ok(call_cli, "study-names", "--storage", ours, "-f", fmt)
        assert mine == optuna_cli(capsys, "study-names", "--storage", theirs, "-f", fmt)
    # Oldest first, as Optuna lists them.
    assert json.loads(ok(call_cli, "study-names", "--storage", ours, "--json")) == [{"name": "zeta"}, {"name": "alpha"}]


def test_study_names_defaults_to_one_name_a_line(call_cli, url):
    for name in ("b", "a", "with space"):
        ok(call_cli, "create-study", "--storage", url, "--study", name)
    assert ok(call_cli, "study-names", "--storage", url) == "b\na\nwith space\n"
    assert yaml.safe_load(ok(call_cli, "study-names", "--storage", url, "-f", "yaml")) == [
        {"name": "b"}, {"name": "a"}, {"name": "with space"}]


# ---------------------------------------------------------------- trials: strict JSON


def test_trials_json_is_strict_a_non_finite_attribute_is_null(call_cli, url):
    study = nntune.create_study(study_name="s", storage=url)

    def objective(trial: nntune.Trial) -> float:
        trial.set_user_attr("inf", float("inf"))
        trial.set_user_attr("nested", {"nan": float("nan")})
        return trial.suggest_float("x", 0.0, 1.0)

    study.optimize(objective, n_trials=2)

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    for command in ("trials", "best-trial", "best-trials"):
        out = ok(call_cli, command, "--storage", url, "--study-name", "s", "--json")
        rows = json.loads(out, parse_constant=refuse)
        for row in rows if isinstance(rows, list) else [rows]:
            assert row["user_attrs"] == {"inf": None, "nested": {"nan": None}}


# ---------------------------------------------------------------- study set-user-attr


def test_set_user_attr_stores_the_string_given_and_load_study_sees_it(call_cli, url):
    ok(call_cli, "create-study", "--storage", url, "--study", "s")
    ok(call_cli, "create-study", "--storage", url, "--study", "other")
    for key, value in (("note", "first"), ("lr", "1e-3"), ("epochs", "20"), ("note", "second"), ("empty", "")):
        code, out, err = call_cli("study", "set-user-attr", "--storage", url, "--study-name", "s",
                                  "-k" if key == "lr" else "--key", key, "--value", value)
        assert code == 0 and out == "" and err == f"study 's': user attribute {key!r} set to {value!r}\n"
    # Strings, as Optuna stores them: "20" is not read as a number.
    assert nntune.load_study(study_name="s", storage=url).user_attrs == {
        "note": "second", "lr": "1e-3", "epochs": "20", "empty": ""}
    assert nntune.load_study(study_name="other", storage=url).user_attrs == {}


def test_set_user_attr_keeps_what_the_python_api_set(call_cli, url):
    study = nntune.create_study(study_name="s", storage=url)
    study.set_user_attr("owner", {"name": "ada"})
    ok(call_cli, "study", "set-user-attr", "--storage", url, "--study", "s", "--key", "note", "--value", "v")
    assert nntune.load_study(study_name="s", storage=url).user_attrs == {"owner": {"name": "ada"}, "note": "v"}


# ---------------------------------------------------------------- --storage-class


@pytest.mark.parametrize("cls", ["JournalFileBackend", "JournalFileStorage"])
def test_a_journal_file_by_optunas_storage_class(call_cli, tmp_path, monkeypatch, cls):
    monkeypatch.chdir(tmp_path)
    journal = ("--storage", "study.log", "--storage-class", cls)  # a path, as Optuna takes it
    ok(call_cli, "create-study", *journal, "--study-name", "s", "--direction", "maximize")
    trial = json.loads(ok(call_cli, "ask", *journal, "--study-name", "s", "--search-space", X))
    ok(call_cli, "tell", *journal, "--study-name", "s", "--trial-number", str(trial["number"]), "--values", "0.5")
    ok(call_cli, "study", "set-user-attr", *journal, "--study-name", "s", "-k", "note", "--value", "v")
    assert json.loads(ok(call_cli, "best-trial", *journal, "--study-name", "s", "-f", "json"))["value"] == 0.5
    assert len(json.loads(ok(call_cli, "trials", *journal, "--study-name", "s", "-f", "json"))) == 1
    assert ok(call_cli, "study-names", *journal) == "s\n"
    # The same file as nntune's journal:// URL, with nothing else beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.log"]
    study = nntune.load_study(study_name="s", storage=f"journal://{tmp_path / 'study.log'}")
    assert study.user_attrs == {"note": "v"} and study.best_value == 0.5
    upgraded = ok(call_cli, "storage", "upgrade", *journal)
    assert upgraded == f"journal://{tmp_path / 'study.log'} is up to date (a journal file has no schema to upgrade)\n"


def test_rdbstorage_is_the_sql_url_as_given(call_cli, url):
    ok(call_cli, "create-study", "--storage", url, "--storage-class", "RDBStorage", "--study", "s")
    assert ok(call_cli, "study-names", "--storage", url, "--storage-class", "RDBStorage") == "s\n"
    assert ok(call_cli, "best-trials", "--storage", url, "--storage-class", "RDBStorage", "--study", "s",
              "-f", "json") == "[]\n"


@pytest.mark.parametrize("given, cls, problem", [
    ("x.log", "RDBStorage", "RDBStorage takes a database URL"),
    ("journal:///x.log", "RDBStorage", "RDBStorage takes a database URL"),
    ("sqlite:///x.db", "JournalFileBackend", "JournalFileBackend takes a journal file's path"),
    ("", "JournalFileStorage", "JournalFileStorage takes a journal file's path"),
    ("redis://localhost", "JournalRedisBackend", "needs a Redis server"),
    ("sqlite:///x.db", "rdb", "must be RDBStorage or JournalFileBackend"),
])
def test_a_storage_class_that_does_not_fit_the_url_is_refused(given, cls, problem):
    with pytest.raises(ConfigError) as err:
        storage_url(given, cls)
    assert err.value.field == "--storage-class" and problem in err.value.problem


def test_storage_class_maps_optunas_names_to_nntune_urls():
    assert storage_url("a/b.log", "JournalFileBackend") == "journal://a/b.log"
    assert storage_url("/abs/b.log", "JournalFileStorage") == "journal:///abs/b.log"
    assert storage_url("journal:///abs/b.log", "JournalFileBackend") == "journal:///abs/b.log"
    assert storage_url("postgresql://u@h/db", "RDBStorage") == "postgresql://u@h/db"
    assert storage_url("anything", None) == "anything"


# ---------------------------------------------------------------- storage upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def older_url(request, tmp_path: Path) -> str:
    """A storage as an earlier nntune left it: two trials, no ``trials.updated`` column nor
    its index, no ``param_changes`` table."""
    url = f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite" else request.getfixturevalue("postgresql_url")
    study = nntune.create_study(study_name="s", storage=url)
    for value in (1.0, 2.0):
        study.tell(study.ask(), value)
    study.storage.engine.dispose()
    run_sql(url, "DROP INDEX ix_trials_study_updated", "ALTER TABLE trials DROP COLUMN updated",
            "DROP TABLE param_changes")
    return url


def test_storage_upgrade_says_what_it_added_then_that_nothing_is_left(call_cli, older_url):
    code, out, err = call_cli("storage", "upgrade", "--storage", older_url)
    assert code == 0 and err == "", err
    assert out == (f"{older_url} upgraded, now up to date: added table param_changes, "
                   f"column trials.updated, index ix_trials_study_updated\n")
    again = ok(call_cli, "storage", "upgrade", "--storage", older_url)
    assert again == f"{older_url} is up to date; nothing to change\n"
    engine = sa.create_engine(driver_url(older_url))
    try:
        assert "updated" in {c["name"] for c in sa.inspect(engine).get_columns("trials")}
    finally:
        engine.dispose()
    assert [t.value for t in nntune.load_study(study_name="s", storage=older_url).trials] == [1.0, 2.0]


def test_storage_upgrade_says_when_it_rebuilt_an_older_files_studies_table(call_cli, tmp_path):
    from contextlib import closing

    url = f"sqlite:///{tmp_path / 'old.db'}"
    nntune.create_study(study_name="s", storage=url).storage.engine.dispose()
    with closing(sqlite3.connect(tmp_path / "old.db")) as conn:  # studies as nntune made it before AUTOINCREMENT
        made = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'studies'").fetchone()[0]
        conn.executescript("PRAGMA foreign_keys=OFF; BEGIN;"
                           + made.replace("AUTOINCREMENT", "").replace("studies", "studies_old", 1)
                           + "; INSERT INTO studies_old SELECT * FROM studies; DROP TABLE studies;"
                             " ALTER TABLE studies_old RENAME TO studies; COMMIT;")
    code, out, err = call_cli("storage", "upgrade", "--storage", url)
    assert code == 0 and err == "", err
    assert out == (f"{url} upgraded, now up to date: rebuilt table studies with AUTOINCREMENT, every row kept "
                   f"(a deleted study's id is never given again)\n")
    assert ok(call_cli, "storage", "upgrade", "--storage", url) == f"{url} is up to date; nothing to change\n"
    assert nntune.get_all_study_names(url) == ["s"]


def optuna_database(path: Path) -> None:
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="s", storage=f"sqlite:///{path}")


def other_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("make, storage, problem", [
    (lambda p: p.write_text("not a database\n"), "sqlite:///{}", "cannot open sqlite:///"),
    (lambda p: p.write_bytes(b""), "sqlite:///{}", "is an empty database, not an nntune storage"),
    (other_database, "sqlite:///{}", "holds other tables (notes), not an nntune storage"),
    (optuna_database, "sqlite:///{}", "is Optuna's storage (optuna storage upgrade upgrades it)"),
    (other_database, "journal://{}", "is not an nntune journal"),
    (lambda p: p.write_text("{broken\n"), "journal://{}", "is not a journal entry"),
    (lambda p: p.write_text("{\"m\": \"create_study\"}\n"), "journal://{}", "is not a journal entry"),
    (lambda p: p.write_text("[1]\n"), "journal://{}", "is not an nntune journal"),
    (None, "sqlite:///{}", "no such SQLite file"),
    (None, "journal://{}", "no such journal file"),
    (None, "memory", "an in-memory storage has no schema"),
    (None, "sqlite://", "is an in-memory SQLite database"),
    (None, "{}", "expected a URL"),
    (None, "nosuchdriver://host/db", "cannot open nosuchdriver://"),
])
def test_storage_upgrade_refuses_what_is_not_an_nntune_storage_and_changes_nothing(
        call_cli, tmp_path, make, storage, problem):
    path = tmp_path / "given.db"
    if make is not None:
        make(path)
    before = path.read_bytes() if path.exists() else None
    files = sorted(tmp_path.iterdir())
    code, out, err = call_cli("storage", "upgrade", "--storage", storage.format(path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("nntune: error: storage: ") and problem in err, err
    assert sorted(tmp_path.iterdir()) == files and (path.read_bytes() if path.exists() else None) == before


def test_storage_upgrade_of_a_folder_says_it_is_one(call_cli, tmp_path):
    (tmp_path / "given.db").mkdir()
    code, out, err = call_cli("storage", "upgrade", "--storage", f"sqlite:///{tmp_path / 'given.db'}")
    assert (code, out) == (2, "")
    assert err == f"nntune: error: storage: {tmp_path / 'given.db'} is a folder, not an SQLite file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["given.db"] and not any((tmp_path / "given.db").iterdir())


# ---------------------------------------------------------------- every bad input: one line, exit 2, nothing written


@pytest.mark.parametrize("args, field", [
    (["study", "set-user-attr", "--study-name", "nope", "-k", "a", "--value", "b"], "study"),
    (["study", "set-user-attr", "--study-name", "s", "--value", "b"], "--key"),
    (["study", "set-user-attr", "--study-name", "s", "-k", "", "--value", "b"], "--key"),
    (["study", "set-user-attr", "--study-name", "s", "-k", "a"], "--value"),
    (["study", "set-user-attr", "-k", "a", "--value", "b"], "--study-name"),
    (["study", "set-user-attr", "--study-name", "s", "-k", "a", "--value", "b", "--storage-class",
      "JournalFileBackend"], "--storage-class"),
    (["study-names", "-f", "xml"], "--format"),
    (["study-names", "--storage-class", "Nope"], "--storage-class"),
    (["study-names", "--storage-class", "JournalRedisBackend"], "--storage-class"),
    (["storage", "upgrade", "--storage-class", "JournalFileStorage"], "--storage-class"),
    (["create-study", "--study", "t", "--storage-class", "JournalFileBackend"], "--storage-class"),
    (["ask", "--study", "s", "--search-space", X, "--storage-class", "JournalRedisStorage"], "--storage-class"),
    (["tell", "--study", "s", "--trial-number", "0", "--values", "1", "--storage-class", "X"], "--storage-class"),
    (["trials", "--study", "s", "--storage-class", "redis"], "--storage-class"),
])
def test_a_bad_input_is_one_line_with_exit_2_and_writes_nothing(call_cli, url, tmp_path, args, field):
    ok(call_cli, "create-study", "--storage", url, "--study", "s")
    ok(call_cli, "study", "set-user-attr", "--storage", url, "--study", "s", "-k", "a", "--value", "before")
    json.loads(ok(call_cli, "ask", "--storage", url, "--study", "s", "--search-space", X))  # trial 0, running
    before, files = dump(tmp_path / "study.db"), sorted(tmp_path.iterdir())
    code, out, err = call_cli(*args, "--storage", url)
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    # ConfigError lines name the field first; click's own (a missing option) name it inside
    assert err.startswith(f"nntune: error: {field}: ") or err.startswith("nntune: error: Missing option") \
        and f"'{field}'" in err, err
    assert dump(tmp_path / "study.db") == before and sorted(tmp_path.iterdir()) == files
    if field == "study":  # the line names the missing study
        assert "'nope'" in err


def test_a_missing_storage_file_is_not_created(call_cli, tmp_path):
    missing = tmp_path / "none.db"
    for args in (["study-names"], ["study", "set-user-attr", "--study", "s", "-k", "a", "--value", "b"],
                 ["storage", "upgrade"]):
        code, _, err = call_cli(*args, "--storage", f"sqlite:///{missing}")
        assert code == 2 and err == f"nntune: error: storage: no such SQLite file: {missing} {NOTHING_STORED}\n", err
    assert not missing.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["study-names"], ["study", "set-user-attr"], ["storage", "upgrade"],
                                     ["create-study"], ["ask"], ["tell"], ["trials"], ["best-trial"],
                                     ["best-trials"]])
def test_every_command_has_help_with_storage_class(call_cli, command):
    code, out, err = call_cli(*command, "--help")
    assert code == 0 and "Usage" in out and "--storage-class" in out and err == ""


def test_the_commands_stay_light_no_torch_nor_scikit_learn(url):
    runs = [["create-study", "--storage", url, "--study", "s"],
            ["study", "set-user-attr", "--storage", url, "--study", "s", "-k", "a", "--value", "b"],
            ["study-names", "--storage", url], ["storage", "upgrade", "--storage", url]]
    code = "import sys, nntune.cli\n" + "".join(
        f"sys.argv = ['nntune', *{args!r}]\nnntune.cli.main()\n" for args in runs) + \
        "print([m for m in ('torch', 'sklearn') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-2:] == [f"{url} is up to date; nothing to change", "[]"]
