"""``nntune delete-study`` run with no one to answer its question (a script, a CI job):
one line saying to give --yes, exit code 2, nothing deleted."""

from __future__ import annotations

import subprocess

import nntune
from conftest import nntune_command


def test_delete_without_yes_and_without_a_terminal_says_to_give_yes(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    nntune.create_study(study_name="d", storage=url)
    done = subprocess.run([*nntune_command(), "delete-study", "--storage", url, "--study-name", "d"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == ("nntune: error: --yes: standard input ended before the deletion was confirmed; "
                                   "nothing deleted (--yes deletes without asking)")
    assert nntune.get_all_study_names(url) == ["d"]
