"""``nntune export``: the format follows the output's suffix when --format is left out, and an
explicit --format that a known suffix contradicts (``--format csv -o rows.json``) is refused in
one line with nothing written, rather than leaving CSV in a file every reader opens as JSON."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import nntune

FORMATS = ("csv", "parquet", "json")
SUFFIXES = {"csv": ".csv", "parquet": ".parquet", "json": ".json"}


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    study = nntune.create_study(study_name="s", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    return url


def _read(path, fmt):
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.DataFrame(json.loads(path.read_text()))


NAMED = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json", ".JSON": "json"}


@pytest.mark.parametrize(("fmt", "suffix"), [(fmt, suffix) for fmt in FORMATS for suffix in NAMED
                                              if NAMED[suffix] != fmt])
def test_a_format_the_suffix_contradicts_is_refused_and_nothing_written(call_cli, url, tmp_path, fmt, suffix):
    named = NAMED[suffix]
    target = tmp_path / f"out{suffix}"
    code, out, err = call_cli("export", "--storage", url, "--study", "s", "--format", fmt, "-o", str(target))
    assert code == 2
    assert err == (f"nntune: error: --format: {fmt}, but the output 'out{suffix}' is named as {named}; "
                   f"leave --format out, or give -o a .{fmt} file\n")
    assert out == ""
    assert not target.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_suffix_names_the_format_and_an_agreeing_format_is_taken(call_cli, url, tmp_path, fmt):
    for given in ((), ("--format", fmt)):
        target = tmp_path / f"out{SUFFIXES[fmt]}"
        code, _, err = call_cli("export", "--storage", url, "--study", "s", *given, "-o", str(target))
        assert code == 0, err
        assert len(_read(target, fmt)) == 2
        target.unlink()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_suffix_naming_no_format_takes_the_given_one(call_cli, url, tmp_path, fmt):
    target = tmp_path / "out.data"
    code, _, err = call_cli("export", "--storage", url, "--study", "s", "--format", fmt, "-o", str(target))
    assert code == 0, err
    assert len(_read(target, fmt)) == 2


def test_an_unknown_format_is_refused_before_anything_is_written(call_cli, url, tmp_path):
    target = tmp_path / "out.xml"
    code, _, err = call_cli("export", "--storage", url, "--study", "s", "--format", "xml", "-o", str(target))
    assert code == 2
    assert err == "nntune: error: --format: expected one of csv, parquet, json, got 'xml'\n"
    assert not target.exists()
