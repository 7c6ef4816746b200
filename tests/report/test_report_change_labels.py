"""The learning curves' labels of the changes a trial took (a PBT exploit, a fork): readable
values, one label per trial and epoch, and labels of one epoch apart from each other."""

from __future__ import annotations

from nntune.report.figures import learning_curves_figure


def curve(number: int, changes: list[dict]) -> dict:
    return {"number": number, "epoch": [5, 6], "train_loss": [0.5, 0.4], "val_loss": [0.6, 0.5],
            "train_metric": [0.8, 0.9], "val_metric": [0.7, 0.8], "changes": changes}


def test_changes_at_one_epoch_are_one_label_with_short_values_and_labels_of_one_epoch_do_not_overlap():
    ten = curve(10, [{"epoch": 4, "param": "lr", "old": 0.023069802281771107, "new": 0.02768376273812533},
                     {"epoch": 4, "param": "lr_schedule", "old": "cosine", "new": "constant"}])
    nine = curve(9, [{"epoch": 4, "param": "lr", "old": 0.5522912248537706, "new": 0.4418329798830165}])
    labels = learning_curves_figure([ten, nine], "accuracy").layout.annotations
    drawn = [(a.text, a.yshift or 0) for a in labels if a.text.startswith("#")]
    assert sorted({text for text, _ in drawn}) == ["#10 lr 0.02307→0.02768, lr_schedule cosine→constant",
                                                  "#9 lr 0.5523→0.4418"]
    # One line per trial and epoch (its label in each panel), the second trial's lower.
    assert len(drawn) == 4
    assert {shift for text, shift in drawn if text.startswith("#10")} != {shift for text, shift in drawn
                                                                          if text.startswith("#9")}
