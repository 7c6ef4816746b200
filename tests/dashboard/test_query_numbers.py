"""The API's numbers are read as they are written: "1_0", Arabic-Indic or full-width digits
are refused in one line naming the parameter, not read as another number than the one shown
(Python's int() and float() take all of them), and a value filter whose min is above its max
is refused as a parameter range is, not answered with an empty table."""

from __future__ import annotations

import pytest

from nntune.dashboard import RunningServer, create_app
from nntune.dashboard.query import BadQuery, integer, number, trial_query
from nntune.storage import SQLStorage

from tests.dashboard.test_api import build_study, get


@pytest.mark.parametrize("text", ["1_0", "\u0661\u0662", "\uff11", "0x10", "1.5", " "])
def test_an_integer_is_ascii_digits(text):
    with pytest.raises(BadQuery, match=f"^page: expected an integer, got {text!r}$"):
        integer({"page": [text]}, "page", 0, 0, 10)


@pytest.mark.parametrize("text", ["1_0", "\u0661", "\uff11.5", "1e", "--1"])
def test_a_number_is_written_in_ascii(text):
    with pytest.raises(BadQuery, match="^value_min: expected a number"):
        number(text, "value_min")


def test_the_numbers_people_write_are_still_read():
    assert [integer({"n": [t]}, "n", 0, -10, 10) for t in ("7", "+7", "-3", "007")] == [7, 7, -3, 7]
    assert [number(t, "v") for t in ("0.5", ".5", "5.", "-1e-3", "2E3", " 3 ", "inf", "-Infinity")] == [
        0.5, 0.5, 5.0, -1e-3, 2000.0, 3.0, float("inf"), float("-inf")]


def test_a_value_filter_from_above_its_max_is_refused():
    with pytest.raises(BadQuery, match="^value_max: 0.2 is below value_min 0.5$"):
        trial_query({"value_min": ["0.5"], "value_max": ["0.2"]})
    assert trial_query({"value_min": ["0.5"], "value_max": ["0.5"]}).value_max == 0.5


def test_the_api_answers_such_numbers_with_a_400(tmp_path):
    store = SQLStorage(f"sqlite:///{tmp_path / 'q.db'}")
    build_study(store, "demo", n=4)
    with RunningServer(create_app(store)) as server:
        for query, field in (("number=%D9%A0", "number"), ("since=1_0", "since")):
            path = "trial" if field == "number" else "poll"
            code, body, _ = get(f"{server.url}/api/{path}?study=demo&{query}")
            assert code == 400 and body["error"].startswith(f"{field}: expected an integer"), body
        code, body, _ = get(f"{server.url}/api/trials?study=demo&value_min=3&value_max=1")
        assert code == 400 and body["error"] == "value_max: 1 is below value_min 3"
