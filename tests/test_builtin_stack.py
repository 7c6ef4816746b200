"""The built-in trainer's glue for stacks: what members of one stack share."""

from nntune.builtin_stack import StackTrainer
from nntune.config import parse_config
from nntune.runner import prepare


def trainer(augment):
    rotation = {"rotation.degrees": {"type": "float", "low": 0.0, "high": 30.0}} if augment else {}
    cfg = parse_config({"study": "s", "storage": "memory",
                        "task": {"data": "digits", "model": "cnn", "metric": "accuracy",
                                 "options": {"as_image": True}, **augment},
                        "search": {"executor": "population", "seed": 0},
                        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}, **rotation},
                        "fixed": {"epochs": 1, "conv_layers": 1, "filters": 4}})
    p = prepare(cfg)
    return StackTrainer(cfg, p.space, p.splits, device="cpu", epochs=1)


def test_members_of_different_augmentation_never_share_a_stack():
    t = trainer({"augment": ["rotation"]})
    a = t.structure({"lr": 0.01, "rotation.degrees": 5.0})
    assert a == t.structure({"lr": 0.05, "rotation.degrees": 5.0})  # the rate may differ in a stack
    assert a != t.structure({"lr": 0.01, "rotation.degrees": 20.0})
    plain = trainer({})
    assert plain.structure({"lr": 0.01, "rotation.degrees": 5.0}) == \
        plain.structure({"lr": 0.01, "rotation.degrees": 20.0})


def mlp_trainer(scheduler=None):
    search = {"executor": "population", "seed": 0, **({"scheduler": "pbt", "scheduler_options": scheduler}
                                                      if scheduler else {})}
    cfg = parse_config({"study": "s", "storage": "memory",
                        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"}, "search": search,
                        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True}},
                        "fixed": {"epochs": 1, "layers": 1, "units": 16}})
    p = prepare(cfg)
    return StackTrainer(cfg, p.space, p.splits, device="cpu", epochs=1, pbt=p.scheduler if scheduler else None)


def plan_of(trainer):
    from nntune.builtin import trial_hyperparameters
    from nntune.builtin_stack import MemberPlan

    params = trial_hyperparameters(trainer.cfg, {"lr": 0.01}, 1)
    return MemberPlan(params, 0, trainer.structure(params))


def test_auto_on_the_cpu_is_its_bound_untimed_and_pbt_bounds_it_by_its_population():
    from nntune.builtin_stack import AUTO_LIMIT

    t = mlp_trainer()
    sized = t.auto_size(plan_of(t))
    assert sized.k == sized.bound == AUTO_LIMIT["cpu"] and sized.timings == [] and sized.to_json()["rule"] == "bound"
    assert sized.bound_by == "device"
    pbt = mlp_trainer({"population": 2})
    assert pbt.capacity(plan_of(pbt).params, "auto") == 2 and pbt.auto_size(plan_of(pbt)).k == 2
    assert pbt.auto_bound(plan_of(pbt).params) == (2, "pbt")
    assert pbt.capacity(plan_of(pbt).params, 16) == 16  # a K given is kept: the stack drops what PBT leaves empty


def test_auto_timed_probes_real_stacks_of_the_first_structure():
    from nntune.train.stack_size import pick_population

    t = mlp_trainer()
    sized = t.auto_size(plan_of(t), timed=True)
    sizes = [k for k, _ in sized.timings]
    assert sizes == [1, 2, 4][:len(sizes)] and len(sizes) >= 2 and all(s > 0 for _, s in sized.timings)
    assert sized.k == pick_population(sized.timings) and sized.bound == 4


def run_population_study(task, space, trials=4):
    from nntune.runner import run_tune

    cfg = parse_config({"study": "s", "storage": "memory", "task": {"data": "wine", "model": "mlp", **task},
                        "search": {"executor": "population", "population": 2, "seed": 0, "trials": trials},
                        "space": space, "fixed": {"epochs": 2, "layers": 1, "optimizer": "adam", "lr": 0.02}})
    summary = run_tune(prepare(cfg), evaluate_test=False)
    return summary.storage.get_trials(summary.storage.load_study("s").id)


UNITS = {"units": {"type": "choice", "values": [4, 64]}}


def test_a_member_measures_the_costs_its_constraints_compare():
    trials = run_population_study({"metric": "accuracy", "constraints": {"params": {"max": 600}}}, UNITS)
    assert len(trials) == 4 and all(t.state.name == "COMPLETE" for t in trials)
    for t in trials:  # wine: 13 features, 3 classes; one hidden layer
        assert t.user_attrs["params"] == 13 * t.params["units"] + t.params["units"] + t.params["units"] * 3 + 3
        assert (t.system_attrs["constraints"][0] <= 0) == (t.params["units"] == 4)


def test_a_member_of_a_study_of_several_objectives_is_told_one_value_per_objective():
    trials = run_population_study({"metric": ["accuracy", "params"]}, UNITS)
    assert len(trials) == 4 and all(t.state.name == "COMPLETE" for t in trials)
    for t in trials:
        assert t.values[1] == t.user_attrs["params"] and 0 <= t.values[0] <= 1
