import pytest
import yaml

from nntune.config import DEFAULT_YAML, load_config, parse_config
from nntune.exceptions import ConfigError
from nntune.space import Beta, Choice, Float, Int


def base():
    return yaml.safe_load(DEFAULT_YAML)


def test_the_documented_shape_is_accepted():
    cfg = load_config(None)
    assert cfg.study == "digits-mlp" and cfg.task.resolved_direction == "maximize"
    space = cfg.build_space()
    assert space.params["lr"] == Float(1e-4, 1.0, log=True)
    assert space.params["units"] == Int(16, 512, log=True)
    # The notes' order: momentum only where the optimizer uses it, Adam's betas left at their defaults.
    assert space.params["momentum"] == Beta(0.8, 0.99) and space.conditions["momentum"] == {"optimizer": ["momentum"]}
    assert space.params["batch_size"] == Choice((32, 64, 128, 256))
    assert space.params["lr_schedule"] == Choice(("constant", "cosine"))
    assert not {"beta1", "beta2", "eps"} & set(space.params)
    assert isinstance(space.params["optimizer"], Choice)
    assert cfg.hyperparameters() == {"model": "mlp", "epochs": 30}


def test_direction_follows_the_metric_when_not_given():
    raw = base()
    raw["task"] = {"data": "diabetes", "metric": "rmse"}
    assert parse_config(raw).task.resolved_direction == "minimize"


def test_conditional_parameters_in_yaml():
    raw = base()
    raw["space"]["momentum"] = {"type": "beta", "low": 0.8, "high": 0.99, "when": {"optimizer": ["momentum"]}}
    space = parse_config(raw).build_space()
    assert space.is_active("momentum", {"optimizer": "momentum"})
    assert not space.is_active("momentum", {"optimizer": "adam"})


@pytest.mark.parametrize("mutate, field, words", [
    (lambda r: r.update(colour="red"), "colour", "unknown key"),
    (lambda r: r["search"].update(trials="many"), "search.trials", "integer"),
    (lambda r: r["search"].update(trials=0), "search.trials", "greater than 0"),
    (lambda r: r["space"]["lr"].update(low=2.0), "space.lr.low", "must not exceed"),
    (lambda r: r["space"]["optimizer"].update(values=["momentum", "adamm"]), "space.optimizer.values", "adamm"),
    (lambda r: r["space"].update(lrr={"type": "float", "low": 0, "high": 1}), "space.lrr", "unknown hyperparameter"),
    (lambda r: r["space"]["lr"].update(type="gaussian"), "space.lr.type", ""),
    (lambda r: r["space"]["units"].pop("high"), "space.units.high", "needs high"),
    (lambda r: r["fixed"].update(optimizer="adamm"), "fixed.optimizer", "adamm"),
    (lambda r: r["fixed"].update(lr=0.1), "fixed.lr", "also in space"),
    (lambda r: r["task"].update(metric="auc"), "task.metric", "unknown metric"),
    (lambda r: r["task"].update(model="transformer"), "task.model", "unknown model"),
    (lambda r: r["space"]["momentum"].update(high=1.5), "space.momentum.high", "between 0 and 1"),
    (lambda r: r["search"].update(enqueue=[{"lr": 0.01}, {"dropout": 0.1}]), "search.enqueue[1].dropout", "not in space"),
    (lambda r: r["search"].update(enqueue=[{"lr": 5.0}]), "search.enqueue[0].lr", "outside"),
    (lambda r: r["search"].update(enqueue=[{"optimizer": "adamm"}]), "search.enqueue[0].optimizer", "outside"),
    (lambda r: r["search"].update(enqueue={"lr": 0.01}), "search.enqueue", "list"),
])
def test_bad_input_is_one_line_naming_the_field(mutate, field, words):
    raw = base()
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.field == field
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_priors_given_in_the_space():
    raw = base()
    raw["space"]["lr"]["prior"] = 3e-3
    raw["space"]["optimizer"]["prior"] = "momentum"
    assert parse_config(raw).priors() == {"lr": 3e-3, "optimizer": "momentum"}
    assert parse_config(base()).priors() == {}


def test_files(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [unclosed\n")
    with pytest.raises(ConfigError, match="malformed YAML at line"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(listy)


def test_a_condition_may_name_a_parameter_written_after_it():
    # A YAML dump sorts keys and PostgreSQL's JSON column reorders them: "momentum" then
    # lands before the "optimizer" its condition names. Parents move first; a config
    # written in order keeps its order, so its draws do not change.
    written = yaml.safe_load(DEFAULT_YAML)
    shuffled = yaml.safe_load(yaml.safe_dump(written))  # keys sorted
    assert list(shuffled["space"]) != list(written["space"])
    ordered, resorted = parse_config(written).build_space(), parse_config(shuffled).build_space()
    assert list(ordered.params) == list(written["space"])
    names = list(resorted.params)
    for child, cond in resorted.conditions.items():
        assert all(names.index(parent) < names.index(child) for parent in cond)
    cycle = {"space": {"a": {"type": "choice", "values": [1, 2], "when": {"b": [1]}},
                       "b": {"type": "choice", "values": [1, 2], "when": {"a": [1]}}}}
    with pytest.raises(ConfigError, match="cycle"):
        parse_config(cycle).build_space()


def test_set_keeps_a_dotted_hyperparameter_name_whole() -> None:
    # `--set fixed.hflip.p=0.3` said "fixed.hflip: unknown hyperparameter": the name's own dot
    # was read as one more level of the config.
    from nntune.config_overrides import set_value

    raw: dict = {"space": {"lr": {"type": "float", "low": 1e-3, "high": 1e-1}, "hflip.p": {"type": "float", "low": 0, "high": 1}}}
    set_value(raw, "fixed.hflip.p", 0.3)
    set_value(raw, "space.hflip.p.high", 0.5)
    set_value(raw, "space.lr.low", 1e-4)
    set_value(raw, "space.rotation.degrees", {"type": "float", "low": 0, "high": 30})
    set_value(raw, "task.data.sep", ";")
    assert raw["fixed"] == {"hflip.p": 0.3}
    assert raw["space"]["hflip.p"]["high"] == 0.5 and raw["space"]["lr"]["low"] == 1e-4
    assert raw["space"]["rotation.degrees"] == {"type": "float", "low": 0, "high": 30}
    assert raw["task"] == {"data": {"sep": ";"}}


def test_the_model_trained_is_the_fixed_one_over_the_task_s():
    assert parse_config({}).model_name == "mlp"
    assert parse_config({"task": {"model": "cnn"}}).model_name == "cnn"
    assert parse_config({"fixed": {"model": "cnn"}}).model_name == "cnn"


def test_a_curve_terminator_counts_the_epochs_of_a_searched_choice():
    raw = {"search": {"terminator": {"error": "curve"}}, "space": {"epochs": {"type": "choice", "values": [1, 2]}}}
    with pytest.raises(ConfigError, match="^search.terminator.error: .* these train at most 2"):
        parse_config(raw)
    raw["space"]["epochs"]["values"] = [1, 5]
    assert parse_config(raw).search.terminator.error == "curve"


def test_a_condition_on_a_continuous_range_is_refused_and_on_a_grid_taken():
    space = {"lr": {"type": "float", "low": 1e-3, "high": 0.1},
             "momentum": {"type": "beta", "low": 0.8, "high": 0.9, "when": {"lr": [0.01]}}}
    with pytest.raises(ConfigError, match=r"^space.momentum.when.lr: lr is a continuous float range, which never"):
        parse_config({"space": space})
    space["lr"]["step"] = 1e-3
    assert parse_config({"space": space}).build_space().conditions["momentum"] == {"lr": [0.01]}


def test_an_enqueued_float_for_an_int_range_is_named_as_such():
    raw = {"space": {"units": {"type": "int", "low": 16, "high": 64}}, "search": {"enqueue": [{"units": 32.0}]}}
    with pytest.raises(ConfigError, match=r"^search.enqueue\[0\].units: units is an int range; give an integer, got 32.0$"):
        parse_config(raw)
    raw["search"]["enqueue"] = [{"units": 32}]
    assert parse_config(raw).search.enqueue == [{"units": 32}]


def test_a_section_whose_lines_are_all_commented_out_is_an_empty_one():
    cfg = parse_config(yaml.safe_load("task:\n  # data: iris\nfixed:\n  # epochs: 3\nspace:\nsearch:\n"))
    assert cfg.fixed == {} and cfg.space == {}
    assert cfg.task == parse_config({}).task and cfg.search == parse_config({}).search
    with pytest.raises(ConfigError, match="^study"):
        parse_config({"study": None})  # a value, not a section: still refused


def test_priors_on_a_grid_name_every_sampler_that_takes_them():
    from nntune.samplers import SAMPLERS

    raw = base()
    raw["space"]["lr"]["prior"] = 3e-3
    raw.setdefault("search", {})["sampler"] = "grid"
    with pytest.raises(ConfigError, match="^search.sampler: a grid runs every point in order") as err:
        parse_config(raw)
    for name in SAMPLERS:
        assert (f"{name}," in str(err.value) or f"{name})" in str(err.value)) is (name != "grid"), name
