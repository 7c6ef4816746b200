"""``nntune`` under an output encoding without a study name's letters (a latin-1 or ASCII
locale, a redirect on Windows): the name is printed with escapes, not a UnicodeEncodeError."""

from __future__ import annotations

import os
import subprocess

import nntune
from conftest import nntune_command


def test_a_name_the_output_cannot_encode_is_printed_escaped(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(study_name="hé 研究", storage=url)
    done = subprocess.run([*nntune_command(), "studies", "--storage", url], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert b"h\\xe9 \\u7814\\u7a76" in done.stdout and b"Traceback" not in done.stderr
