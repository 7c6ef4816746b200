"""The tuned model as a file: written by ``nntune tune`` at the test look and by
``nntune export-model`` with the test split shut, loaded back by ``nntune.load_model`` as a
module that takes the data as loaded (before normalization) and answers in the target's
units."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml

import nntune
from nntune.config import DEFAULT_YAML
from nntune.exceptions import ConfigError
from nntune.model_file import _stats
from nntune.train import fit, load_splits


def raw_inputs(x: torch.Tensor, normalization: dict) -> torch.Tensor:
    """Undo the loader's normalization: the inputs as a user holds them."""
    view = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
    shift = torch.tensor(normalization["shift"]).reshape(view)
    scale = torch.tensor(normalization["scale"]).reshape(view)
    return x * scale + shift


@pytest.fixture
def tuned(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage=f"sqlite:///{tmp_path / 't.db'}")
    raw["search"]["trials"] = 3
    raw["fixed"]["epochs"] = 3
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    code, out, err = call_cli("tune", "t.yaml", "--json")
    assert code == 0, err
    return tmp_path, raw, json.loads(out.strip().splitlines()[-1])


def test_tune_writes_the_best_model_and_it_answers_raw_inputs(tuned):
    folder, raw, summary = tuned
    model = nntune.load_model(folder / "models" / "digits-mlp.pt")
    assert model.meta["trial"] == summary["best"]["trial"] and not model.training
    assert model.meta["test"]["accuracy"] == pytest.approx(summary["test"]["accuracy"])
    assert model.params["lr"] == pytest.approx(summary["best"]["params"]["lr"])
    splits = load_splits("digits", seed=0)
    x = raw_inputs(splits.x_val, splits.info["normalization"])
    with torch.no_grad():
        assert torch.allclose(model(x), model.network(splits.x_val), atol=1e-5)
        accuracy = float((model(x).argmax(1) == splits.y_val).float().mean())
    assert accuracy == pytest.approx(summary["best"]["value"], abs=1e-6)  # the trial's own validation value
    with torch.no_grad():
        labels = [int(i) for i in model(x[:5]).argmax(1)]
    # digits' labels are integers: predict gives them back as such, the file keeps their names
    assert model.predict(x[:5]) == labels and model.classes == [str(c) for c in range(10)]


def test_export_model_rebuilds_the_same_weights_with_the_test_split_shut(tuned, call_cli):
    folder, raw, summary = tuned
    code, out, err = call_cli("export-model", "--storage", raw["storage"], "-o", "again.pt", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["trial"] == summary["best"]["trial"]
    first = torch.load(folder / "models" / "digits-mlp.pt", weights_only=True)
    again = torch.load(folder / "again.pt", weights_only=True)
    assert all(torch.equal(first["model"][k], again["model"][k]) for k in first["model"])  # retrained by its seed
    code, out, _ = call_cli("show", "--storage", raw["storage"], "--json")
    assert json.loads(out)["test_evaluations"] == 1  # the export did not look
    for args, says in ((("--trial", "99"), "--trial: trial 99 of 'digits-mlp' cannot be exported: no such trial"),
                       (("-o", str(folder)), "--output: ")):
        code, out, err = call_cli("export-model", "--storage", raw["storage"], *args)
        assert code == 2 and err.startswith(f"nntune: error: {says}") and len(err.splitlines()) == 1


def test_several_objectives_write_each_trial_of_the_front(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ("tune", "--storage", f"sqlite:///{tmp_path / 'm.db'}", "--trials", "4", "--set", "fixed.epochs=2",
            "--set", "task.metric=[accuracy, params]", "--set", "task.direction=[maximize, minimize]", "--json")
    code, out, err = call_cli(*args)
    assert code == 0, err
    front = [row["trial"] for row in json.loads(out.strip().splitlines()[-1])["front"]]
    written = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert written == sorted(f"digits-mlp-trial{n}.pt" for n in front) and front
    model = nntune.load_model(tmp_path / "models" / written[0])
    assert model.meta["trial"] in front and "accuracy" in model.meta["test"]
    # export-model without --trial names the front's trials to choose from
    code, _, err = call_cli("export-model", "--storage", f"sqlite:///{tmp_path / 'm.db'}")
    numbers = ", ".join(str(n) for n in sorted(front))
    assert code == 2 and err == (f"nntune: error: --trial: 'digits-mlp' has several objectives; name a trial of its "
                                 f"front ({'trial' if len(front) == 1 else 'trials'} {numbers})\n"), err


def test_a_regression_answers_in_the_targets_units(tmp_path):
    from nntune.model_file import save_model_file

    splits = load_splits("diabetes", seed=0)
    params = {"epochs": 3, "units": 16, "layers": 1}
    result = fit(params, splits, metric="rmse", seed=0)
    path = save_model_file(tmp_path / "r.pt", result.model, params, splits, study="s", trial=0)
    model = nntune.load_model(path)
    x = raw_inputs(splits.x_val, splits.info["normalization"])
    with torch.no_grad():
        expected = result.model(splits.x_val).squeeze(-1) * splits.target_std + splits.target_mean
        assert torch.allclose(model(x), expected, atol=1e-4)
    assert model.predict(x[:4]).shape == (4,)
    as_numpy = x[:4].double().numpy()  # a table as numpy or pandas hold it: float64
    assert np.allclose(model.predict(as_numpy), model.predict(x[:4]), atol=1e-4)
    assert torch.allclose(model(torch.from_numpy(as_numpy)), model(x[:4]), atol=1e-4)


def test_flattened_images_repeat_each_channels_statistics():
    shift, scale = _stats({"shift": [0.5, 0.25], "scale": [2.0, 4.0]}, (2 * 3 * 3,))
    assert shift.tolist() == [[0.5] * 9 + [0.25] * 9] and scale.tolist() == [[2.0] * 9 + [4.0] * 9]
    shift, _ = _stats({"shift": [0.5, 0.25], "scale": [2.0, 4.0]}, (2, 3, 3))
    assert shift.shape == (1, 2, 1, 1)


def test_a_file_that_is_not_a_model_file_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    for name, says in (("nothing.pt", "no model file at"), ("notes.txt", "is not an nntune model file"),
                       ("other.pt", "is not an nntune model file")):
        with pytest.raises(ConfigError, match=says) as raised:
            nntune.load_model(tmp_path / name)
        assert "\n" not in str(raised.value)  # one line, whatever torch said


def test_a_babysat_trial_is_exported_from_its_own_checkpoint(call_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'b.db'}"
    code, out, err = call_cli("babysit", "--set", "epochs=2", "--set", "units=24", "--set", "layers=1",
                              "--study", "b", "--storage", url, "--json")
    assert code == 0, err
    code, out, err = call_cli("export-model", "--study", "b", "--storage", url, "--trial", "0", "-o", "b.pt")
    assert code == 0, err
    model = nntune.load_model(tmp_path / "b.pt")
    trial = nntune.load_study(study_name="b", storage=url).trials[0]
    splits = load_splits("digits", seed=0)
    with torch.no_grad():
        accuracy = float((model(raw_inputs(splits.x_val, splits.info["normalization"])).argmax(1)
                          == splits.y_val).float().mean())
    widths = [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [24, 10]  # the babysat configuration, from the study's stored babysit config
    assert accuracy == pytest.approx(trial.metrics[-1]["val_accuracy"], abs=1e-6)  # the last epoch's weights
