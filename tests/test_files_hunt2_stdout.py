"""``nntune report -o /dev/stdout > page.html`` (or ``-o -``) leaves a whole page: what is
said about it goes to stderr; and any user may send the page to standard output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nntune

NNTUNE = [sys.executable, "-c", "import sys; from nntune.cli import main; sys.argv[0] = 'nntune'; main()"]


@pytest.fixture()
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(storage=url, study_name="one").optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    return url


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="no /dev/stdout here")
@pytest.mark.parametrize("output", ["/dev/stdout", "-"])
def test_the_page_on_stdout_is_whole_and_the_status_line_goes_to_stderr(tmp_path: Path, url: str, output: str) -> None:
    page = tmp_path / "page.html"
    with open(page, "wb") as handle:
        done = subprocess.run([*NNTUNE, "report", "--storage", url, "--study", "one", "-o", output],
                              stdout=handle, stderr=subprocess.PIPE, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert done.stderr.decode().strip().startswith("report written to ")
    assert not (tmp_path / "-").exists() and not (tmp_path / "reports").exists()


def _as_another_user() -> list[str] | None:
    """The command's start that runs it as a user who may not write in /dev, nor to the file
    given as stdout (root's, 0644); None where that cannot be had."""
    if not hasattr(os, "geteuid") or not os.path.exists("/dev/stdout"):
        return None
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else None


@pytest.mark.skipif(_as_another_user() is None, reason="needs /dev/stdout, and setpriv where tests run as root")
def test_any_user_may_send_the_page_to_stdout(tmp_path: Path) -> None:
    code = ("from nntune._files import check_writable_file; from nntune.report.output import write_page; "
            "write_page(check_writable_file('/dev/stdout', '--output'), '<html></html>', field='--output')")
    out = tmp_path / "out.html"
    with open(out, "wb") as handle:
        done = subprocess.run([*_as_another_user(), sys.executable, "-c", code], stdout=handle,
                              stderr=subprocess.PIPE, cwd="/", timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_text() == "<html></html>"
