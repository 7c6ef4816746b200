import pytest

from nntune.storage import InMemoryStorage, SQLStorage


@pytest.fixture(params=["memory", "sqlite-file", "sqlite-memory"])
def storage(request, tmp_path):
    if request.param == "memory":
        return InMemoryStorage()
    if request.param == "sqlite-file":
        return SQLStorage(f"sqlite:///{tmp_path / 'contract.db'}")
    return SQLStorage("sqlite://")
