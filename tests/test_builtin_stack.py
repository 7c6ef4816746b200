"""The built-in trainer's glue for stacks: what members of one stack share."""

from nntune.builtin_stack import StackTrainer
from nntune.config import parse_config
from nntune.runner import prepare


def trainer(augment):
    cfg = parse_config({"study": "s", "storage": "memory",
                        "task": {"data": "digits", "model": "cnn", "metric": "accuracy",
                                 "options": {"as_image": True}, **augment},
                        "search": {"executor": "population", "seed": 0},
                        "space": {"lr": {"type": "float", "low": 1.0e-3, "high": 1.0e-1, "log": True},
                                  "rotation.degrees": {"type": "float", "low": 0.0, "high": 30.0}},
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
