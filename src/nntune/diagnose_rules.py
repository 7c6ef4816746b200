"""The rules of the curve diagnosis, as pure functions of plain numbers, with their thresholds.

:mod:`nntune.diagnose` reads a trial and calls these; each threshold is a named constant
with the reason for its value. The per-layer rules (gradients, activations) are in
:mod:`nntune.diagnose_layers`. See that module for what each finding means, and
:mod:`nntune.diagnose_findings` for the kinds, severities and advice a finding carries.
"""

from __future__ import annotations

import math

import numpy as np

from nntune._diagnose_pace import slow_finding
from nntune._diagnose_swings import swing_finding
from nntune.diagnose_descent import MIN_EPOCHS_FOR_TREND, rated_epochs, steady_descent
from nntune.diagnose_findings import Finding, finding

# ---------------------------------------------------------------- thresholds

# Overfitting, bounded scores (accuracy-like, error = 1 - score): the notes' example is a
# 1% training error against 10% on validation (a 9-point gap, 10x). A well-fitted MLP on
# digits ends near 0.6% vs 3.6% (a 3-point gap), so a 5-point gap separates the two.
OVERFIT_MIN_GAP = 0.05
# ... and validation error at least twice the training error, for every metric. Errors
# of 14% vs 15% (underfitting in the notes) are 1.07x; 1% vs 10% is 10x.
OVERFIT_MIN_RATIO = 2.0
# The curve signature: validation loss ended 10% or more above its minimum while the
# training loss kept falling after that minimum, both read as means over LAST_EPOCHS
# epochs. Epoch-to-epoch noise of a converged validation loss is a few percent; on a
# small or unnormalized validation split it is 20-40%, which the means absorb.
OVERFIT_LOSS_RISE = 0.10
# Underfitting: training error at least 75% of validation error, i.e. the gap is small
# next to the error itself (14% vs 15% is 93%; 1% vs 10% is 10%).
UNDERFIT_CLOSE_RATIO = 0.75
# "High" relative to the study's best trial: at least twice its error ...
UNDERFIT_VS_BEST = 2.0
# ... or 1.4 times it where the trial's capacity is known to be cut (a hidden layer of a
# third of the classes or fewer, or a weight penalty or dropout). On the 252 runs, Fashion-
# MNIST (best error 17%) with L2 0.1 ended at 25% (1.49x), flat and close to validation;
# unregularized full-width MLPs at too-small rates sat at 1.58-1.67x, still falling, and
# are not affected by this bar. 4 hidden units there (30-33% after 10 epochs of Adam 1e-3)
# are no cut: at Adam 1e-2 they reach 11% training error and overfit.
UNDERFIT_VS_BEST_CAPPED = 1.4
# ... and, for bounded scores, 5 points above it (so 1% vs a best of 0.4% is not "high").
UNDERFIT_MIN_EXCESS = 0.05
# Without a study best, a bounded training error of 10% or more is high (the notes'
# underfitting example trains at 14%). Unbounded errors (mae, rmse) need a study best. So
# too, whatever the best, for a network too narrow for its task: a study of one trial is
# its own best, and a 2-unit digits MLP at 70-80% error was never "high" against itself.
UNDERFIT_ABS_ERROR = 0.10
# Underfitting needs MIN_EPOCHS_FOR_TREND epochs of errors: an early training error says how
# far training got, not what the network can fit (digits after one epoch: 46% vs 23%).
# Errors are averaged over the last few epochs: the training score is measured on the
# batches as they are trained (dropout on) and is noisy from epoch to epoch.
LAST_EPOCHS = 3

# lr_too_small needs the curve to fall steadily at its end (nntune.diagnose_descent) ...
# and never to have jumped up on the way: no epoch 25% or more above the lowest value before
# it. Measured on 252 real runs (MLPs on digits, breast_cancer and a 2,000-image
# Fashion-MNIST subset; SGD, Momentum, Adam; 3 seeds): every too-small rate (1e-6 to 1e-2)
# gave a monotone validation loss (largest rise above the running minimum: 0%); the jumps
# of too-large rates that then fell steadily again were 54-194% (SGD 0.5 on a 6-layer MLP:
# 1.08 -> 2.29 at epoch 11, so the last epochs fell faster than the average).
LR_SMALL_MAX_JUMP = 0.25
# Oscillation, judged on the second half of the curve (after the first descent): the
# curve goes up and down (the direction of the step flips at least half the time, or it
# turns at least twice and travels at least twice as far as it gets, as a zig-zag does
# whose runs are two or three epochs long), and the typical step is 10% or more both of
# the typical loss there and of the curve's whole range (max - min). A converged loss
# wobbles by 1-3% of its level and well under 1% of its first descent; a flat curve that
# never learns wobbles by far less than 10% of its level.
OSCILLATION_MIN_POINTS = 6
LR_LARGE_SIGN_CHANGES = 0.5
LR_LARGE_MIN_TURNS = 2
LR_LARGE_PATH_RATIO = 2.0
LR_LARGE_AMPLITUDE = 0.10
# A smaller wobble, 4% of both, counts where the training loss corroborates it: the notes'
# "training loss jumps", an epoch 25% or more above its lowest value before it. Lab
# learning-rate at Momentum 0.1, seeds 0-9: the validation loss wobbles by 5.9-28% of its
# range and 7.3-21% of its level; at the four seeds under 10% the training loss jumped
# 32-111%. No run at a good rate reached 4% of both (lab at 0.01, Adam 1e-3 and Momentum
# 0.01 on digits, seeds 0-9: 2.5% at most, the training loss never above its minimum); runs
# that overfit while their training loss jumps (dropout on 300 digits: up to 130%) wobble by
# 2% of their range at most, their validation loss rising from a long first descent.
LR_LARGE_AMPLITUDE_JUMPING = 0.04
LR_LARGE_TRAIN_JUMP = 0.25
# The notes' "very large rate": the loss first falls, then climbs again. A training loss
# that ends 10% or more above its minimum, giving back a quarter or more of its first
# descent, is that (on a good run it only wobbles; near zero, tiny wobbles are large
# factors, hence the share of the descent). On the 252 runs: too-large rates stuck at or
# near chance climbed 1.1-2.8x (Momentum 0.1 on an 8-layer He MLP: 2.05 -> 2.31, 1.12x,
# giving back 76%); runs at good rates that ended 1.1x or more above their minimum gave
# back at most 5% of their descent (Adam 0.03 on breast_cancer: 9.5x near zero, 1%); heavy
# L2 (0.5, 1.0) lets the data loss creep up by 1-3% only.
TRAIN_RISE_FACTOR = 1.1
TRAIN_RISE_SHARE = 0.25
# Both losses climbing at the end: the training loss ends 1.2x or more above its minimum
# and above where it stood LAST_EPOCHS epochs before, and the validation loss too. Then the
# validation rise is the steps overshooting, not overfitting, which needs the training loss
# to fall. On the 252 runs every run that ended so (both losses up over the last 3 epochs)
# at 1.2x or more had a too-large rate (1.33-11.5x: Momentum 0.2 on digits 0.0044 -> 0.030
# at epochs 12-15, with its validation loss 0.52 -> 0.68; SGD 0.5 on Fashion-MNIST 1.33x);
# the others ended at most 1.03x (L2 1.0 on breast_cancer, where the penalty lifts the data
# loss). Runs at good rates whose training loss wobbled up 2-9x near zero (Adam 0.03 on
# breast_cancer) ended falling again. Both climbs are read on means over LAST_EPOCHS epochs
# (the last ones against the ones before, and against the lowest stretch): under dropout or
# batch norm the training loss near its floor wobbles 2-3x from epoch to epoch, and its last
# epoch against the one LAST_EPOCHS before is a coin toss; the means must agree with it. Read epoch against epoch, 9 of
# 144 runs at good rates (50 epochs, dropout 0.2-0.5 or batch norm; digits, breast_cancer,
# wine) were told their rate was too large, giving back 0.04-2.4% of their descent (Adam
# 1e-3 with dropout 0.5 on digits: 0.0475 -> 0.0574); read on means, 5, and none of 60
# runs at too-large rates lost the reading.
TRAIN_END_CLIMB = 1.2
# Exploding loss: the training loss ended 10x above its minimum and above where it started.
EXPLODE_FACTOR = 10.0
# A loss that blew up within an epoch and came back: the epoch's mean training loss a
# million times the validation loss measured right after it. A healthy first epoch's mean
# counts its untrained first batches, so a fast learner can reach tens or, on a noiseless
# regression, thousands of times the loss it ends at; a blow-up is astronomical (SGD at
# lr 10 on digits averages 1.8e11 in its first epoch, then sits at chance with 2.4).
SPIKE_FACTOR = 1e6

# ---------------------------------------------------------------- the rules (pure)


def _tail_mean(x: np.ndarray, n: int = LAST_EPOCHS) -> float:
    finite = x[np.isfinite(x)]
    return float(finite[-n:].mean()) if finite.size else math.nan


def fit_findings(train_error: np.ndarray, val_error: np.ndarray, train_loss: np.ndarray, val_loss: np.ndarray, *,
                 bounded: bool, best_error: float | None, complete: bool = True, unstable: bool = False,
                 still_falling: bool = False, capped: bool = False, narrow: bool = False, too_narrow: bool = False,
                 term: str = "error") -> list[Finding]:
    """Overfitting and underfitting from the error and loss curves (see the thresholds).

    ``unstable``: the learning rate was found too large (the loss oscillates or climbs
    again, or the gradients exploded after a normal start), so a validation loss ending
    above its minimum is that, not the overfitting signature; the error gap still counts
    where the training error is low (at most the best trial's). Nor is such a trial called
    underfitting: its errors are high because the steps overshoot (a digits MLP at Momentum
    0.1 ends at chance with dead ReLUs), and a bigger network would not help.
    ``complete``: False for a trial stopped early, which is not called underfitting.
    ``still_falling``: the validation loss still falls steadily at the end (a rate too
    small, or a recovery from a jump), which is not called underfitting either: the
    network has not yet converged, so its errors say nothing of what it can fit, and a
    bigger one would not help (at lr 1e-6 a digits MLP sits at 87% error that the same MLP brings to 0%).
    ``narrow``: a hidden layer too narrow for the output's classes (nntune._diagnose_narrow
    .bottleneck), so the capacity caps the error
    however long it trains (a 2-unit digits MLP still falls at epoch 15, at 70% error): a
    still-falling loss does not hold underfitting back. ``too_narrow``: the trial's own
    curve shows it (nntune._diagnose_narrow.too_narrow), so its errors are high from
    UNDERFIT_ABS_ERROR on, with no best needed. ``capped``: narrow, or a regularizer;
    errors are then "high" from UNDERFIT_VS_BEST_CAPPED times the best on.
    Errors both high and close (the notes' picture of underfitting) are never overfitting,
    whatever the validation loss does: a network that fits its training data no better than
    the validation data has memorized nothing (Adam at lr 1 on digits ends at 84% training
    and 82% validation error while its validation loss swings 2.2 -> 24).
    ``term``: what the errors are called in the summaries, ``loss`` where the metric is the
    loss itself (the errors are then the loss curves, read as an unbounded error)."""
    out: list[Finding] = []
    tr, va = _tail_mean(train_error), _tail_mean(val_error)
    have_errors = math.isfinite(tr) and math.isfinite(va)
    cap = capped or narrow
    high = have_errors and _high(tr, bounded, best_error, capped=cap, too_narrow=too_narrow)
    # Steps too large swing the weights between the training batches and the validation
    # pass, so under them an error gap is memorization only where training did fit: as
    # well as the study's best trial generalizes, or, without one, not "high". "Not high"
    # alone lets a blown-up run through (Adam at lr 1 on diabetes: RMSE 116 on its
    # batches, just under twice the best trial's 58.7, and 4526 on validation).
    fitted = not high if best_error is None else tr <= best_error
    gap_ok = have_errors and va >= OVERFIT_MIN_RATIO * max(tr, 0.0) and va > 0 and (
        not bounded or va - tr >= OVERFIT_MIN_GAP) and (fitted or not unstable)
    # Validation too: dropout lifts the training error (scored on the batches) above it, and
    # wine's best trial, dropout 0.8, is at 8.2% on its batches and 0% on validation.
    both_high = high and tr >= UNDERFIT_CLOSE_RATIO * va and _high(va, bounded, best_error, capped=cap,
                                                                   too_narrow=too_narrow)
    rise = None if unstable or both_high else _loss_rise(train_loss, val_loss)
    if gap_ok or rise is not None:
        evidence: dict[str, float] = {}
        parts = []
        if have_errors:
            evidence.update(train_error=tr, val_error=va, gap=va - tr)
            if gap_ok:
                parts.append(f"training {term} {_fmt_err(tr, bounded)} vs validation {term} {_fmt_err(va, bounded)}")
        if rise is not None:
            evidence.update(val_loss_min=rise[0], val_loss_min_epoch=rise[1], val_loss_last=rise[2])
            parts.append(f"validation loss rose from {rise[0]:.4g} (epoch {rise[1]}) to {rise[2]:.4g} "
                         f"while the training loss fell")
        out.append(finding("overfitting", evidence, "; ".join(parts)))
    elif (both_high and complete and (narrow or not still_falling) and not unstable
          and _epochs_of_errors(train_error, val_error) >= MIN_EPOCHS_FOR_TREND):
        evidence = {"train_error": tr, "val_error": va, **({} if best_error is None else {"best_error": best_error})}
        # The best trial is named where the errors are high against it; a one-trial study's is itself.
        vs = best_error is not None and _high(tr, bounded, best_error, capped=cap)
        ref = f" (best trial: {_fmt_err(best_error, bounded)})" if vs else ""
        out.append(finding("underfitting", evidence,
                           f"training {term} {_fmt_err(tr, bounded)} and validation {term} "
                           f"{_fmt_err(va, bounded)} are both high{ref}"))
    return out


def _epochs_of_errors(train_error: np.ndarray, val_error: np.ndarray) -> int:
    return 0 if train_error.size != val_error.size else int(np.sum(np.isfinite(train_error) & np.isfinite(val_error)))


def _high(train_error: float, bounded: bool, best_error: float | None, *, capped: bool = False,
          too_narrow: bool = False) -> bool:
    if bounded and train_error >= UNDERFIT_ABS_ERROR and (best_error is None or too_narrow):
        return True
    if best_error is None or train_error < (UNDERFIT_VS_BEST_CAPPED if capped else UNDERFIT_VS_BEST) * best_error:
        return False
    return not bounded or train_error - best_error >= UNDERFIT_MIN_EXCESS


def _fmt_err(e: float, bounded: bool) -> str:
    return f"{100 * e:.1f}%" if bounded else f"{e:.4g}"


def _loss_rise(train_loss: np.ndarray, val_loss: np.ndarray) -> tuple[float, int, float] | None:
    """(min, its epoch, last) of the validation loss when it rose OVERFIT_LOSS_RISE above its
    minimum while the training loss fell after that minimum; else None.

    The rise is judged on means over LAST_EPOCHS epochs (the last ones against the lowest
    stretch): a noisy validation loss (a small split, unnormalized inputs) jumps 20-40% from
    epoch to epoch, and its last value one epoch after a lucky low is no trend."""
    if val_loss.size != train_loss.size:
        return None
    ok = np.isfinite(val_loss) & np.isfinite(train_loss)
    if ok.sum() < MIN_EPOCHS_FOR_TREND:
        return None
    v, t = val_loss[ok], train_loss[ok]
    epochs = np.flatnonzero(ok) + 1
    k = min(LAST_EPOCHS, v.size - 1)
    means = np.convolve(v, np.ones(k) / k, mode="valid")  # means[j] = mean of v[j:j + k]
    j = int(np.argmin(means))
    i = j + int(np.argmin(v[j:j + k]))  # the lowest epoch of the lowest stretch
    if j >= means.size - 1 or i >= v.size - 1 or means[-1] < means[j] * (1 + OVERFIT_LOSS_RISE) \
            or not t[-1] < t[i]:
        return None
    return float(v[i]), int(epochs[i]), float(v[-1])


def learning_rate_findings(loss: np.ndarray, *, complete: bool = True, train_loss: np.ndarray | None = None,
                           name: str = "validation loss", better: str = "falling",
                           lr: np.ndarray | None = None) -> list[Finding]:
    """``lr_too_small`` (still falling steadily at the end) and ``lr_too_large``
    (oscillating, or the training loss rising again) from a loss-like validation curve,
    lower is better, and the training loss when there is one. ``name`` and ``better`` say
    in the findings what the curve is (a maximized value is read negated, so it improves
    by rising). ``lr``: each epoch's learning rate, aligned with ``loss`` (see
    :func:`~nntune.diagnose_descent.steady_descent`), or None."""
    ok = np.isfinite(loss)
    x = loss[ok]
    rates = None if lr is None or lr.size != loss.size else lr[ok]
    out: list[Finding] = []
    n = x.size
    oscillation: Finding | None = None
    steady = steady_descent(x, rates) if complete else None
    # A curve that jumped up on the way and is falling back is recovering from a step too
    # large, not crawling for want of a larger one.
    if steady is not None and _largest_jump(x) < LR_SMALL_MAX_JUMP:
        cut = int(np.flatnonzero(ok)[rated_epochs(rates, n) - 1]) + 1
        out.append(slow_finding(x, rates, steady, cut_epoch=cut, name=name, better=better))
    if n >= OSCILLATION_MIN_POINTS:
        tail = x[-max(OSCILLATION_MIN_POINTS, n // 2):]
        d = np.diff(tail)
        signs = np.sign(d[d != 0])
        turns = int(np.sum(signs[1:] != signs[:-1])) if signs.size > 1 else 0
        flips = turns / (signs.size - 1) if signs.size > 1 else 0.0
        net = abs(float(tail[-1] - tail[0]))
        path = float(np.sum(np.abs(d)))
        zigzag = turns >= LR_LARGE_MIN_TURNS and path >= LR_LARGE_PATH_RATIO * net
        step = float(np.median(np.abs(d)))
        level, span = float(np.median(np.abs(tail))), float(x.max() - x.min())
        amplitude = step / level if level > 0 else 0.0
        of_range = step / span if span > 0 else 0.0
        wobble = min(amplitude, of_range)
        jump = _largest_jump(train_loss[np.isfinite(train_loss)]) if train_loss is not None else 0.0
        corroborated = wobble >= LR_LARGE_AMPLITUDE_JUMPING and jump >= LR_LARGE_TRAIN_JUMP
        if (flips >= LR_LARGE_SIGN_CHANGES or zigzag) and (wobble >= LR_LARGE_AMPLITUDE or corroborated):
            evidence = {"sign_change_fraction": flips, "relative_amplitude": amplitude,
                        "share_of_range": of_range, "path_over_net": path / max(net, 1e-12)}
            said = (f"the {name} changes direction {100 * flips:.0f}% of the time, "
                    f"by {100 * amplitude:.0f}% of its level")
            if wobble >= LR_LARGE_AMPLITUDE:
                out.append(finding("lr_too_large", evidence, said))
                return out
            # Smaller, corroborated by the training loss: the readings below say more, if any holds.
            oscillation = finding("lr_too_large", {**evidence, "train_loss_jump": jump},
                                  f"{said}, and the training loss jumped {100 * jump:.0f}% above its lowest value")
        elif jump >= LR_LARGE_TRAIN_JUMP:  # swings too rare or short for the steps above to show
            oscillation = swing_finding(tail, jump, name=name)
    rise = _train_rise(train_loss) if train_loss is not None else None
    if rise is not None:
        out.append(finding("lr_too_large", {"train_loss_min": rise[0], "train_loss_min_epoch": rise[1],
                                            "train_loss_last": rise[2]},
                           f"the training loss fell to {rise[0]:.4g} (epoch {rise[1]}), then rose to {rise[2]:.4g}"))
        return out
    climb = _both_climb(train_loss, loss) if train_loss is not None else None
    if climb is not None:
        out.append(finding("lr_too_large", {"train_loss_min": climb[0], "train_loss_min_epoch": climb[1],
                                            "train_loss_last": climb[2], "val_loss_last": climb[3]},
                           f"the training loss climbed back from {climb[0]:.4g} (epoch {climb[1]}) to "
                           f"{climb[2]:.4g} at the end, and the {name} with it (to {climb[3]:.4g})"))
        return out
    spike = _train_spike(train_loss, loss) if train_loss is not None else None
    if spike is not None:
        out.append(finding("lr_too_large", {"epoch": spike[0], "train_loss": spike[1], "val_loss": spike[2]},
                           f"the training loss blew up to {spike[1]:.4g} during epoch {spike[0]} "
                           f"(validation loss {spike[2]:.4g} after it)"))
    elif oscillation is not None:
        out.append(oscillation)
    return out


def _largest_jump(x: np.ndarray) -> float:
    """The largest rise of ``x`` above its lowest earlier value, as a fraction of that value
    (0 for a curve that never rises; a negated score is read on its size)."""
    if x.size < 2:
        return 0.0
    low = np.minimum.accumulate(x)[:-1]
    rise = (x[1:] - low) / np.where(low != 0, np.abs(low), np.inf)
    return max(float(rise.max()), 0.0)


def _train_spike(train_loss: np.ndarray, val_loss: np.ndarray) -> tuple[int, float, float] | None:
    """(epoch, training loss, validation loss) of the epoch whose mean training loss was
    SPIKE_FACTOR times the validation loss after it or more (the worst one); else None."""
    if train_loss.size != val_loss.size:
        return None
    ok = np.isfinite(train_loss) & np.isfinite(val_loss) & (val_loss > 0)
    if not ok.any():
        return None
    ratio = np.where(ok, train_loss, 0.0) / np.where(ok, val_loss, 1.0)
    i = int(np.argmax(ratio))
    if ratio[i] < SPIKE_FACTOR:
        return None
    return i + 1, float(train_loss[i]), float(val_loss[i])


def _train_rise(train_loss: np.ndarray) -> tuple[float, int, float] | None:
    """(min, its epoch, last) when the training loss climbed back up after its minimum
    (see TRAIN_RISE_FACTOR); else None."""
    ok = np.isfinite(train_loss)
    t = train_loss[ok]
    if t.size < MIN_EPOCHS_FOR_TREND:
        return None
    i = int(np.argmin(t))
    low, last, first = float(t[i]), float(t[-1]), float(t[0])
    if i == t.size - 1 or last < TRAIN_RISE_FACTOR * low or last - low < TRAIN_RISE_SHARE * (first - low):
        return None
    return low, int(np.flatnonzero(ok)[i]) + 1, last


def _both_climb(train_loss: np.ndarray, val_loss: np.ndarray) -> tuple[float, int, float, float] | None:
    """(training minimum, its epoch, last training loss, last validation loss) when both
    losses rose over the last LAST_EPOCHS epochs and the training loss ended TRAIN_END_CLIMB
    times its minimum or more, and their means over the last LAST_EPOCHS epochs agree (above
    the means over the LAST_EPOCHS before, the training loss's TRAIN_END_CLIMB times its
    lowest such mean or more); else None."""
    if train_loss.size != val_loss.size:
        return None
    ok = np.isfinite(train_loss) & np.isfinite(val_loss)
    t, v = train_loss[ok], val_loss[ok]
    n = LAST_EPOCHS
    if t.size < MIN_EPOCHS_FOR_TREND or t.size < 2 * n:
        return None
    t_means = np.convolve(t, np.ones(n) / n, mode="valid")  # t_means[j] = mean of t[j:j + n]
    v_means = np.convolve(v, np.ones(n) / n, mode="valid")
    i = int(np.argmin(t))
    low = float(t[i])
    if not (t[-1] > t[-1 - n] and v[-1] > v[-1 - n] and low > 0 and t[-1] >= TRAIN_END_CLIMB * low):
        return None
    if not (t_means[-1] > t_means[-1 - n] and v_means[-1] > v_means[-1 - n]
            and t_means[-1] >= TRAIN_END_CLIMB * t_means.min()):
        return None
    return low, int(np.flatnonzero(ok)[i]) + 1, float(t[-1]), float(v[-1])


def divergence_finding(train_loss: np.ndarray, *, diverged: bool, diverged_epoch: int | None,
                       error: str | None) -> Finding | None:
    """``diverged``: stored as diverged or with a non-finite loss (``diverged``), or a
    training loss that exploded."""
    evidence: dict[str, float] = {}
    summary = ""
    if diverged:
        if diverged_epoch is not None:
            evidence["epoch"] = float(diverged_epoch)
        summary = error or "the loss became non-finite"
    else:
        t = train_loss[np.isfinite(train_loss)]
        if t.size >= 2 and t[-1] >= EXPLODE_FACTOR * max(float(t.min()), 1e-12) and t[-1] > t[0]:
            evidence = {"train_loss_min": float(t.min()), "train_loss_last": float(t[-1])}
            summary = f"the training loss rose from {t.min():.4g} to {t[-1]:.4g}"
        else:
            return None
    return finding("diverged", evidence, summary)
