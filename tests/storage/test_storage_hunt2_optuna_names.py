"""``nntune.storages`` by Optuna 4's names: ``storages.journal.JournalStorage`` and its
backends, ``storages.get_storage``, RDBStorage's ``engine_kwargs`` errors and the heartbeat
getters, and one-line errors for what nntune has no server for (Redis, gRPC)."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.storage import InMemoryStorage, SQLStorage


def test_journal_storage_by_optunas_import_path(tmp_path):
    from nntune.storages.journal import (BaseJournalBackend, JournalFileBackend, JournalFileOpenLock,
                                         JournalFileSymlinkLock, JournalStorage)

    path = tmp_path / "j.log"
    backend = JournalFileBackend(str(path), lock_obj=JournalFileSymlinkLock(str(path)))
    assert isinstance(backend, BaseJournalBackend)
    storage = JournalStorage(backend)
    nntune.create_study(study_name="j", storage=storage).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    again = JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path))))
    assert len(nntune.load_study(study_name="j", storage=again).trials) == 2
    # the package's names are the same classes
    assert nntune.storages.JournalStorage is JournalStorage
    assert nntune.storages.BaseJournalLogStorage is BaseJournalBackend


def test_get_storage_as_optunas(tmp_path):
    from nntune.storages import RDBStorage, get_storage

    assert isinstance(get_storage(None), InMemoryStorage)
    url = f"sqlite:///{tmp_path / 'g.db'}"
    assert isinstance(get_storage(url), SQLStorage)
    rdb = RDBStorage(url)
    assert get_storage(rdb) is rdb
    with pytest.raises(ConfigError, match="^storage: Redis is not supported"):
        get_storage("redis://localhost:6379")


@pytest.mark.parametrize("engine_kwargs, problem", [
    ({"bogus": 1}, "Invalid argument"),
    ({"connect_args": {"bogus": 1}}, "bogus"),
    (5, "must be a dict"),
    ("pool_size=5", "must be a dict"),
])
def test_bad_engine_kwargs_name_the_field(tmp_path, engine_kwargs, problem):
    from nntune.storages import RDBStorage

    with pytest.raises(ConfigError, match=f"^engine_kwargs: .*{problem}") as caught:
        RDBStorage(f"sqlite:///{tmp_path / 'e.db'}", engine_kwargs=engine_kwargs)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "e.db").exists()  # nothing written


def test_good_engine_kwargs_and_bad_url_still_blame_the_url(tmp_path):
    from nntune.storages import RDBStorage

    RDBStorage(f"sqlite:///{tmp_path / 'ok.db'}", engine_kwargs={"connect_args": {"timeout": 60}})
    with pytest.raises(ConfigError, match="^url: .*does not exist"):
        RDBStorage(f"sqlite:///{tmp_path / 'no' / 'x.db'}", engine_kwargs={"connect_args": {"timeout": 60}})


def test_rdb_heartbeat_getters_and_upgrade(tmp_path):
    from nntune.storages import RDBStorage, RetryFailedTrialCallback

    callback = RetryFailedTrialCallback(max_retry=2)
    storage = RDBStorage(f"sqlite:///{tmp_path / 'h.db'}", heartbeat_interval=5, failed_trial_callback=callback)
    assert storage.get_heartbeat_interval() == 5
    assert storage.get_failed_trial_callback() is callback
    assert storage.get_heartbeat_stale_trial_callback() is callback
    assert RDBStorage(f"sqlite:///{tmp_path / 'h.db'}").get_heartbeat_interval() is None
    nntune.create_study(study_name="u", storage=storage)
    storage.upgrade()  # opening already brought it up to date: nothing to do, nothing lost
    assert nntune.get_all_study_names(storage=storage) == ["u"]


def test_servers_nntune_lacks_are_one_line():
    from nntune.storages import GrpcStorageProxy, run_grpc_proxy_server
    from nntune.storages.journal import JournalRedisBackend

    with pytest.raises(ConfigError, match="^storage: GrpcStorageProxy needs a gRPC"):
        GrpcStorageProxy(host="localhost", port=13000)
    with pytest.raises(ConfigError, match="^storage: run_grpc_proxy_server"):
        run_grpc_proxy_server(InMemoryStorage(), port=13000)
    with pytest.raises(ConfigError, match="^log_storage: JournalRedisBackend needs a Redis server"):
        JournalRedisBackend("redis://localhost:6379")


def test_isinstance_base_storage_as_optuna_scripts_check(tmp_path):
    import optuna

    from nntune.storages import BaseStorage, JournalStorage, RDBStorage, journal

    stores = [InMemoryStorage(), RDBStorage(f"sqlite:///{tmp_path / 'b.db'}"),
              JournalStorage(journal.JournalFileBackend(str(tmp_path / "b.log"))),
              nntune.create_study()._storage]
    assert all(isinstance(store, BaseStorage) for store in stores)
    assert issubclass(RDBStorage, BaseStorage)
    # what nntune cannot store a study in is no storage of its
    assert not isinstance("sqlite:///x.db", BaseStorage)
    assert not isinstance(optuna.storages.InMemoryStorage(), BaseStorage)
