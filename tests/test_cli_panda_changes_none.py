"""``nntune trial changes`` where nothing was ever changed says so, where it printed a
table of headers alone."""

from __future__ import annotations

import nntune


def test_no_change_is_said_in_one_line(call_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    nntune.create_study(study_name="s", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    code, out, err = call_cli("trial", "changes", "--study", "s", "--storage", url)
    assert (code, out, err) == (0, "no changes in study s (nntune trial set changes a running trial)\n", "")
    code, out, _ = call_cli("trial", "changes", "--study", "s", "--trial", "0", "--storage", url)
    assert code == 0 and out == "no changes in trial 0 of study s (nntune trial set changes a running trial)\n"
    code, out, _ = call_cli("trial", "changes", "--study", "s", "--storage", url, "--json")
    assert code == 0 and out == "[]\n"
