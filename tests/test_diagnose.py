"""Each rule of the curve diagnosis on curves with a known answer, a healthy trial with no
finding, and real trials from the built-in trainer that overfit, diverge and learn too slowly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import nntune
from nntune.diagnose import (
    ADVICE,
    KINDS,
    activation_kinds,
    diagnose,
    diagnose_trials,
    error_of,
    infer_metric,
)
from nntune.diagnose_rules import learning_rate_findings
from nntune.trial import FrozenTrial, TrialState

EPOCHS = 20


def decay(start: float, end: float, n: int = EPOCHS, rate: float = 0.5) -> np.ndarray:
    """A curve that converges: start -> end exponentially."""
    return end + (start - end) * np.exp(-rate * np.arange(n))


def layers(grads: Sequence[float] = (0.3, 0.25, 0.4), stds: Sequence[float] = (0.6, 0.7, 2.0),
           zeros: Sequence[float] = (0.5, 0.45, 0.0), means: Sequence[float] | None = None) -> list[dict[str, Any]]:
    names = [f"fc{i + 1}" for i in range(len(grads) - 1)] + ["head"]
    means = means or [0.3] * len(grads)
    return [{"name": n, "grad_norm": g, "act_mean": m, "act_std": s, "act_zero_frac": z}
            for n, g, m, s, z in zip(names, grads, means, stds, zeros)]


def trial(train_acc: Sequence[float], val_acc: Sequence[float], train_loss: Sequence[float] | None = None,
          val_loss: Sequence[float] | None = None, *, layer_stats: list[dict[str, Any]] | None = None,
          state: TrialState = TrialState.COMPLETE, params: dict[str, Any] | None = None,
          metric: str = "accuracy") -> FrozenTrial:
    """A trial whose records hold these curves (losses default to the errors)."""
    n = len(val_acc)
    train_loss = list(train_loss) if train_loss is not None else [1 - a for a in train_acc]
    val_loss = list(val_loss) if val_loss is not None else [1 - a for a in val_acc]
    records = [{"step": e + 1, "epoch": e + 1, "train_loss": float(train_loss[e]),
                f"train_{metric}": float(train_acc[e]), "val_loss": float(val_loss[e]),
                f"val_{metric}": float(val_acc[e]), "value": float(val_acc[e]), "lr": 1e-3,
                "layers": layer_stats if layer_stats is not None else layers()} for e in range(n)]
    return FrozenTrial(number=0, state=state, params=params or {}, value=float(val_acc[-1]),
                       intermediate_values={e + 1: float(val_acc[e]) for e in range(n)}, metrics=records)


def healthy() -> FrozenTrial:
    return trial(1 - decay(0.9, 0.01), 1 - decay(0.9, 0.03), decay(2.3, 0.03), decay(2.3, 0.1))


def kinds(t: FrozenTrial, **kw: Any) -> list[str]:
    return [f.kind for f in diagnose(t, **kw)]


# ---------------------------------------------------------------- healthy


def test_a_healthy_trial_has_no_finding():
    assert diagnose(healthy()) == []
    assert diagnose(healthy(), study_best=0.97) == []


def test_every_kind_has_advice_and_a_severity():
    assert set(KINDS) == set(ADVICE)
    for t in (healthy(),):
        for f in diagnose(t):
            assert f.advice and f.severity in ("info", "warning", "error")


# ---------------------------------------------------------------- over- and underfitting


def test_the_notes_overfitting_example_1_vs_10_percent_error():
    t = trial(1 - decay(0.9, 0.01), 1 - decay(0.9, 0.10), decay(2.3, 0.03), decay(2.3, 0.35))
    found = diagnose(t, study_best=0.97)
    assert [f.kind for f in found] == ["overfitting"]
    ev = found[0].evidence
    assert ev["train_error"] == pytest.approx(0.01, abs=1e-3) and ev["val_error"] == pytest.approx(0.10, abs=1e-3)
    assert "dropout" in found[0].advice and "more data" in found[0].advice


def test_overfitting_by_the_validation_loss_rising_while_the_training_loss_falls():
    val_loss = np.concatenate([decay(2.3, 0.3, 8), 0.3 + 0.05 * np.arange(1, 13)])
    t = trial(1 - decay(0.9, 0.04), 1 - decay(0.9, 0.06), decay(2.3, 0.02), val_loss)
    found = diagnose(t)
    assert [f.kind for f in found] == ["overfitting"]
    assert found[0].evidence["val_loss_min_epoch"] == int(np.argmin(val_loss)) + 1 == 9
    assert found[0].evidence["val_loss_last"] == pytest.approx(0.9)


def test_the_notes_underfitting_example_14_vs_15_percent_error():
    t = trial(1 - decay(0.9, 0.14), 1 - decay(0.9, 0.15), decay(2.3, 0.5), decay(2.3, 0.55))
    found = diagnose(t, study_best=0.98)
    assert [f.kind for f in found] == ["underfitting"]
    assert "bigger network" in found[0].advice and "more data will not help" in found[0].advice
    assert kinds(t) == ["underfitting"]  # no study best: 14% training error is high by itself
    assert kinds(t, study_best=0.85) == []  # the study's best is as bad: nothing better is known


def test_over_and_underfitting_exclude_each_other_on_the_notes_numbers():
    over = trial(1 - decay(0.9, 0.01), 1 - decay(0.9, 0.10), decay(2.3, 0.03), decay(2.3, 0.35))
    under = trial(1 - decay(0.9, 0.14), 1 - decay(0.9, 0.15), decay(2.3, 0.5), decay(2.3, 0.55))
    assert "underfitting" not in kinds(over, study_best=0.99)
    assert "overfitting" not in kinds(under, study_best=0.99)


def test_a_pruned_trial_is_not_called_underfitting_or_too_slow():
    t = trial(np.linspace(0.1, 0.5, 3), np.linspace(0.1, 0.48, 3), state=TrialState.PRUNED)
    assert kinds(t, study_best=0.98) == []


def test_regression_errors_are_the_metric_itself():
    # mae: training 0.1 against validation 0.5 is overfitting; 0.45 vs 0.5 with a best of 0.1 underfitting.
    over = trial(decay(3.0, 0.1), decay(3.0, 0.5), decay(3.0, 0.1), decay(3.0, 0.5), metric="mae")
    assert kinds(over, direction="minimize", metric="mae") == ["overfitting"]
    under = trial(decay(3.0, 0.45), decay(3.0, 0.5), decay(3.0, 0.45), decay(3.0, 0.5), metric="mae")
    assert kinds(under, direction="minimize", metric="mae", study_best=0.1) == ["underfitting"]
    # Unbounded errors are "high" only next to the study's best.
    assert kinds(under, direction="minimize", metric="mae") == []
    assert error_of(0.9, "maximize") == pytest.approx(0.1) and error_of(0.3, "minimize") == 0.3


# ---------------------------------------------------------------- the learning rate


def test_lr_too_small_when_the_validation_loss_still_falls_steadily():
    loss = np.linspace(2.30, 2.10, EPOCHS)
    t = trial(np.linspace(0.1, 0.3, EPOCHS), np.linspace(0.1, 0.3, EPOCHS), loss + 0.01, loss)
    found = diagnose(t, study_best=0.3)
    assert "lr_too_small" in [f.kind for f in found]
    f = next(f for f in found if f.kind == "lr_too_small")
    assert f.evidence["recent_rate_share"] == pytest.approx(1.0) and "more epochs" in f.advice


def test_a_value_only_curve_is_named_as_the_reported_value_improving_its_own_way():
    """A define-by-run trial that reported values alone: a still-rising accuracy is not
    described as a falling validation loss."""
    acc = np.linspace(0.30, 0.60, EPOCHS)
    t = FrozenTrial(number=0, state=TrialState.COMPLETE, value=float(acc[-1]),
                    intermediate_values={i: float(v) for i, v in enumerate(acc)})
    f = next(f for f in diagnose(t, direction="maximize") if f.kind == "lr_too_small")
    assert f.summary.startswith("the reported value was still rising at the end")
    loss = FrozenTrial(number=1, state=TrialState.COMPLETE, value=float(2 - acc[-1]),
                       intermediate_values={i: float(2 - v) for i, v in enumerate(acc)})
    f = next(f for f in diagnose(loss, direction="minimize") if f.kind == "lr_too_small")
    assert f.summary.startswith("the reported value was still falling at the end")


def test_lr_too_large_when_the_validation_loss_oscillates():
    rng = np.random.default_rng(0)
    val_loss = decay(2.3, 0.8) + 0.3 * np.array([1, -1] * (EPOCHS // 2)) * rng.uniform(0.5, 1.0, EPOCHS)
    t = trial(1 - decay(0.9, 0.02), 1 - decay(0.9, 0.04), decay(2.3, 0.3), val_loss)
    found = diagnose(t)
    assert [f.kind for f in found] == ["lr_too_large"]
    assert found[0].evidence["sign_change_fraction"] >= 0.9 and "decay" in found[0].advice


def test_lr_too_large_when_the_validation_loss_zig_zags_in_runs_of_two_or_three_epochs():
    # Up twice, down three times, up again: the direction flips only 40% of the time, yet
    # the tail travels far more than it gets (a real SGD run at the edge of stability).
    val_loss = np.array([0.68, 0.42, 0.47, 0.42, 0.50, 0.35, 0.42, 0.49, 0.32, 0.37, 0.49, 0.42, 0.40, 0.38, 0.49])
    train_loss = np.array([1.38, 0.51, 0.33, 0.22, 0.16, 0.13, 0.12, 0.16, 0.15, 0.12, 0.13, 0.08, 0.16, 0.09, 0.04])
    found = learning_rate_findings(val_loss, train_loss=train_loss)
    assert [f.kind for f in found] == ["lr_too_large"]
    assert found[0].evidence["sign_change_fraction"] < 0.5 and found[0].evidence["path_over_net"] >= 2
    # A tail that turns once and climbs (overfitting's shape) is not a zig-zag.
    climbing = np.array([0.79, 0.57, 0.41, 0.38, 0.35, 0.32, 0.37, 0.37, 0.45, 0.43, 0.39, 0.33, 0.38, 0.41, 0.58])
    assert "lr_too_large" not in [f.kind for f in learning_rate_findings(climbing)]


def test_lr_too_large_when_the_training_loss_falls_then_climbs_again():
    train_loss = np.concatenate([decay(1.1, 0.14, 11), np.linspace(0.2, 0.5, 9)])
    val_loss = np.concatenate([decay(0.9, 0.6, 11), np.linspace(1.2, 2.0, 9)])
    t = trial(1 - decay(0.9, 0.03), 1 - decay(0.9, 0.06), train_loss, val_loss)
    found = diagnose(t)
    # Not overfitting: the validation loss rises because training itself goes wrong.
    assert [f.kind for f in found] == ["lr_too_large"]
    assert found[0].evidence["train_loss_min_epoch"] == 11 and found[0].evidence["train_loss_last"] == 0.5
    # A training loss near zero that wobbles (1e-5 -> 3e-5) gave back nothing of its descent.
    tiny = np.concatenate([decay(2.3, 1e-5, 15, rate=1.5), [2e-5, 3e-5, 1.5e-5, 3e-5, 3e-5]])
    overfit = trial(1 - decay(0.9, 0.0), 1 - decay(0.9, 0.15), tiny, decay(2.3, 0.7))
    assert kinds(overfit) == ["overfitting"]


def test_a_first_epoch_far_above_the_loss_after_it_is_a_blow_up_only_when_astronomical():
    # A noiseless regression learned within one epoch: its first epoch's mean (untrained
    # batches included) is 10^4 times the validation loss after it. Not a blow-up.
    fast = decay(1e-4, 5e-5, 10)
    train = np.concatenate([[0.9], decay(2e-4, 4e-5, 9)])
    assert "lr_too_large" not in kinds(trial(1 - decay(0.9, 0.01, 10), 1 - decay(0.9, 0.02, 10), train, fast))
    # A loss that reached 1e11 within the epoch, then a model at chance.
    blown = trial([0.1] * 10, [0.1] * 10, [1.8e11] + [2.38] * 9, [2.39] * 10)
    found = {f.kind: f for f in diagnose(blown)}
    assert "lr_too_large" in found and found["lr_too_large"].evidence["epoch"] == 1


def test_a_converged_loss_that_wobbles_a_little_is_not_oscillating():
    wobble = 0.002 * np.array([1, -1] * (EPOCHS // 2))
    t = trial(1 - decay(0.9, 0.01), 1 - decay(0.9, 0.03), decay(2.3, 0.03), decay(2.3, 0.1) + wobble)
    assert diagnose(t) == []


def test_diverged_trials_nonfinite_losses_and_exploding_losses():
    stored = FrozenTrial(number=3, state=TrialState.DIVERGED, system_attrs={"diverged_epoch": 2},
                         error="training loss is nan at epoch 2")
    found = diagnose(stored)
    assert [f.kind for f in found] == ["diverged"] and found[0].severity == "error"
    assert found[0].evidence["epoch"] == 2 and "nan" in found[0].summary
    nan_loss = trial([0.5, 0.6, 0.6], [0.5, 0.6, 0.6], [1.0, 0.8, math.nan], [1.0, 0.8, math.inf])
    assert kinds(nan_loss)[0] == "diverged"
    exploding = trial([0.5] * 6, [0.5] * 6, [2.3, 1.5, 1.0, 5.0, 40.0, 900.0], [2.3, 1.6, 1.2, 6.0, 50.0, 999.0])
    assert kinds(exploding)[0] == "diverged"
    assert "gradient clipping" in ADVICE["diverged"] and "normalized inputs" in ADVICE["diverged"]


# ---------------------------------------------------------------- gradients and activations


def test_vanishing_and_exploding_gradients_compare_the_first_and_last_layers():
    base = (1 - decay(0.9, 0.01), 1 - decay(0.9, 0.03), decay(2.3, 0.03), decay(2.3, 0.1))
    vanishing = trial(*base, layer_stats=layers(grads=(3e-7, 1e-4, 0.5)))
    assert kinds(vanishing) == ["vanishing_gradients"]
    assert diagnose(vanishing)[0].evidence["log10_ratio"] == pytest.approx(math.log10(3e-7 / 0.5))
    exploding = trial(*base, layer_stats=layers(grads=(150.0, 20.0, 0.9)))
    assert kinds(exploding) == ["exploding_gradients"]
    within_a_decade = trial(*base, layer_stats=layers(grads=(0.05, 0.2, 0.4)))
    assert kinds(within_a_decade) == []
    frozen_first = trial(*base, layer_stats=layers(grads=(0.0, 0.2, 0.4)))  # a frozen layer reports 0
    assert kinds(frozen_first) == []


def test_saturated_tanh_layers_with_std_near_1_but_not_relu_layers():
    base = (1 - decay(0.9, 0.01), 1 - decay(0.9, 0.03), decay(2.3, 0.03), decay(2.3, 0.1))
    stats = layers(stds=(0.97, 0.96, 15.0), zeros=(0.0, 0.0, 0.0), means=(0.0, 0.01, -0.2))
    found = diagnose(trial(*base, layer_stats=stats, params={"activation": "tanh"}))
    assert [f.kind for f in found] == ["saturated_activations"]
    assert found[0].evidence["layers"] == 2 and found[0].evidence["max_saturation"] > 0.9
    assert kinds(trial(*base, layer_stats=stats, params={"activation": "relu"})) == []
    assert kinds(trial(*base, layer_stats=stats)) == []  # unknown activation: bounds unknown
    calm = layers(stds=(0.5, 0.45, 3.0), zeros=(0.0, 0.0, 0.0), means=(0.0, 0.0, 0.0))
    assert kinds(trial(*base, layer_stats=calm, params={"activation": "tanh"})) == []
    sigmoid = layers(stds=(0.49, 0.48, 3.0), zeros=(0.0, 0.0, 0.0), means=(0.5, 0.45, 0.0))
    assert kinds(trial(*base, layer_stats=sigmoid, params={"activation": "sigmoid"})) == ["saturated_activations"]


def test_collapsed_activations_with_std_down_to_hundredths():
    base = (1 - decay(0.9, 0.01), 1 - decay(0.9, 0.03), decay(2.3, 0.03), decay(2.3, 0.1))
    stats = layers(grads=(0.1, 0.2, 0.3, 0.3), stds=(0.07, 0.002, 0.0001, 0.01), zeros=(0.0, 0.0, 0.0, 0.0))
    found = diagnose(trial(*base, layer_stats=stats, params={"activation": "tanh"}))
    assert [f.kind for f in found] == ["collapsed_activations"]
    assert found[0].evidence == {"layers": 2.0, "min_std": 0.0001}


def test_dead_relus_when_almost_every_output_is_zero():
    base = (1 - decay(0.9, 0.01), 1 - decay(0.9, 0.03), decay(2.3, 0.03), decay(2.3, 0.1))
    found = diagnose(trial(*base, layer_stats=layers(zeros=(0.5, 0.97, 0.0))))
    assert [f.kind for f in found] == ["dead_relus"] and "fc2" in found[0].summary
    assert kinds(trial(*base, layer_stats=layers(zeros=(0.5, 0.6, 0.0)))) == []


def test_activation_kinds_come_from_the_stored_model_summary():
    summary = [{"name": "flatten", "type": "Flatten"}, {"name": "fc1", "type": "Linear"},
               {"name": "act1", "type": "Sigmoid"}, {"name": "fc2", "type": "Linear"},
               {"name": "act2", "type": "Tanh"}, {"name": "head", "type": "Linear"}, {"name": "total", "type": ""}]
    t = FrozenTrial(number=0, state=TrialState.COMPLETE, user_attrs={"model_summary": summary})
    assert activation_kinds(t, ["fc1", "fc2", "head"]) == {"fc1": "sigmoid", "fc2": "tanh", "head": None}


# ---------------------------------------------------------------- define-by-run trials


def test_trials_with_only_intermediate_values_get_the_curve_rules():
    slow = FrozenTrial(number=1, state=TrialState.COMPLETE, value=0.30,
                       intermediate_values={e: 0.1 + 0.01 * e for e in range(1, 21)})
    assert kinds(slow, direction="maximize") == ["lr_too_small"]
    converged = FrozenTrial(number=2, state=TrialState.COMPLETE, value=0.97,
                            intermediate_values={e: float(0.97 - 0.8 * math.exp(-e)) for e in range(1, 21)})
    assert diagnose(converged) == []
    assert diagnose(FrozenTrial(number=3, state=TrialState.COMPLETE, value=1.0)) == []


def test_diagnose_trials_uses_the_study_best_and_infers_the_metric():
    under = trial(1 - decay(0.9, 0.14), 1 - decay(0.9, 0.15), decay(2.3, 0.5), decay(2.3, 0.55))
    best = healthy()
    best.number, under.number = 0, 1
    found = diagnose_trials([best, under], "maximize")
    assert found == {0: [], 1: found[1]} and [f.kind for f in found[1]] == ["underfitting"]
    assert found[1][0].evidence["best_error"] == pytest.approx(0.03, abs=1e-3)
    assert infer_metric(best.metrics) == "accuracy"


# ---------------------------------------------------------------- real trials


@pytest.fixture
def one_thread():
    """Tiny MLPs train faster on one thread, and do not fight other test processes for cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
def test_real_trials_that_overfit_diverge_and_learn_too_slowly(one_thread, tmp_path):
    from nntune.train import fit, load_splits

    tiny = load_splits("digits", train_size=0.05)  # about 50 training images
    full = load_splits("digits")
    cases = {
        "overfit": {"layers": 3, "units": 256, "epochs": 20, "lr": 1e-3, "batch_size": 16},
        "diverge": {"optimizer": "sgd", "lr": 10.0, "epochs": 3},
        "slow": {"lr": 1e-5, "epochs": 10, "batch_size": 16},
    }

    def objective(t: nntune.Trial) -> float:
        name = t.suggest_categorical("case", list(cases))

        def report(epoch: int, record: dict[str, Any]) -> bool:
            t.report(record["value"], epoch, metrics=record)
            return False

        result = fit(cases[name], full if name == "diverge" else tiny, metric="accuracy", report=report, seed=0)
        t.set_user_attr("model_summary", result.summary)
        return float(result.history[-1]["value"])

    study = nntune.create_study(direction="maximize")
    for name in cases:
        study.enqueue_trial({"case": name})
    study.optimize(objective, n_trials=len(cases))
    trials = {t.params["case"]: t for t in study.trials}
    assert trials["diverge"].state == TrialState.DIVERGED
    found = {name: [f.kind for f in diagnose(t, study_best=0.97)] for name, t in trials.items()}
    assert "overfitting" in found["overfit"], found
    assert found["diverge"] == ["diverged"], found
    # Still falling steadily: not converged, so not called underfitting (a bigger network would not help).
    assert found["slow"] == ["lr_too_small"], found
    assert "lr_too_small" not in found["overfit"] and "underfitting" not in found["overfit"], found

    # The same findings reach `nntune show` and the report.
    from nntune.report import write_report
    from nntune.show import show_data

    shown = {r["params"]["case"]: r["findings"] for r in show_data(study.storage, study.study_name)["trials"]}
    assert "overfitting" in shown["overfit"] and shown["diverge"] == ["diverged"] and "lr_too_small" in shown["slow"]
    page = write_report(study.storage, study.study_name, tmp_path / "r.html").read_text(encoding="utf-8")
    diagnosis = page[page.index('<section id="diagnosis">'):page.index('<section id="trials">')]
    assert "overfitting" in diagnosis and "lr_too_small" in diagnosis


def test_a_bounded_layer_of_exact_zeros_is_collapsed_not_dead_relus():
    from nntune.diagnose_layers import activation_findings

    layers = [{"name": "fc1", "act_mean": 0.0, "act_std": 0.0, "act_zero_frac": 1.0},
              {"name": "head", "act_mean": 0.1, "act_std": 0.5, "act_zero_frac": 0.0}]
    tanh = activation_findings(layers, {"fc1": "tanh", "head": None})
    assert [f.kind for f in tanh] == ["collapsed_activations"]
    relu = activation_findings(layers, {"fc1": "relu", "head": None})
    assert [f.kind for f in relu] == ["dead_relus"]


def test_an_error_gap_under_steps_too_large_is_overfitting_only_where_training_fit():
    import numpy as np

    from nntune.diagnose_rules import fit_findings

    # Adam at lr 1 on diabetes (RMSE; the study's best 53): its batches score 215, its
    # validation pass 4536, as the weights swing. Nothing was memorized.
    train = np.array([410.5, 286.8, 251.5, 232.5, 213.5, 198.2])
    val = np.array([4520.4, 4527.5, 4531.7, 4534.3, 4535.7, 4536.6])
    loss = np.linspace(1.0, 0.5, 6)
    swinging = fit_findings(train, val, loss, loss * 300, bounded=False, best_error=53.0, unstable=True)
    assert swinging == []
    # The same gap from a training error as low as the best trial's is memorization.
    fitted = fit_findings(train / 8, val / 40, loss, loss, bounded=False, best_error=53.0, unstable=True)
    assert [f.kind for f in fitted] == ["overfitting"]
