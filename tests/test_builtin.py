"""The sealed test split: no look during the search, exactly one recorded look after it."""

import yaml

from nntune.config import DEFAULT_YAML, parse_config
from nntune.runner import prepare, run_tune


def test_search_never_opens_the_test_split_and_the_final_look_is_recorded():
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage="memory")
    raw["fixed"]["epochs"] = 2
    raw["search"]["trials"] = 4
    p = prepare(parse_config(raw))
    openings_during_search = []

    def on_trial(study, frozen):
        openings_during_search.append(len(p.splits.test.openings))
        assert not study.storage.get_test_evaluations(study.id)

    summary = run_tune(p, on_trial=on_trial)
    assert openings_during_search == [0, 0, 0, 0]
    assert len(p.splits.test.openings) == 1
    assert summary.test is not None and summary.test.looks == 1
    assert summary.test.trial == summary.best.number
    assert set(summary.test.metrics) >= {"accuracy", "precision", "recall", "f1", "confusion_matrix"}
    cm = summary.test.metrics["confusion_matrix"]
    assert sum(map(sum, cm)) == len(p.splits.test)


def test_retraining_the_best_trial_reproduces_its_validation_value():
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage="memory")
    raw["fixed"]["epochs"] = 3
    raw["search"]["trials"] = 2
    p = prepare(parse_config(raw))
    summary = run_tune(p, evaluate_test=False)
    from nntune._trial import derive_seed
    from nntune.builtin import trial_hyperparameters
    from nntune.train import fit

    best = summary.best
    result = fit(trial_hyperparameters(p.cfg, best.params), p.splits, metric="accuracy",
                 seed=derive_seed(p.cfg.search.seed, best.number))
    assert result.history[-1]["value"] == best.value
    assert not p.splits.test.openings


def test_a_binary_test_look_names_the_notes_tp_fp_fn_tn():
    # breast_cancer: malignant is class 0 in scikit-learn's labels, named as the positive class.
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage="memory")
    raw["task"].update(data="breast_cancer", metric="recall", positive_class=0)
    raw["fixed"]["epochs"] = 2
    raw["search"]["trials"] = 1
    p = prepare(parse_config(raw))
    m = run_tune(p).test.metrics
    cm = m["confusion_matrix"]
    assert {"tp", "fp", "fn", "tn"} <= set(m) and m["tp"] + m["fp"] + m["fn"] + m["tn"] == len(p.splits.test)
    positive = int(p.splits.info["positive_class"])
    assert (m["tp"], m["fn"]) == (cm[positive][positive], sum(cm[positive]) - cm[positive][positive])
    assert m["recall"] == m["tp"] / (m["tp"] + m["fn"])
    assert m["precision"] == m["tp"] / (m["tp"] + m["fp"])


def test_a_test_look_of_many_classes_without_a_positive_class_has_no_binary_counts():
    raw = yaml.safe_load(DEFAULT_YAML)
    raw.update(storage="memory")
    raw["fixed"]["epochs"] = 1
    raw["search"]["trials"] = 1
    m = run_tune(prepare(parse_config(raw))).test.metrics
    assert not {"tp", "fp", "fn", "tn"} & set(m)
