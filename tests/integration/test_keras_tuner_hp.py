"""KerasTuner's ``hp`` over an nntune trial: each kind of range drawn as the matching
suggestion (seen in the study's stored distributions), conditions as KerasTuner's, bad
ranges refused in one line, and a KerasTuner-style ``build_model(hp)`` tuned end to end."""

from __future__ import annotations

import pytest

import nntune
from nntune.exceptions import ConfigError
from nntune.integration import KerasTunerHyperParameters
from nntune.integration._keras_tuner import multiplied_values
from nntune.space import Beta, Choice, Float, Int


def test_each_range_is_the_matching_suggestion():
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    trial = study.ask()
    hp = KerasTunerHyperParameters(trial)
    units = hp.Int("units", 32, 512, step=32)
    layers = hp.Int("layers", 1, 4)
    width = hp.Int("width", 8, 128, step=2, sampling="log")
    lr = hp.Float("lr", 1e-4, 1e-1, sampling="log")
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.1)
    momentum = hp.Float("momentum", 0.8, 0.999, sampling="reverse_log")
    optimizer = hp.Choice("optimizer", ["adam", "sgd"])
    batchnorm = hp.Boolean("batchnorm")
    epochs = hp.Fixed("epochs", 10)
    dists = study.storage.get_trial(study.id, trial.number).distributions
    assert dists["units"] == Int(32, 512, step=32) and dists["layers"] == Int(1, 4)
    assert dists["width"] == Choice((8, 16, 32, 64, 128))  # KerasTuner's log step multiplies
    assert dists["lr"] == Float(1e-4, 1e-1, log=True) and dists["dropout"] == Float(0.0, 0.5, step=0.1)
    assert dists["momentum"] == Beta(0.8, 0.999)  # reverse_log: the (1 - beta) log scale
    assert dists["optimizer"] == Choice(("adam", "sgd")) and dists["batchnorm"] == Choice((True, False))
    assert "epochs" not in dists and epochs == 10
    assert hp.values == {"units": units, "layers": layers, "width": width, "lr": lr, "dropout": dropout,
                         "momentum": momentum, "optimizer": optimizer, "batchnorm": batchnorm, "epochs": 10}
    assert units % 32 == 0 and width in (8, 16, 32, 64, 128) and 0.8 <= momentum <= 0.999
    assert hp.Int("units", 32, 512, step=32) == units  # asked again: the same value, drawn once
    assert hp["lr"] == hp.get("lr") == lr and "lr" in hp and "nope" not in hp
    with pytest.raises(KeyError, match="nope does not exist"):
        hp.get("nope")


def test_conditions_give_none_where_their_parent_has_another_value():
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=1))
    study.enqueue_trial({"model": "mlp"})
    trial = study.ask()
    hp = KerasTunerHyperParameters(trial)
    assert hp.Choice("model", ["mlp", "cnn"]) == "mlp"
    with hp.conditional_scope("model", ["cnn"]):
        assert hp.Int("filters", 8, 64) is None
    with hp.conditional_scope("model", "mlp"):
        units = hp.Int("units", 8, 64)
    assert hp.Int("kernel", 3, 5, parent_name="model", parent_values=["cnn"]) is None
    assert isinstance(units, int) and set(trial.params) == {"model", "units"}
    with pytest.raises(ValueError, match="filters is currently inactive"):
        hp.get("filters")
    with pytest.raises(ConfigError, match=r"^parent_name: no hyperparameter named 'depth' has been defined before$"):
        with hp.conditional_scope("depth", [1]):
            pass


@pytest.mark.parametrize(("call", "message"), [
    (lambda hp: hp.Int("u", 0, 10, sampling="log"), r"^u.min_value: must be > 0 with sampling='log', got 0$"),
    (lambda hp: hp.Int("u", 1, 10, step=1, sampling="log"), r"^u.step: multiplies with sampling='log', so it must be > 1"),
    (lambda hp: hp.Int("u", 1, 10, sampling="cubic"), r"^u.sampling: unknown 'cubic'; choose from linear, log, reverse_log$"),
    (lambda hp: hp.Int("u", 1, 10.5), r"^u.max_value: must be a whole number, got 10.5$"),
    (lambda hp: hp.Int("u", 1, 10, sampling="reverse_log"), r"^u.sampling: reverse_log is for numbers within \(0, 1\)"),
    (lambda hp: hp.Float("m", 0.5, 2.0, sampling="reverse_log"), r"^m.sampling: reverse_log is searched on the \(1 - beta\)"),
    (lambda hp: hp.Int("u", 10, 1), r"^u.min_value: 10 is greater than max_value 1$"),
    (lambda hp: hp.Float("f", 0.5, 0.1), r"^f.min_value: 0.5 is greater than max_value 0.1$"),
    (lambda hp: hp.Choice("c", []), r"^c.values: must be a non-empty list, got \[\]$"),
    (lambda hp: hp.Choice("c", "abc"), r"^c.values: must be a non-empty list, got 'abc'$"),
])
def test_bad_ranges_are_one_line_naming_the_field(call, message):
    hp = KerasTunerHyperParameters(nntune.create_study().ask())
    with pytest.raises(ConfigError, match=message):
        call(hp)


def test_multiplied_values_are_keras_tuners():
    assert multiplied_values(32, 512, 2) == [32, 64, 128, 256, 512]
    assert multiplied_values(1e-4, 1e-1, 10) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert multiplied_values(3, 100, 3) == [3, 9, 27, 81]


def test_a_keras_tuner_build_function_is_tuned_and_rebuilt_from_the_best_trial():
    # build_model as a KerasTuner user writes it; rebuilt from the best trial, as
    # tuner.get_best_hyperparameters() then build(hp) does, it gets the best trial's values.
    def build_model(hp):
        layers = hp.Int("layers", 1, 3)
        units = hp.Int("units", 16, 256, step=2, sampling="log")
        lr = hp.Float("lr", 1e-3, 1.0, sampling="log")
        return layers, units, lr

    def objective(trial):
        layers, units, lr = build_model(KerasTunerHyperParameters(trial))
        return abs(units - 64) / 64 + abs(layers - 2) + abs(lr - 0.1)

    study = nntune.create_study(sampler=nntune.samplers.TPESampler(seed=1, n_startup_trials=5))
    study.optimize(objective, n_trials=20)
    assert {t.params["units"] for t in study.trials} <= {16, 32, 64, 128, 256}
    assert all(set(t.params) == {"layers", "units", "lr"} for t in study.trials)
    best = study.best_trial
    assert best.value == min(t.value for t in study.trials)
    assert build_model(KerasTunerHyperParameters(best)) == (best.params["layers"], best.params["units"],
                                                            best.params["lr"])


def test_sampling_is_read_as_keras_tuner_reads_it_in_any_case_and_none_as_linear():
    # KerasTuner lowers the sampling and takes None (its old default) as linear.
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    hp = KerasTunerHyperParameters(study.ask())
    assert 1e-4 <= hp.Float("lr", 1e-4, 1e-2, sampling="LOG") <= 1e-2
    assert hp.Int("units", 32, 128, step=32, sampling=None) in (32, 64, 96, 128)
    assert hp.Int("width", 8, 64, step=2, sampling="Log") in (8, 16, 32, 64)
    dists = hp.trial.distributions
    assert dists["lr"].log and not dists["units"].log and dists["width"] == Choice((8, 16, 32, 64))


def test_name_scopes_prefix_names_as_keras_tuners_do():
    # KerasTuner's test_nested_conditional_scopes_and_name_scopes, drawn by a sampler
    study = nntune.create_study(sampler=nntune.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"a": 3, "b": 6})
    trial = study.ask()
    hp = KerasTunerHyperParameters(trial)
    hp.Choice("choice", [1, 2, 3])
    with hp.name_scope("scope1"):
        inner = hp.Choice("choice", [4, 5, 6])
        with hp.name_scope("scope2"):
            hp.Choice("choice", [7, 8, 9])
        assert hp.get("choice") == inner and "choice" in hp
    assert hp.Choice("a", [1, 2, 3]) == 3
    with hp.conditional_scope("a", [1, 3]):
        assert hp.Choice("b", [4, 5, 6]) == 6
        with hp.conditional_scope("b", 6), hp.name_scope("d"):
            assert hp.Choice("e", [10, 11, 12]) in (10, 11, 12)
    with hp.conditional_scope("a", 2), hp.name_scope("g"):
        assert hp.Int("h", 0, 10) is None
    assert set(hp.values) == set(trial.params) == {"choice", "scope1/choice", "scope1/scope2/choice", "a", "b", "d/e"}
    assert hp["scope1/choice"] == inner
    with pytest.raises(ValueError, match="g/h is currently inactive"):
        hp.get("g/h")


@pytest.mark.parametrize(("call", "message"), [
    (lambda hp: hp.Int("u", 0, 10, step=0), r"^u.step: must be >= 1, got 0$"),
    (lambda hp: hp.Choice("c", [0.1, 0.01], default=0.5), r"^c.default: 0.5 is not one of the values \[0.1, 0.01\]$"),
    (lambda hp: hp.Boolean("b", default="yes"), r"^b.default: must be True or False, got 'yes'$"),
    (lambda hp: hp.Float("lr", "1e-4", 1e-2), r"^lr.min_value: must be a number, got '1e-4'$"),
    (lambda hp: hp.Int("u", 1, None), r"^u.max_value: must be a number, got None$"),
    (lambda hp: hp.Int("x", 1, 3, parent_name="x", parent_values=[1]), r"^x.parent_name: a hyperparameter cannot be "
                                                                         r"conditioned on itself$"),
])
def test_what_keras_tuner_refuses_is_refused_in_one_line(call, message):
    hp = KerasTunerHyperParameters(nntune.create_study().ask())
    hp.Int("x", 1, 3)
    with pytest.raises(ConfigError, match=message):
        call(hp)
    assert hp.Boolean("flag", default=1) in (True, False)  # 1 passes KerasTuner's check too
