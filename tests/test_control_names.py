"""A change of a name nothing knows (a typo) reads as unknown, not as a structural one."""

import pytest

from nntune.control import set_trial_params
from nntune.exceptions import ConfigError
from nntune.space import Int
from nntune.storage import SQLStorage


def test_an_unknown_name_is_called_unknown_and_a_structural_one_structural(tmp_path, call_cli):
    url = f"sqlite:///{tmp_path / 'n.db'}"
    store = SQLStorage(url)
    sid = store.create_study("n", "maximize")
    n = store.create_trial(sid)
    store.set_trial_params(sid, n, {"n_hidden": 3}, {"n_hidden": Int(1, 8)})  # a define-by-run objective's own
    for name, problem in (("learning_rate", "unknown hyperparameter; changeable: beta1"),
                          ("units", "cannot change while a model trains"),
                          ("n_hidden", "cannot change while a model trains")):
        with pytest.raises(ConfigError, match=f"^{name}: {problem}"):
            set_trial_params(store, sid, "n", n, {name: 1})
    code, _, err = call_cli("trial", "set", "--study", "n", "--trial", "0", "--storage", url, "learning_rate=1e-3")
    assert code == 2 and err.startswith("nntune: error: learning_rate: unknown hyperparameter;"), err
    assert len(err.strip().splitlines()) == 1 and store.get_param_changes(sid) == []


def test_numpy_scalars_are_taken_as_the_numbers_they_hold(tmp_path):
    import numpy as np

    store = SQLStorage(f"sqlite:///{tmp_path / 'n.db'}")
    sid = store.create_study("n", "maximize")
    n = store.create_trial(sid)
    added = set_trial_params(store, sid, "n", n, {"lr": np.float32(0.5), "epochs": np.int64(40),
                                                  "early_stopping": np.bool_(True)})
    assert [(c.param, c.new, type(c.new)) for c in added] == [
        ("lr", 0.5, float), ("epochs", 40, int), ("early_stopping", True, bool)]
    assert [c.new for c in store.get_param_changes(sid, n)] == [0.5, 40, True]


def test_a_name_the_trials_own_model_declares_is_structural_though_left_at_its_default(tmp_path, monkeypatch):
    (tmp_path / "mynet.py").write_text(
        "from torch import nn\n\n"
        "def Net(input_shape, n_outputs, *, hidden=32):\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], hidden), nn.ReLU(),\n"
        "                         nn.Linear(hidden, n_outputs))\n")
    monkeypatch.chdir(tmp_path)
    store = SQLStorage(f"sqlite:///{tmp_path / 'n.db'}")
    sid = store.create_study("n", "maximize")
    # As babysit queues it: the config's values, the model's own `hidden` not among them.
    n = store.create_trial(sid, system_attrs={"fixed_params": {"model": "mynet:Net", "epochs": 30}})
    with pytest.raises(ConfigError, match="^hidden: cannot change while a model trains"):
        set_trial_params(store, sid, "n", n, {"hidden": 3})
    with pytest.raises(ConfigError, match="^hiden: unknown hyperparameter"):
        set_trial_params(store, sid, "n", n, {"hiden": 3})
    assert store.get_param_changes(sid) == []
