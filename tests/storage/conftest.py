import pytest

from nntune.storage import InMemoryStorage, SQLStorage

STORAGES = ["memory", "sqlite-file", "sqlite-memory", "postgresql", "journal"]


@pytest.fixture(params=STORAGES)
def storage(request, tmp_path):
    """Every storage nntune has; PostgreSQL is a real server (skipped without its binaries)."""
    if request.param == "memory":
        return InMemoryStorage()
    if request.param == "journal":
        from nntune.storage.journal import JournalStorage

        return JournalStorage(tmp_path / "contract.log")
    if request.param == "sqlite-file":
        return SQLStorage(f"sqlite:///{tmp_path / 'contract.db'}")
    if request.param == "postgresql":
        store = SQLStorage(request.getfixturevalue("postgresql_url"))
        request.addfinalizer(store.engine.dispose)
        return store
    return SQLStorage("sqlite://")
