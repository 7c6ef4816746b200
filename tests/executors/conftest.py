import pytest

import nntune
from nntune.samplers import RandomSampler


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request, tmp_path):
    """A storage URL every worker process reaches: an SQLite file, or a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture
def make_study():
    def make(url: str, name: str = "s", seed: int = 0) -> nntune.Study:
        return nntune.create_study(name, url, sampler=RandomSampler(seed), seed=seed)
    return make
