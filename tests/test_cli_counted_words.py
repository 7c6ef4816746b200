"""Counts of one in the CLI's lines read in the singular: "1 searched parameter", never
"1 searched parameters"; a lone ensemble member is "trial 0", one look is "once"."""

from __future__ import annotations

from nntune.ensemble_study import EnsembleResult, ensemble_lines
from nntune.show import no_findings_line


def test_a_dry_run_of_one_searched_parameter(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.yaml").write_text("study: one\nspace:\n  lr: {type: float, low: 1.0e-3, high: 0.1, log: true}\n"
                                       "search: {trials: 1}\n")
    code, out, err = call_cli("tune", "one.yaml", "--dry-run")
    assert code == 0, err
    assert out.startswith("config OK: study one, 1 searched parameter, sampler random, 1 trial\n"), out
    code, out, err = call_cli("tune", "one.yaml", "--dry-run", "--set", "space.units={type: int, low: 8, high: 64}")
    assert code == 0 and out.startswith("config OK: study one, 2 searched parameters,"), out


def _result(weights: list[float], looks: int) -> EnsembleResult:
    return EnsembleResult("greedy", [3, 5][:len(weights)], weights, "accuracy", 0.9, 0.9,
                          {"accuracy": 0.8}, {"accuracy": 0.8}, looks=looks, top=2)


def test_an_ensemble_of_one_member_and_one_look():
    lines = ensemble_lines(_result([4.0, 0.0], looks=1))
    assert lines[1].startswith("greedy ensemble of trial 3 x4: "), lines
    assert lines[2] == "the test split has now been evaluated once"
    lines = ensemble_lines(_result([1.0, 1.0], looks=2))
    assert lines[1].startswith("greedy ensemble of trials 3, 5: ") and lines[2].endswith("evaluated 2 times"), lines


def test_no_findings_for_a_leaderboard_of_one_trial():
    assert no_findings_line([{"number": 0, "epochs": 2}]) == (
        "no findings for that trial: its curve is too short to read (fewer than 4 epochs, too few to read a trend)")
    assert no_findings_line([{"number": 0, "epochs": 20}]) == "no findings for that trial: its curve looks healthy"
    assert no_findings_line([{"number": 0, "epochs": 0}]).startswith("no findings for that trial: it reported no curve")
    assert no_findings_line([{"number": 0, "epochs": 20}, {"number": 1, "epochs": 2}]) == (
        "no findings for those trials: their curves look healthy, but trial 1 reported fewer than 4 epochs, "
        "too few to read a trend")
    assert no_findings_line([{"number": n, "epochs": 20 if n == 0 else 2} for n in range(3)]).endswith(
        "but trials 1, 2 reported fewer than 4 epochs, too few to read a trend")
