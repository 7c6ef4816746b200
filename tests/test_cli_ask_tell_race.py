"""Two ``nntune tell`` for one trial at once: the one that finds it finished between its
read and its write says so in one line (exit 2, or 0 with --skip-if-finished), and the
first value stands."""

from __future__ import annotations

import pytest

import nntune
import nntune.cli_ask
from nntune.cli_ask_inputs import check_tell


@pytest.fixture
def racing(tmp_path, monkeypatch):
    """A study with a running trial that another process (a second connection to the same
    SQLite file) tells 7.0 right after this command has read it as running."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    nntune.create_study(study_name="r", storage=url).ask()

    def check_then_other_tells(*args):
        check_tell(*args)
        nntune.load_study(study_name="r", storage=url).tell(0, 7.0)

    monkeypatch.setattr(nntune.cli_ask, "check_tell", check_then_other_tells)
    return url


@pytest.mark.parametrize("skip", [False, True])
def test_a_trial_finished_meanwhile_is_one_line_and_keeps_the_first_value(call_cli, racing, skip):
    code, _, err = call_cli("tell", "--storage", racing, "--study-name", "r", "--trial-number", "0",
                            "--values", "1", *(["--skip-if-finished"] if skip else []))
    if skip:
        assert code == 0 and "trial 0 is complete already; left as it is" in err
    else:
        assert code == 2
        assert err.strip() == ("nntune: error: --trial-number: trial 0 was finished meanwhile by another command "
                               "(complete); left as it is")
    assert nntune.load_study(study_name="r", storage=racing).trials[0].value == 7.0
