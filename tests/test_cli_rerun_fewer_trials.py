"""``nntune tune --trials N`` on a study that holds more than N finished trials says how many it
holds: "already holds 2 finished trials" was said of a study of 3."""

from __future__ import annotations

import json

import pytest

from nntune.runner_notes import held_already

from tests.test_cli_rerun import tiny_config


def test_the_count_said_is_the_study_s_own():
    assert held_already(3, 3) == "the study already holds 3 finished trials"
    assert held_already(3, 2) == "the study already holds 3 finished trials (search.trials: 2)"
    assert held_already(1, 1) == "the study already holds 1 finished trial"


@pytest.mark.slow
def test_a_smaller_trials_flag_on_a_resumed_study(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(tmp_path)
    code, _, err = call_cli("tune", str(cfg), "--json")
    assert code == 0, err
    code, out, err = call_cli("tune", str(cfg), "--json", "--trials", "1")
    assert code == 0, err
    said = "the study already holds 2 finished trials (search.trials: 1)"
    assert f"{said}; nothing to run" in err.splitlines()
    assert json.loads(out.strip().splitlines()[-1])["stop_reason"] == said
