"""runner: which sampler a config gets, given its scheduler."""

from __future__ import annotations

import pytest

from nntune.config import parse_config
from nntune.runner import build_sampler, build_scheduler
from nntune.builtin import default_priors
from nntune.samplers import GPSampler, PriorSampler, RandomSampler, TPESampler
from nntune.schedulers import BOHBSampler

SPACE = {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True},
         "units": {"type": "int", "low": 16, "high": 64}}


def sampler_for(sampler: str, scheduler: str, **options):
    cfg = parse_config({"space": SPACE, "fixed": {"epochs": 9},
                        "search": {"sampler": sampler, "scheduler": scheduler, "seed": 3,
                                   "sampler_options": options}})
    return build_sampler(cfg, build_scheduler(cfg))


@pytest.mark.parametrize("scheduler", ["asha", "hyperband"])
@pytest.mark.parametrize("name, cls", [("tpe", TPESampler), ("gp", GPSampler)])
def test_model_based_samplers_compare_trials_at_equal_budgets_under_successive_halving(name, cls, scheduler):
    sampler = sampler_for(name, scheduler, n_startup_trials=5)
    assert isinstance(sampler, BOHBSampler) and isinstance(sampler.model, cls)
    assert sampler.model.n_startup_trials == 5 and sampler.seed == 3  # the config's options and seed
    assert sampler.budgets == [1, 3, 9] and sampler.max_resource == 9


@pytest.mark.parametrize("name, scheduler, cls", [("tpe", "none", TPESampler), ("tpe", "median", TPESampler),
                                                  ("random", "asha", RandomSampler), ("gp", "pbt", GPSampler)])
def test_other_combinations_keep_the_sampler_as_configured(name, scheduler, cls):
    assert type(sampler_for(name, scheduler)) is cls


def test_bohb_brings_its_own_sampler():
    sampler = sampler_for("random", "bohb")
    assert isinstance(sampler, BOHBSampler) and sampler.model is None and sampler.random_fraction > 0


def test_default_priors_are_the_trainers_defaults_that_lie_in_the_space():
    cfg = parse_config({"space": {**SPACE, "optimizer": {"type": "choice", "values": ["sgd", "adam"]},
                                  "beta2": {"type": "beta", "low": 0.9, "high": 0.999},
                                  "dropout": {"type": "float", "low": 0.1, "high": 0.5}}})
    # Adam's learning rate; 128 units lies outside 16..64 and no dropout outside 0.1..0.5.
    assert default_priors(cfg, cfg.build_space()) == {"lr": 1e-3, "optimizer": "adam", "beta2": 0.999}


def test_the_learning_rates_default_prior_follows_the_optimizer():
    sgd = parse_config({"space": SPACE, "fixed": {"optimizer": "sgd"}})
    assert default_priors(sgd, sgd.build_space())["lr"] == 0.01
    chosen = parse_config({"space": {**SPACE, "optimizer": {"type": "choice", "values": ["sgd", "momentum"],
                                                            "prior": "momentum"}}})
    assert default_priors(chosen, chosen.build_space())["lr"] == 0.01
    # Searched among optimizers without Adam and without a prior: no learning rate to name.
    unknown = parse_config({"space": {**SPACE, "optimizer": {"type": "choice", "values": ["sgd", "rmsprop"]}}})
    assert "lr" not in default_priors(unknown, unknown.build_space())


@pytest.mark.parametrize("scheduler", ["none", "asha", "bohb"])
def test_priors_wrap_whatever_sampler_the_config_builds(scheduler):
    cfg = parse_config({"space": {**SPACE, "lr": {**SPACE["lr"], "prior": 0.02}}, "fixed": {"epochs": 9},
                        "search": {"sampler": "tpe" if scheduler == "asha" else "random", "scheduler": scheduler,
                                   "default_priors": True, "prior_weight": 0.3, "prior_spread": 0.1}})
    sampler = build_sampler(cfg, build_scheduler(cfg))
    assert isinstance(sampler, PriorSampler) and (sampler.weight, sampler.spread) == (0.3, 0.1)
    assert sampler.priors == {"lr": 0.02}  # the space's own prior wins; 128 units is outside 16..64
    assert isinstance(sampler.base, BOHBSampler if scheduler != "none" else RandomSampler)
    assert type(sampler_for("random", "none")) is RandomSampler  # no priors, no wrapper


def test_split_notes_warn_when_the_top_two_are_within_noise():
    from nntune.runner import split_notes
    from nntune.trial import FrozenTrial, TrialState

    def done(number: int, value: float) -> FrozenTrial:
        return FrozenTrial(number=number, state=TrialState.COMPLETE, value=value, params={}, distributions={})

    notes = split_notes("accuracy", [done(0, 0.95), done(1, 0.945)], n_val=360, n_test=360)
    assert len(notes) == 2 and "validation split (360 samples)" in notes[0] and "test split" in notes[1]
    # A test split as large has the same standard error: said in a few words, not the first line again.
    assert notes[1] == "warning: the test split (360 samples) is as small, so its look cannot separate them either"
    other = split_notes("accuracy", [done(0, 0.95), done(1, 0.945)], n_val=360, n_test=300)
    assert "standard error" in other[1] and "test split (300 samples)" in other[1]  # its own, larger error
    assert split_notes("accuracy", [done(0, 0.95), done(1, 0.90)], n_val=360, n_test=360) == []
    assert split_notes("accuracy", [done(0, 0.95), done(1, 0.945)], n_val=100_000, n_test=100_000) == []


def test_metric_notes_flag_a_recall_won_by_calling_everything_positive():
    import yaml

    from nntune.builtin import TestResult, load_task_splits
    from nntune.config import DEFAULT_YAML
    from nntune.runner import metric_notes

    raw = yaml.safe_load(DEFAULT_YAML)
    raw["task"].update(data="breast_cancer", metric="recall")
    cfg = parse_config(raw)
    splits = load_task_splits(cfg)
    trap = TestResult(0, {"confusion_matrix": [[3, 40], [0, 71]]}, 1)
    notes = metric_notes(cfg, splits, trap)
    assert len(notes) == 1 and notes[0].startswith("finding (predicts_all_positive)")
    assert metric_notes(cfg, splits, TestResult(0, {"confusion_matrix": [[40, 3], [2, 69]]}, 1)) == []


def test_auto_batch_size_is_chosen_once_stored_and_used():
    import yaml

    from nntune.config import DEFAULT_YAML
    from nntune.runner import prepare, run_tune

    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage="memory")
    raw["search"]["trials"] = 1
    raw["space"] = {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}}
    raw["fixed"] = {"epochs": 1, "batch_size": "auto"}
    p = prepare(parse_config(raw))
    summary = run_tune(p, evaluate_test=False)
    probe = summary.storage.load_study("digits-mlp").attrs["batch_size_auto"]
    assert probe["tried"][0]["batch_size"] == 64 and probe["chosen"] in (64, 128, 256, 512, 1024)
    assert summary.notes[0].startswith("batch_size auto: tried 64 (")
    assert summary.notes[0].endswith(f"chose {probe['chosen']}")


def test_accuracy_on_a_rare_class_warns_and_the_warning_is_kept(tmp_path):
    import numpy as np
    import yaml

    from nntune.config import DEFAULT_YAML
    from nntune.runner import prepare, run_tune

    rng = np.random.default_rng(0)
    rows = ["a,b,sick"] + [f"{x:.3f},{z:.3f},{int(i % 10 == 0)}" for i, (x, z) in enumerate(rng.normal(size=(200, 2)))]
    (tmp_path / "patients.csv").write_text("\n".join(rows) + "\n")
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage="memory")
    raw["task"].update(data={"kind": "csv", "path": str(tmp_path / "patients.csv"), "target": "sick"})
    raw["search"]["trials"] = 1
    raw["space"] = {"lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True}}
    raw["fixed"] = {"epochs": 1}
    summary = run_tune(prepare(parse_config(raw)), evaluate_test=False)
    warned = [n for n in summary.notes if "class 1 is only 10%" in n]
    assert len(warned) == 1 and "rare disease" in warned[0]
    assert summary.storage.load_study("digits-mlp").attrs["metric_notes"] == warned


@pytest.mark.parametrize("scheduler", ["asha", "hyperband", "bohb"])
def test_a_cost_aware_scheduler_caps_unjudged_trials_at_a_share_of_search_timeout(scheduler):
    def built(**options):
        cfg = parse_config({"space": SPACE, "fixed": {"epochs": 9},
                            "search": {"scheduler": scheduler, "timeout": 300,
                                       "scheduler_options": {"cost_aware": True, **options}}})
        made = build_scheduler(cfg)
        return getattr(made, "hyperband", made)  # BOHB stops trials through its Hyperband

    assert built().budget_seconds == 300.0 and built().cost_aware
    assert built(budget_seconds=120).budget_seconds == 120.0  # given explicitly: kept


def test_a_budget_taken_from_fixed_epochs_is_named_as_the_epochs():
    """The scheduler's max_resource defaults to fixed.epochs; a value it refuses names the
    field the user wrote, not an option they never set."""
    import yaml

    from nntune.config import DEFAULT_YAML
    from nntune.exceptions import ConfigError

    raw = yaml.safe_load(DEFAULT_YAML)
    raw["search"]["scheduler"] = "curve"
    raw["fixed"]["epochs"] = 3
    with pytest.raises(ConfigError) as err:
        build_scheduler(parse_config(raw))
    assert err.value.field == "fixed.epochs" and "max_resource" in err.value.problem
    raw["search"]["scheduler_options"] = {"max_resource": 3}
    with pytest.raises(ConfigError) as err:
        build_scheduler(parse_config(raw))
    assert err.value.field == "search.scheduler_options.max_resource"
