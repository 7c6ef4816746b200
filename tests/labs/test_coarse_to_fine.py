"""Lab ``coarse-to-fine``: the stages narrowing around the best region."""

from nntune.labs import run_lab


def test_stages_narrow_around_the_best(tmp_path):
    result = run_lab("coarse-to-fine", tmp_path, seed=0, quick=True)
    n = result.numbers
    stages = n["stages"]
    assert [s["stage"] for s in stages] == [0, 1, 2]
    assert stages[0]["narrowed_around"] == [] and len(stages[1]["narrowed_around"]) == n["top_k"]
    widths = n["decades_per_stage"]
    assert widths[0] == {"lr": 5.0, "weight_decay": 7.0}
    assert widths[-1]["lr"] < widths[0]["lr"] and widths[-1]["weight_decay"] < widths[0]["weight_decay"]
    last = stages[-1]["space"]["params"]["lr"]
    late = [t for t in n["trials"] if t["stage"] == 2]
    assert late and all(last["low"] <= t["lr"] <= last["high"] for t in late)
    mean = n["mean_val_accuracy_per_stage"]
    assert mean[-1] > mean[0]
    assert result.held and (tmp_path / "coarse-to-fine.png").is_file()
