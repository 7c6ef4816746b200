"""The notes' order of tuning beside a study's measured importance."""

from nntune.priorities import TIERS, notes_tier, priority_rows


def test_the_notes_order():
    assert notes_tier("lr") == 1
    assert {notes_tier(n) for n in ("momentum", "batch_size", "units")} == {2}
    assert {notes_tier(n) for n in ("layers", "lr_schedule", "lr_gamma")} == {3}
    assert {notes_tier(n) for n in ("beta1", "beta2", "eps")} == {4}
    assert notes_tier("optimizer") is None
    assert TIERS[4].startswith("leave at the defaults")


def test_rows_rank_by_share_and_flag_disagreements():
    rows = priority_rows({"units": 0.5, "lr": 0.3, "optimizer": 0.15, "beta2": 0.05})
    assert [r["name"] for r in rows] == ["units", "lr", "optimizer", "beta2"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["ahead_of_the_notes"]  # units measured ahead of the learning rate (tier 1)
    assert not rows[1]["ahead_of_the_notes"] and not rows[3]["ahead_of_the_notes"]
    assert rows[2]["notes_tier"] is None and rows[2]["notes_order"] == "not ranked in the notes"
    assert not rows[2]["ahead_of_the_notes"]
    assert priority_rows({}) == []
