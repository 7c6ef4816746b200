"""An SQLite URL whose folder does not exist: the one-line error names the missing folder
(SQLite's own "unable to open database file" does not say which part is missing)."""

import pytest

import nntune
from nntune.exceptions import ConfigError


@pytest.mark.parametrize("open_it", [
    lambda url: nntune.create_study(storage=url),
    lambda url: nntune.storages.RDBStorage(url),
])
def test_a_missing_folder_is_named(tmp_path, open_it):
    url = f"sqlite:///{tmp_path / 'runs' / 'deep' / 'x.db'}"
    with pytest.raises(ConfigError) as err:
        open_it(url)
    line = str(err.value)
    assert "\n" not in line
    assert f"the folder {tmp_path / 'runs' / 'deep'} does not exist" in line
    assert line.endswith("unable to open database file")
    assert list(tmp_path.iterdir()) == []  # no folder made, nothing written


def test_a_relative_sqlite_path_is_made_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nntune.create_study(study_name="here", storage="sqlite:///rel.db")
    assert (tmp_path / "rel.db").is_file()
    assert nntune.get_all_study_names(f"sqlite:///{tmp_path / 'rel.db'}") == ["here"]


def test_a_home_relative_sqlite_path_is_the_file_in_the_home_folder(tmp_path, monkeypatch, call_cli):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    nntune.create_study(study_name="tilde", storage="sqlite:///~/t.db")
    assert (home / "t.db").is_file() and list(work.iterdir()) == []
    # The commands look for the same file (they checked ~/t.db, then opened ./~/t.db).
    code, out, err = call_cli("studies", "--storage", "sqlite:///~/t.db")
    assert code == 0 and "tilde" in out, err


def test_a_folder_given_as_the_database_file_is_said(tmp_path):
    with pytest.raises(ConfigError, match=f"^storage: cannot open sqlite:///{tmp_path}: {tmp_path} is a folder, "
                                          "not a database file: .*unable to open database file$"):
        nntune.create_study(storage=f"sqlite:///{tmp_path}")
    assert list(tmp_path.iterdir()) == []
