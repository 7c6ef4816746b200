"""``nntune tell --trial-number N`` for a trial the study does not have, however large N."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("number", ["5", "-1", "99999999999999999999"])
def test_an_unknown_trial_number_is_one_line(call_cli, tmp_path, number):
    study = ("--storage", f"sqlite:///{tmp_path / 'n.db'}", "--study-name", "n")
    assert call_cli("create-study", *study)[0] == 0
    assert call_cli("ask", *study)[0] == 0
    code, _, err = call_cli("tell", *study, "--trial-number", number, "--values", "1")
    assert code == 2
    assert err == f"nntune: error: --trial-number: no trial {number} in study 'n' (trials 0 to 0)\n"
