"""A PostgreSQL role without a privilege nntune needs (a reader given only SELECT, a role
given nothing) is one line naming the storage and the privileges, exit code 2 on the command
line, not SQLAlchemy's error with its SQL."""

from __future__ import annotations

import uuid

import pytest

import nntune
from nntune.exceptions import ConfigError
from _postgres import run_sql

NEEDS = "nntune needs SELECT, INSERT, UPDATE and DELETE on its tables"


@pytest.fixture
def stored(postgresql_url: str) -> str:
    nntune.create_study(study_name="s", storage=postgresql_url).optimize(lambda t: t.suggest_float("x", 0, 1),
                                                                        n_trials=1)
    return postgresql_url


def role_url(url: str, *grants: str) -> str:
    """The URL as a new role (the server trusts every local role) with ``grants``."""
    role = f"r_{uuid.uuid4().hex[:10]}"
    run_sql(url, f"CREATE ROLE {role} LOGIN", *[g.format(role=role) for g in grants])
    return url.replace("nntune@", f"{role}@")


def test_a_reading_role_may_read_and_is_refused_a_write_in_one_line(stored, call_cli):
    url = role_url(stored, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    assert len(nntune.load_study(study_name="s", storage=url).trials) == 1
    with pytest.raises(ConfigError) as caught:
        nntune.create_study(study_name="new", storage=url)
    assert str(caught.value).startswith(f"storage: {url} refuses the URL's user (permission denied for table studies)")
    assert NEEDS in str(caught.value) and "\n" not in str(caught.value)
    code, out, err = call_cli("delete-study", "--study", "s", "--storage", url, "--yes")
    assert code == 2 and len(err.strip().splitlines()) == 1 and NEEDS in err, err
    assert len(nntune.load_study(study_name="s", storage=stored).trials) == 1


def test_a_role_without_any_privilege_is_told_so(stored, call_cli):
    code, out, err = call_cli("studies", "--storage", role_url(stored))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "refuses the URL's user (permission denied for table studies)" in err and NEEDS in err
