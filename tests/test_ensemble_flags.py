"""``nntune ensemble``'s flags: a bad ``--top`` or ``--method`` is one line naming the flag,
before any storage is opened or data loaded."""

import pytest

from nntune.storage import NOTHING_STORED


@pytest.mark.parametrize(("flag", "value", "says"), [("--top", "0", "--top: must be at least 1, got 0"),
                                                     ("--method", "vote", "--method: unknown 'vote'; choose from "
                                                                          "average, greedy")])
def test_a_bad_flag_is_named_before_the_storage_is_opened(call_cli, tmp_path, flag, value, says):
    code, out, err = call_cli("ensemble", "--study", "s", "--storage", f"sqlite:///{tmp_path / 'none.db'}",
                              flag, value)
    assert code == 2 and out == ""
    assert err == f"nntune: error: {says}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_storage_that_does_not_exist_is_refused_not_created(call_cli, tmp_path):
    code, out, err = call_cli("ensemble", "--study", "s", "--storage", f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 2 and out == ""
    assert err == f"nntune: error: storage: no such SQLite file: {tmp_path / 'none.db'} {NOTHING_STORED}\n"
    assert list(tmp_path.iterdir()) == []
