"""A password never reaches the terminal, nor any part of it, also in a URL that SQLAlchemy
cannot parse (a port that is no number) or one whose password holds a raw ``@`` (which every
URL parser ends the password at, taking its tail for the host)."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.storage import redact_url

SECRET = "s3cr3tQz"


@pytest.mark.parametrize(("url", "shown"), [
    (f"postgresql://tuner:{SECRET}@127.0.0.1:notaport/nntune", "postgresql://tuner:***@127.0.0.1:notaport/nntune"),
    (f"postgresql://tuner:{SECRET}@x@127.0.0.1:1/nntune", "postgresql://tuner:***@127.0.0.1:1/nntune"),
    (f"postgresql://tuner:{SECRET}@db/nntune?application_name=a@b", "postgresql://tuner:***@db/nntune?application_name=a@b"),
    ("sqlite:////tmp/x:y@z.db", "sqlite:////tmp/x:y@z.db"),  # a file's name, no password
])
def test_redact_url_hides_the_whole_password(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize("command", [["studies"], ["storage", "upgrade"]])
@pytest.mark.parametrize("url", [f"postgresql://tuner:{SECRET}@127.0.0.1:notaport/nntune",
                                 f"postgresql://tuner:{SECRET[:4]}@{SECRET[4:]}@127.0.0.1:1/nntune"])
def test_a_bad_url_is_one_line_without_the_password(call_cli, url, command):
    code, out, err = call_cli(*command, "--storage", url)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert SECRET not in out + err and SECRET[4:] not in err and "tuner:***@127.0.0.1" in err


def test_a_raw_at_in_the_password_says_how_to_write_it():
    with pytest.raises(ConfigError, match=r"^storage: cannot open postgresql://tuner:\*\*\*@127\.0\.0\.1:1/nntune: "
                                          r"its user or password holds a raw @: write it as %40"):
        nntune.load_study(study_name="s", storage=f"postgresql://tuner:{SECRET[:4]}@{SECRET[4:]}@127.0.0.1:1/nntune")
