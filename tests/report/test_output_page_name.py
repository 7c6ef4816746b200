"""The report is one HTML page: a path whose suffix names another format (``report.pdf``,
``r.png``) is refused in one line before anything is written or trained, where the page
used to land in it as HTML that the file's viewer calls broken."""

from __future__ import annotations

from pathlib import Path

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.report.output import check_page_name


def test_a_report_named_as_a_pdf_is_refused(tmp_path: Path, call_cli) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(study_name="s", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    code, out, err = call_cli("report", "--storage", url, "--study", "s", "-o", str(tmp_path / "s.pdf"))
    assert (code, out) == (2, "") and err == ("nntune: error: --output: the report is one HTML page, and 's.pdf' "
                                              "is named as pdf: give a .html file (a browser prints the page to PDF)\n")
    assert not (tmp_path / "s.pdf").exists()
    code, _, err = call_cli("report", "--storage", url, "--study", "s", "-o", str(tmp_path / "s.html"))
    assert code == 0 and (tmp_path / "s.html").read_text().lstrip().lower().startswith("<!doctype html"), err


def test_tune_refuses_a_report_named_as_an_image_before_any_trial(tmp_path: Path, call_cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli("tune", "--storage", f"sqlite:///{tmp_path / 't.db'}", "--trials", "1",
                              "--report", "r.png")
    assert code == 2 and err.startswith("nntune: error: --report: the report is one HTML page, and 'r.png' "), err
    assert not (tmp_path / "t.db").exists() and not (tmp_path / "r.png").exists()
    with pytest.raises(ConfigError, match=r"^report: the report is one HTML page, and 'r.JSON' is named as json"):
        nntune.tune({"storage": f"sqlite:///{tmp_path / 'u.db'}"}, report="r.JSON")


@pytest.mark.parametrize("name", ["r.html", "r.htm", "report", "r.v2", "/dev/null"])
def test_a_page_name_or_a_stream_is_taken(name: str) -> None:
    assert check_page_name(name, "--output") == Path(name)
