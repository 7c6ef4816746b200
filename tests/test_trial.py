"""Ranking trials: ties of the validation value go to the lower validation loss, then to
fewer epochs, then to the lower number."""

from nntune.report.data import rank
from nntune.show import ranked_rows
from nntune.trial import FrozenTrial, TrialState, best_trial, ranked, tie_break, validation_loss


def trial(number, value, *, loss=None, epochs=10, state=TrialState.COMPLETE, in_metrics=False):
    t = FrozenTrial(number, state, value=value, intermediate_values={e: value for e in range(1, epochs + 1)})
    if loss is not None and in_metrics:
        t.metrics = [{"epoch": epochs - 1, "value": value - 0.1, "val_loss": 9.0},
                     {"epoch": epochs, "value": value, "val_loss": loss}]
    elif loss is not None:
        t.user_attrs["val_loss"] = loss
    return t


def four_tied():
    return [trial(0, 0.9694, loss=0.30), trial(1, 0.9694, loss=0.12, epochs=27),
            trial(2, 0.9694, loss=0.12, epochs=12), trial(3, 0.9694, loss=0.21), trial(4, 0.95, loss=0.01)]


def test_ties_go_to_lower_validation_loss_then_fewer_epochs():
    trials = four_tied()
    assert [t.number for t in ranked(trials, "maximize")] == [2, 1, 3, 0, 4]
    assert best_trial(trials, "maximize").number == 2
    assert [t.number for t in ranked(trials, "minimize")] == [4, 2, 1, 3, 0]


def test_loss_read_from_the_epoch_records_when_not_stored_as_an_attribute():
    t = trial(0, 0.9, loss=0.4, in_metrics=True)
    assert validation_loss(t) == 0.4
    assert validation_loss(trial(1, 0.9)) is None
    assert tie_break(trial(1, 0.9, epochs=3)) == (float("inf"), 3, 1)


def test_a_known_loss_beats_an_unknown_one_and_complete_beats_pruned():
    trials = [trial(0, 0.9), trial(1, 0.9, loss=5.0), trial(2, 0.9, loss=0.1, state=TrialState.PRUNED)]
    assert [t.number for t in ranked(trials, "maximize")] == [1, 0, 2]


def test_show_and_report_rank_as_the_leaderboard_does():
    trials = four_tied()
    rows = [{"number": t.number, "state": t.state.value, "value": t.value, "epochs": t.epochs,
             "val_loss": validation_loss(t)} for t in trials]
    order = [t.number for t in ranked(trials, "maximize")]
    assert [r["number"] for r in ranked_rows({"direction": "maximize", "trials": rows})] == order
    assert [t.number for t in rank(trials, "maximize")] == order


def test_epochs_count_the_reports_whether_steps_start_at_0_or_1():
    assert FrozenTrial(0, TrialState.COMPLETE, intermediate_values={e: 0.5 for e in range(10)}).epochs == 10
    assert FrozenTrial(1, TrialState.COMPLETE, intermediate_values={e: 0.5 for e in range(1, 11)}).epochs == 10
    assert FrozenTrial(2, TrialState.PRUNED, intermediate_values={0: 0.5}).epochs == 1
    assert FrozenTrial(3, TrialState.FAILED).epochs == 0
