"""The lab registry, the result record and the self-contained page."""

import json

import pytest

from nntune.exceptions import ConfigError
from nntune.labs import LABS, list_labs, run_lab

NAMES = ["decision-boundary", "underfit", "optimizers", "optimizers-mnist", "init-activations", "init-compare",
         "batchnorm", "overfit", "learning-rate", "lr-decay", "batch-size", "normalization", "search-scale",
         "grid-vs-random", "hpo-random", "ensemble", "coarse-to-fine"]


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
