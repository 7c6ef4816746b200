"""fit(resume_from=...) on a file that is not a checkpoint: one line naming resume_from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from nntune.exceptions import ConfigError
from nntune.train.loop import fit
from nntune.train.splits import Splits

Params = Callable[..., dict[str, Any]]


def write_empty(path: Path) -> None:
    path.write_bytes(b"")


def write_text(path: Path) -> None:
    path.write_bytes(b"not a checkpoint at all\n")


def write_pickled_module(path: Path) -> None:
    torch.save(nn.Linear(2, 2), path)  # a whole module: never unpickled by a weights-only load


def write_other_dict(path: Path) -> None:
    torch.save({"weights": torch.zeros(2)}, path)


def write_cut_checkpoint(path: Path, digits: Splits, fast: Params) -> None:
    fit(fast(epochs=1), digits, checkpoint_path=path)
    path.write_bytes(path.read_bytes()[:100])  # cut short, as a copy interrupted by a full disk


@pytest.mark.parametrize("write", [write_empty, write_text, write_pickled_module, write_other_dict])
def test_a_file_that_is_no_checkpoint_is_a_config_error(
        digits: Splits, fast: Params, tmp_path: Path, write: Callable[[Path], None]) -> None:
    path = tmp_path / "trial-0.pt"
    write(path)
    with pytest.raises(ConfigError) as err:
        fit(fast(), digits, resume_from=path)
    assert err.value.field == "resume_from"
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert "weights_only" not in str(err.value)  # torch's advice to unpickle anything is not ours to give


def test_a_checkpoint_cut_short_is_a_config_error(digits: Splits, fast: Params, tmp_path: Path) -> None:
    path = tmp_path / "trial-0.pt"
    write_cut_checkpoint(path, digits, fast)
    with pytest.raises(ConfigError) as err:
        fit(fast(), digits, resume_from=path)
    assert err.value.field == "resume_from" and "\n" not in str(err.value)


def test_a_checkpoint_of_fit_still_resumes(digits: Splits, fast: Params, tmp_path: Path) -> None:
    path = tmp_path / "trial-0.pt"
    fit(fast(epochs=1), digits, checkpoint_path=path)
    assert [r["epoch"] for r in fit(fast(epochs=2), digits, resume_from=path).history] == [2]


def test_a_folder_as_checkpoint_path_is_refused_before_training(digits: Splits, fast: Params, tmp_path: Path) -> None:
    seen: list[int] = []
    with pytest.raises(ConfigError) as err:
        fit(fast(), digits, checkpoint_path=tmp_path, report=lambda epoch, record: seen.append(epoch) or False)
    assert err.value.field == "checkpoint_path" and str(tmp_path) in str(err.value)
    assert seen == []  # no epoch trained for nothing
