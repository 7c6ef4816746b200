"""Choosing the metric: accuracy on imbalanced data, recall won by predicting positive."""

import numpy as np
import pytest

from nntune.config import DEFAULT_YAML, parse_config
from nntune.exceptions import ConfigError
from nntune.metric_choice import all_positive_finding, class_shares, imbalance_warning, positive_share


def test_accuracy_on_a_rare_class_warns_with_the_rare_disease_argument():
    y = np.array([0] * 90 + [1] * 10)
    assert class_shares(y, 2).tolist() == [0.9, 0.1]
    text = imbalance_warning("accuracy", y, 2)
    assert text is not None and "class 1 is only 10%" in text and "rare disease" in text
    assert "recall" in text and "f1" in text and "positive_class 1" in text
    assert imbalance_warning("f1", y, 2) is None
    assert imbalance_warning("accuracy", np.array([0] * 50 + [1] * 50), 2) is None
    digits_like = np.repeat(np.arange(10), 10)  # ten balanced classes of 10% each: no rare class
    assert imbalance_warning("accuracy", digits_like, 10) is None
    one_rare = np.concatenate([np.repeat(np.arange(9), 11), [9]])  # class 9 is 1 in 100
    assert "class 9 is only 1%" in imbalance_warning("accuracy", one_rare, 10)


def test_recall_won_by_calling_everything_positive_is_a_finding():
    cm = [[2, 48], [0, 50]]  # 98% predicted positive, half are
    assert positive_share(cm, 1) == pytest.approx(0.98)
    text = all_positive_finding("recall", cm, None)
    assert text is not None and "98%" in text and "50%" in text
    assert all_positive_finding("recall", [[40, 10], [5, 45]], None) is None
    assert all_positive_finding("accuracy", cm, None) is None
    assert all_positive_finding("recall", [[50, 0], [48, 2]], 0) is not None  # class 0 positive


def test_positive_class_and_beta_are_checked():
    import yaml

    raw = yaml.safe_load(DEFAULT_YAML)
    raw["task"].update(metric="fbeta", beta=2.0, positive_class=3)
    cfg = parse_config(raw)
    assert cfg.task.beta == 2.0 and cfg.task.positive_class == 3 and cfg.task.resolved_direction == "maximize"
    raw["task"]["beta"] = 0
    with pytest.raises(ConfigError, match="task.beta"):
        parse_config(raw)
    raw["task"].update(beta=1.0, positive_class=-1)
    with pytest.raises(ConfigError, match="task.positive_class"):
        parse_config(raw)


def test_a_positive_class_beyond_the_data_names_the_field():
    import yaml

    from nntune.builtin import load_task_splits

    raw = yaml.safe_load(DEFAULT_YAML)
    raw["task"].update(data="breast_cancer", metric="recall", positive_class=2)
    with pytest.raises(ConfigError, match="task.positive_class.*classes 0 to 1"):
        load_task_splits(parse_config(raw))
    raw["task"]["positive_class"] = 0
    splits = load_task_splits(parse_config(raw))
    assert splits.info["positive_class"] == 0 and splits.info["beta"] == 1.0


def test_r2_on_a_one_row_validation_split_is_refused(tmp_path):
    """R^2 of one sample is undefined: every trial would end diverged, so the config is
    refused before the search, naming the split."""
    import numpy as np
    import yaml

    from nntune.builtin import load_task_splits

    rng = np.random.default_rng(0)
    rows = ["x1,x2,y"] + [f"{a:.3f},{b:.3f},{a + 2 * b + 0.5:.3f}" for a, b in rng.normal(size=(12, 2))]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    raw = yaml.safe_load(DEFAULT_YAML)
    raw["task"].update(data={"kind": "csv", "path": str(tmp_path / "t.csv"), "target": "y"}, metric="r2",
                       split=[0.8, 0.1, 0.1])
    raw["task"].pop("model", None)
    with pytest.raises(ConfigError) as err:
        load_task_splits(parse_config(raw))
    assert err.value.field == "task.split" and "r2 needs 2 or more validation samples" in err.value.problem
    raw["task"].update(split=[0.6, 0.2, 0.2])
    assert len(load_task_splits(parse_config(raw)).y_val) >= 2


def test_the_rare_class_is_named_by_the_datas_own_label_too():
    y = np.array([0] * 12 + [1] * 88)
    assert "class 0 (sick) is only 12%" in imbalance_warning("accuracy", y, 2, ["sick", "well"])
    assert "class 0 is only 12%" in imbalance_warning("accuracy", y, 2, [0, 1])  # no name beyond the index
    assert "class 0 is only 12%" in imbalance_warning("accuracy", y, 2)
