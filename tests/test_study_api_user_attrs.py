"""``Study.set_user_attr`` from several threads at once, as ``optimize(n_jobs=N)``'s
objectives and callbacks call it: every key is kept, as Optuna keeps each one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import nntune


@pytest.mark.parametrize("kind", ["sqlite", "journal", "memory"])
def test_user_attrs_set_at_once_by_threads_are_all_kept(tmp_path, kind):
    storage = {"sqlite": f"sqlite:///{tmp_path / 'u.db'}", "journal": f"journal:///{tmp_path / 'u.log'}",
               "memory": None}[kind]
    study = nntune.create_study(storage=storage)

    def set_some(worker: int) -> None:
        for i in range(10):
            study.set_user_attr(f"w{worker}-{i}", i)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(set_some, range(4)))
    assert len(study.user_attrs) == 40
    assert nntune.load_study(study.study_name, study.storage).user_attrs["w3-9"] == 9
