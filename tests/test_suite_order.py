"""The suite's order (tests/conftest.py): each test process's block of the list starts with
its share of the slow tests, so no process runs all of them one after another."""

from conftest import slow_first


def blocks(order: list[str], workers: int) -> list[list[str]]:
    """The contiguous blocks ``--dist worksteal`` hands out first, in its arithmetic."""
    out, left = [], list(order)
    for i in range(workers):
        size = len(left) // (workers - i)
        out.append(left[:size])
        del left[:size]
    return out


def test_each_block_starts_with_its_share_of_the_slow_tests() -> None:
    items = [f"slow{i}" for i in range(7)] + [f"fast{i}" for i in range(50)]
    order = slow_first(items, 3, lambda name: name.startswith("slow"), lambda name: name)
    assert sorted(order) == sorted(items)
    got = blocks(order, 3)
    assert [sum(n.startswith("slow") for n in b) for b in got] == [3, 2, 2]
    for block in got:  # slow first within each block
        kinds = [n.startswith("slow") for n in block]
        assert kinds == sorted(kinds, reverse=True)
    assert [b[0] for b in got] == ["slow0", "slow1", "slow2"]


def test_the_slow_tests_of_one_file_stay_in_one_block() -> None:
    items = ["ray::a", "ray::b", "ray::c", "kill::a", "page::a", "page::b"] + [f"fast::{i}" for i in range(30)]
    order = slow_first(items, 3, lambda name: not name.startswith("fast"), lambda name: name.split("::")[0])
    got = blocks(order, 3)
    assert got[0][:3] == ["ray::a", "ray::b", "ray::c"]  # one Ray instance, in one process
    assert got[1][:1] == ["kill::a"] and got[2][:2] == ["page::a", "page::b"]


def test_one_process_runs_the_slow_tests_first_in_their_order() -> None:
    items = ["a", "s1", "b", "s2", "c"]
    assert slow_first(items, 1, lambda name: name.startswith("s"), str) == ["s1", "s2", "a", "b", "c"]


def test_more_slow_tests_than_a_block_holds_lose_nothing() -> None:
    items = [f"s{i}" for i in range(6)] + ["f"]
    order = slow_first(items, 3, lambda name: name.startswith("s"), str)
    assert sorted(order) == sorted(items) and order[-1] == "f"
