"""The lab registry, the result record and the self-contained page."""

import json

import pytest

from nntune.exceptions import ConfigError
from nntune.labs import LABS, list_labs, run_lab

NAMES = ["decision-boundary", "underfit", "optimizers", "optimizers-mnist", "init-activations", "init-compare",
         "batchnorm", "overfit", "early-stopping", "learning-rate", "lr-decay", "batch-size", "normalization",
         "search-scale", "grid-vs-random", "hpo-random", "ensemble", "coarse-to-fine"]


def test_every_lab_is_listed_with_a_one_line_description():
    listed = list_labs()
    assert [name for name, _ in listed] == NAMES
    assert set(LABS) == set(NAMES)
    assert all(desc and "\n" not in desc for _, desc in listed)


def test_unknown_lab_names_the_choices():
    with pytest.raises(ConfigError, match="optimizers"):
        run_lab("no-such-lab")


def test_result_json_and_offline_page(tmp_path):
    result = run_lab("grid-vs-random", tmp_path, seed=1)
    data = json.loads(json.dumps(result.to_json()))
    assert data["name"] == "grid-vs-random"
    assert data["claim"] == LABS["grid-vs-random"].claim
    assert data["held"] is True and data["seed"] == 1
    assert all(isinstance(v, bool) for v in data["numbers"]["checks"].values())
    pngs = [p for p in result.figures if p.suffix == ".png"]
    assert pngs and all(p.is_file() and p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    page = (tmp_path / "grid-vs-random.html").read_text()
    assert result.page == tmp_path / "grid-vs-random.html"
    assert page.count("data:image/png;base64,") == len(pngs)
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_without_an_output_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_lab("search-scale", None, seed=0)
    assert result.figures == [] and result.page is None
    assert list(tmp_path.iterdir()) == []


def test_non_finite_numbers_become_null():
    from nntune.labs._common import LabResult

    result = LabResult("x", "claim", False, {"a": float("nan"), "b": [float("inf"), 1.5]})
    assert json.loads(json.dumps(result.to_json()))["numbers"] == {"a": None, "b": [None, 1.5]}


@pytest.mark.parametrize("seed", [-1, True, 1.5, "3"])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused(seed):
    with pytest.raises(ConfigError, match="seed: must be an integer >= 0"):
        run_lab("search-scale", seed=seed)


def test_cli_refuses_a_negative_seed_in_one_line(call_cli, tmp_path):
    code, out, err = call_cli("lab", "grid-vs-random", "--seed", "-1", "--out", str(tmp_path))
    assert code == 2
    assert err.strip().splitlines() == ["nntune: error: seed: must be an integer >= 0, got -1"]
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_that_cannot_be_made_is_one_line(call_cli, tmp_path):
    (tmp_path / "afile").write_text("x")
    out_dir = tmp_path / "afile" / "x"  # under a regular file: no folder can be made there
    with pytest.raises(ConfigError, match=f"out_dir: cannot create {out_dir}"):
        run_lab("search-scale", out_dir)
    code, out, err = call_cli("lab", "search-scale", "--out", str(out_dir))
    # the command names its own option, not run_lab's argument
    assert code == 2 and err.strip().splitlines() == [f"nntune: error: --out: cannot write {out_dir}: "
                                                      f"{tmp_path / 'afile'} is a file, not a folder"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_folder_in_the_way_of_a_figure_is_one_line_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "search-scale.png").mkdir()
    with pytest.raises(ConfigError, match="out_dir"):
        run_lab("search-scale", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search-scale.png"]


def test_cli_names_the_failed_checks(call_cli, tmp_path, monkeypatch):
    from dataclasses import replace

    from nntune.labs import Measured

    def measure(seed: int, quick: bool) -> Measured:
        return Measured({}, {"a part that held": True, "a part in [0.1, 1] that failed": False}, remarks=["why [it] failed"])

    monkeypatch.setitem(LABS, "search-scale", replace(LABS["search-scale"], measure=measure, draw=lambda m, d: []))
    code, out, err = call_cli("lab", "search-scale", "--out", str(tmp_path))
    assert code == 1 and "did not hold" in out  # a script learns of it from the exit status
    assert "not held: a part in [0.1, 1] that failed" in out and "a part that held" not in out
    assert "note: why [it] failed" in out
