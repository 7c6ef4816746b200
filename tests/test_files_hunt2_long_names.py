"""A study name longer than a file name may be: its default files (report, model) still get
written, under a short stable name; a path given too long is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

import nntune
from nntune._files import (check_writable_dir, check_writable_file, default_model_path,
                           default_report_path, safe_name, write_atomic)
from nntune.exceptions import ConfigError

LONG = "study-" + "x" * 300


def test_a_long_study_name_becomes_a_short_stable_distinct_file_name() -> None:
    name = safe_name(LONG)
    assert len(name.encode()) <= 200
    assert name.startswith("study-xxx") and name == safe_name(LONG)  # readable, and the same every time
    assert safe_name(LONG + "y") != name  # two long names that start alike never share a file
    accented = safe_name("é" * 200)  # two bytes a letter: never cut in half
    assert len(accented.encode()) <= 200 and accented.startswith("éé")
    assert safe_name("digits-mlp") == "digits-mlp" and safe_name("a/b c") == "a_b_c"  # short names as before
    assert safe_name("m" * 200) == "m" * 200  # a name that fits keeps its files where they were
    for path in (default_report_path(LONG), default_model_path(LONG)):
        assert len(path.name.encode()) < 220


def test_a_name_that_fits_the_file_system_is_written_even_where_its_temporary_file_would_not(tmp_path: Path) -> None:
    target = tmp_path / ("a" * 250 + ".pt")
    assert write_atomic(target, b"w").read_bytes() == b"w"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


@pytest.mark.parametrize("check", [check_writable_file, check_writable_dir])
def test_a_path_too_long_is_one_line_naming_the_field(tmp_path: Path, check) -> None:
    with pytest.raises(ConfigError) as err:
        check(tmp_path / ("n" * 300) / "page.html", "--output")
    assert str(err.value).startswith("--output: file name too long (300 bytes, at most 255)")
    assert "\n" not in str(err.value) and len(str(err.value)) < 200
    with pytest.raises(ConfigError, match="--out: path too long"):
        check(tmp_path.joinpath(*["d" * 200] * 25), "--out")
    assert list(tmp_path.iterdir()) == []  # nothing made


@pytest.fixture()
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(storage=url, study_name=LONG).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    return url


def test_report_of_a_long_named_study_goes_to_its_default_file(tmp_path: Path, url: str, call_cli,
                                                              monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("report", "--storage", url, "--study", LONG)
    assert code == 0, err
    assert out.strip() == f"report written to {default_report_path(LONG)}"
    assert (tmp_path / default_report_path(LONG)).read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_report_to_a_name_too_long_is_exit_2_naming_the_option(tmp_path: Path, url: str, call_cli) -> None:
    code, out, err = call_cli("report", "--storage", url, "--study", LONG, "-o", str(tmp_path / (LONG + ".html")))
    assert code == 2 and out == ""
    assert err.startswith("nntune: error: --output: file name too long (311 bytes, at most 255): ")
    assert err.count("\n") == 1
