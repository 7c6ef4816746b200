"""A study babysat twice with other fixed values (``--set units=...``) keeps the config of
its latest run; ``export-model`` and ``ensemble`` of an earlier trial built that trial's
network with the later run's width and crashed loading its checkpoint (a traceback of
size mismatches). Each babysat trial is rebuilt from its own parameters."""

from __future__ import annotations

import nntune


def test_an_earlier_babysat_trial_keeps_its_own_width(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    common = ("--study", "p", "--set", "epochs=1", "--set", "layers=1", "--set", "task.train_size=0.3")
    for later in ((), ("--set", "units=24")):  # the trainer's 128 units, then 24
        code, _, err = call_cli("babysit", *common, *later)
        assert code == 0, err
    for trial, units in ((0, 128), (1, 24)):
        code, out, err = call_cli("export-model", "--study", "p", "--trial", str(trial), "-o", f"t{trial}.pt")
        assert code == 0 and "Traceback" not in err, err
        model = nntune.load_model(tmp_path / f"t{trial}.pt")
        assert (model.meta["trial"], model.params.get("units", 128)) == (trial, units)
        assert model(nntune.train.load_splits("digits").x_val[:2]).shape == (2, 10)
    code, out, err = call_cli("ensemble", "--study", "p", "--top", "2")
    assert code == 0 and "ensemble of trials" in out, err
