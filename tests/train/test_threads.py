import pytest
import torch

from nntune.exceptions import ConfigError
from nntune.train.threads import (
    ceiling,
    choose_threads,
    free_threads,
    use_threads,
)


class Threads:
    """What the rule set torch's threads to."""

    def __init__(self):
        self.threads = None

    def set_threads(self, n):
        self.threads = n


def choose(machine, *, env=None, usable=2, busy=0.0):
    return choose_threads(environ=env or {}, usable_cores=usable, machine_cores=2,
                          busy_fraction=lambda: busy, set_threads=machine.set_threads)


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


def test_a_busy_machine_gets_one_thread_and_alone_every_free_core():
    busy, alone = Threads(), Threads()
    assert choose(busy, busy=0.5).threads == 1 and busy.threads == 1
    choice = choose(alone, busy=0.02)
    assert choice.threads == 2 and alone.threads == 2 and choice.to_json() == {"threads": 2, "reason": "2 free cores"}
    assert choose(Threads(), env={"OMP_NUM_THREADS": "1"}).threads == 1


def test_nntune_threads_is_obeyed_and_checked():
    machine = Threads()
    assert choose(machine, env={"NNTUNE_THREADS": "3"}).threads == 3 and machine.threads == 3
    assert choose(Threads(), env={"NNTUNE_THREADS": "auto"}).threads == 2
    with pytest.raises(ConfigError, match="NNTUNE_THREADS"):
        choose(machine, env={"NNTUNE_THREADS": "many"})


def test_use_threads_sets_torch_within_the_ceiling(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a worker's share of one core
    choice = use_threads(device="cpu")
    assert choice.threads == 1 and torch.get_num_threads() == 1


def test_others_usage_is_a_share_of_the_machine_after_this_process_worked():
    from nntune.train.threads import OthersUsage

    usage = OthersUsage()
    first = usage.busy_fraction()  # a short sample of the whole machine
    x = torch.randn(400, 400)
    for _ in range(200):  # this process's own work, on every core torch has
        x = torch.tanh(x @ x)
    assert 0.0 <= first <= 1.0 and 0.0 <= usage.busy_fraction() <= 1.0
