import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.data import load_splits
from nntune.train.threads import (
    ceiling,
    choose_threads,
    free_threads,
    pick_threads,
    sleep_while_waiting,
    time_step,
    use_threads,
    _step,
)


class FakeMachine:
    """A step whose duration depends on the threads set, read by a fake clock."""

    def __init__(self, seconds_by_threads):
        self.seconds, self.now, self.threads, self.steps = seconds_by_threads, 0.0, None, 0

    def set_threads(self, n):
        self.threads = n

    def step(self):
        self.steps += 1
        self.now += self.seconds[self.threads]

    def clock(self):
        return self.now


def choose(machine, *, env=None, usable=2, busy=0.0, step=True):
    return choose_threads(machine.step if step else None, environ=env or {}, usable_cores=usable,
                          machine_cores=2, busy_fraction=lambda: busy, set_threads=machine.set_threads,
                          clock=machine.clock)


def test_the_ceiling_is_the_usable_cores_capped_by_omp_num_threads():
    assert ceiling({}, 8) == 8
    assert ceiling({"OMP_NUM_THREADS": "2"}, 8) == 2
    assert ceiling({"OMP_NUM_THREADS": "16"}, 8) == 8
    assert ceiling({"OMP_NUM_THREADS": "lots"}, 0) == 1


def test_free_threads_leave_the_cores_other_processes_keep_busy():
    assert free_threads(2, 2, 0.5) == 1      # one CPU-bound neighbour on two cores
    assert free_threads(2, 2, 0.03) == 2     # alone
    assert free_threads(8, 16, 0.25) == 8    # capped
    assert free_threads(4, 4, 1.0) == 1      # never none


def test_more_threads_only_when_a_step_gets_10_percent_faster():
    assert pick_threads({1: 0.010, 2: 0.0085}) == 2
    assert pick_threads({1: 0.010, 2: 0.0095}) == 1
    assert pick_threads({1: 0.010, 4: 0.020}) == 1


def test_time_step_is_the_median_after_a_warm_up():
    machine = FakeMachine({1: 0.5})
    assert time_step(machine.step, 1, machine.set_threads, repeats=3, clock=machine.clock) == 0.5
    assert machine.steps == 4


def test_a_busy_machine_gets_one_thread_without_timing():
    machine = FakeMachine({1: 0.006, 2: 0.2})
    choice = choose(machine, busy=0.5)
    assert (choice.threads, machine.threads, machine.steps) == (1, 1, 0)


def test_alone_the_faster_count_is_timed_and_kept():
    small = FakeMachine({1: 0.006, 2: 0.0058})
    assert choose(small).threads == 1 and small.threads == 1
    large = FakeMachine({1: 0.020, 2: 0.012})
    choice = choose(large)
    assert choice.threads == 2 and large.threads == 2
    assert choice.timings == pytest.approx({1: 0.020, 2: 0.012})
    assert choice.to_json()["step_seconds"] == pytest.approx({"1": 0.020, "2": 0.012})


def test_untimed_large_models_take_every_free_core_and_one_core_needs_no_rule():
    assert choose(FakeMachine({}), step=False).threads == 2
    machine = FakeMachine({1: 0.01, 2: 0.001})
    assert choose(machine, env={"OMP_NUM_THREADS": "1"}).threads == 1 and machine.steps == 0


def test_nntune_threads_is_obeyed_and_checked():
    machine = FakeMachine({})
    assert choose(machine, env={"NNTUNE_THREADS": "3"}).threads == 3 and machine.threads == 3
    assert choose(FakeMachine({1: 1.0, 2: 0.1}), env={"NNTUNE_THREADS": "auto"}).threads == 2
    with pytest.raises(ConfigError, match="NNTUNE_THREADS"):
        choose(machine, env={"NNTUNE_THREADS": "many"})


def test_waiting_threads_sleep_unless_told_otherwise():
    env = {}
    sleep_while_waiting(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE"}
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    sleep_while_waiting(env)
    assert env["OMP_WAIT_POLICY"] == "ACTIVE"


@pytest.mark.parametrize("data", ["digits", "diabetes"])
def test_the_timed_step_trains_the_runs_own_model(data):
    splits = load_splits(data, train_size=200)
    state = {}
    _step({"layers": 2, "units": 32, "batch_size": 64}, splits, None, state)
    before = [p.detach().clone() for p in state["model"].parameters()]
    _step({}, splits, None, state)
    assert state["x"].shape[0] == 64
    assert any(not torch.equal(a, b) for a, b in zip(before, state["model"].parameters()))


def test_use_threads_sets_torch_within_the_ceiling(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a worker's share of one core
    splits = load_splits("digits", train_size=200)
    choice = use_threads({"units": 32}, splits, device="cpu")
    assert choice.threads == 1 and torch.get_num_threads() == 1
