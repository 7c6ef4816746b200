"""``nntune export`` beside Optuna's ``study.trials_dataframe()``: times to the microsecond,
and typed columns (timestamps) in Parquet."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import nntune


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    study = nntune.create_study(study_name="s", storage=url, direction="maximize")
    for i in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, float(i))
    return url, study


def test_export_keeps_the_times_trials_dataframe_has(call_cli, db):
    url, study = db
    expected = study.trials_dataframe()
    code, out, err = call_cli("export", "--storage", url, "--study", "s")
    assert code == 0, err
    csv = pd.read_csv(io.StringIO(out), parse_dates=["datetime_start", "datetime_complete"])
    assert csv["datetime_start"].tolist() == expected["datetime_start"].tolist()
    assert csv["datetime_complete"].tolist() == expected["datetime_complete"].tolist()
    code, out, err = call_cli("export", "--storage", url, "--study", "s", "--format", "json")
    assert code == 0, err
    first = json.loads(out)[0]
    assert pd.Timestamp(first["datetime_start"]) == expected["datetime_start"][0]


def test_parquet_export_has_timestamp_columns(call_cli, db, tmp_path):
    url, study = db
    target = tmp_path / "rows.parquet"
    code, _, err = call_cli("export", "--storage", url, "--study", "s", "-o", str(target))
    assert code == 0, err
    frame = pd.read_parquet(target)
    assert pd.api.types.is_datetime64_any_dtype(frame["datetime_start"])
    assert pd.api.types.is_datetime64_any_dtype(frame["datetime_complete"])
    assert frame["datetime_complete"].tolist() == study.trials_dataframe()["datetime_complete"].tolist()


def test_export_over_the_storage_file_is_refused_and_the_study_kept(call_cli, db, tmp_path):
    url, _ = db
    code, _, err = call_cli("export", "--storage", url, "--study", "s", "--format", "csv",
                            "-o", str(tmp_path / "x.db"))
    assert code == 2
    assert err == (f"nntune: error: --output: {tmp_path / 'x.db'} is the storage itself; writing there would "
                   "destroy its studies\n")
    assert len(nntune.load_study(study_name="s", storage=url).trials) == 3
    journal = tmp_path / "s.log"
    nntune.create_study(study_name="j", storage=f"journal://{journal}")
    code, _, err = call_cli("export", "--storage", str(journal), "--storage-class", "JournalFileBackend",
                            "--study", "j", "--format", "json", "-o", str(journal))
    assert code == 2 and "is the storage itself" in err
    assert nntune.get_all_study_names(f"journal://{journal}") == ["j"]


def test_a_report_over_the_storage_file_is_refused_and_the_study_kept(call_cli, db, tmp_path):
    url, _ = db
    code, _, err = call_cli("report", "--storage", url, "--study", "s", "-o", str(tmp_path / "x.db"))
    assert code == 2 and "--output:" in err and "is the storage itself" in err
    assert len(nntune.load_study(study_name="s", storage=url).trials) == 3
