"""``nntune.tune(data=...)`` from a notebook: inputs held as objects, and other arrays
under a stored study's name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nntune
from nntune.exceptions import ConfigError

QUICK = {"search.trials": 1, "fixed.epochs": 1}


def _rows(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, (x[:, 0] > 0).astype(int)


def test_a_dataframe_with_a_bool_column_trains_as_numbers(tmp_path, monkeypatch):
    """A DataFrame of float and bool columns is an object array to numpy: its values are
    numbers, so it trains (it was read as text and refused)."""
    monkeypatch.chdir(tmp_path)
    x, y = _rows()
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "flag": x[:, 2] > 0})
    summary = nntune.tune(set={**QUICK, "storage": f"sqlite:///{tmp_path / 's.db'}"}, data=(frame, y),
                          report=False, model_file=False)
    assert summary.counts["complete"] == 1
    assert summary.test is not None and 0.0 <= summary.test.metrics["accuracy"] <= 1.0


def test_text_in_inputs_is_refused_by_name_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = _rows()
    frame = pd.DataFrame({"a": x[:, 0], "colour": np.where(y == 1, "red", "blue")})
    with pytest.raises(ConfigError) as err:
        nntune.tune(set={**QUICK, "storage": f"sqlite:///{tmp_path / 's.db'}"}, data=(frame, y),
                    report=False, model_file=False)
    assert str(err.value).startswith("data.x: must hold numbers, got 'red' in column 'colour'; encode text columns")
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_other_arrays_under_a_stored_study_are_refused_in_the_calls_terms(tmp_path, monkeypatch):
    """The second call's arrays differ: refused as ``data`` with set={'study': ...} to tune
    them apart, not as a config file's task.data.path with a --study flag."""
    monkeypatch.chdir(tmp_path)
    x, y = _rows()
    given = {**QUICK, "storage": f"sqlite:///{tmp_path / 's.db'}", "study": "nb"}
    nntune.tune(set=given, data=(x, y), report=False, model_file=False)
    with pytest.raises(ConfigError) as err:
        nntune.tune(set={**given, "search.trials": 2}, data=(x + 1.0, y), report=False, model_file=False)
    assert str(err.value) == ("data: other arrays than the ones study 'nb' was tuned with; give those to resume it, "
                              "or tune these as another study (set={'study': NAME})")
    assert len(list((tmp_path / "data").iterdir())) == 1  # the refused arrays left no file


def test_a_changed_config_for_a_stored_study_names_set_not_the_commands_flag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = _rows()
    given = {**QUICK, "storage": f"sqlite:///{tmp_path / 's.db'}", "study": "nb"}
    nntune.tune(set=given, data=(x, y), report=False, model_file=False)
    with pytest.raises(ConfigError) as err:
        nntune.tune(set={**given, "fixed.epochs": 2}, data=(x, y), report=False, model_file=False)
    assert str(err.value) == ("fixed.epochs: 2 here, 1 in the config study 'nb' was tuned with; keep that config to "
                              "resume the study, or tune another one (set={'study': NAME})")


@pytest.mark.parametrize(("data", "message"), [
    (lambda x, y: (x[:0], y[:0]), "data: holds no samples"),
    (lambda x, y: (x, np.zeros_like(y)), "data: has one class only ('0') to train on; a classification needs two "
                                         "or more"),
])
def test_arrays_refused_as_a_whole_are_named_data_not_their_file(tmp_path, monkeypatch, data, message):
    """Not ``task.data: STUDY-<digest> holds no samples``: the caller named no file."""
    monkeypatch.chdir(tmp_path)
    x, y = _rows()
    with pytest.raises(ConfigError) as err:
        nntune.tune(set={**QUICK, "storage": f"sqlite:///{tmp_path / 's.db'}"}, data=data(x, y),
                    report=False, model_file=False)
    assert str(err.value) == message
    assert not any((tmp_path / "data").iterdir())


@pytest.mark.parametrize("missing", [None, np.nan])
def test_a_missing_text_label_is_refused_not_a_class_of_its_own(tmp_path, monkeypatch, missing):
    """A Series of strings with a None or NaN among them: refused as missing numeric targets
    are, not trained as a third class named 'None' or 'nan'."""
    monkeypatch.chdir(tmp_path)
    x, y = _rows()
    labels = pd.Series(np.where(y == 1, "yes", "no"), dtype=object)
    labels[3] = missing
    with pytest.raises(ConfigError) as err:
        nntune.tune(set={**QUICK, "storage": f"sqlite:///{tmp_path / 's.db'}"}, data=(x, labels),
                    report=False, model_file=False)
    assert str(err.value) == "data.y: has missing or infinite targets"
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())
