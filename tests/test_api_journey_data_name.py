"""``nntune.tune(data="wine")``: a name or a file given where arrays go says where it belongs."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError


@pytest.mark.parametrize(("given", "spec"), [("wine", "'wine'"), ("d/houses.csv", "{'kind': 'csv', 'path': "
                                                                                  "'d/houses.csv', 'target': ...}"),
                                             ("x.npz", "{'kind': 'npz', 'path': 'x.npz'}")])
def test_a_name_for_data_points_at_task_data(tmp_path, monkeypatch, given, spec):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        nntune.tune({"storage": f"sqlite:///{tmp_path / 'x.db'}"}, data=given)
    assert str(err.value) == f"data: takes arrays; give a data set by name or file as task.data: " \
                             f"set={{'task.data': {spec}}}"
    assert list(tmp_path.iterdir()) == []
