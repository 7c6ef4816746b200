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


def test_a_step_s_flops_are_its_layers_multiply_adds_six_times_per_sample():
    from torch import nn

    from nntune.train.threads import step_flops

    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    assert step_flops(mlp, (64,), 32) == 6 * (64 * 128 + 128 * 10) * 32
    conv = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 8 * 8, 10)).train()
    assert step_flops(conv, (1, 8, 8), 2) == 6 * (8 * 8 * 8 * 1 * 9 + 512 * 10) * 2
    assert conv.training  # its mode is given back


def test_small_steps_get_one_thread_and_large_ones_keep_theirs():
    from nntune.train.threads import SMALL_STEP_FLOPS, threads_for_work

    assert threads_for_work(2, SMALL_STEP_FLOPS / 10) == 1
    assert threads_for_work(2, SMALL_STEP_FLOPS) == 2
    assert threads_for_work(8, SMALL_STEP_FLOPS * 10) == 8


class Torch:
    """torch's thread count, as SizedThreads reads and sets it."""

    def __init__(self, threads):
        self.threads, self.calls = threads, []

    def get(self):
        return self.threads

    def set(self, n):
        self.calls.append(n)
        self.threads = n


def sized(machine, env=None):
    from nntune.train.threads import SizedThreads

    return SizedThreads(environ=env or {}, get_threads=machine.get, set_threads=machine.set)


def test_sized_threads_cap_a_small_run_and_give_the_threads_back():
    from nntune.train.threads import SMALL_STEP_FLOPS

    machine = Torch(2)
    with sized(machine) as threads:
        assert threads.size_to(SMALL_STEP_FLOPS / 2, "cpu") == 1 and machine.threads == 1
    assert machine.threads == 2 and machine.calls == [1, 2]
    with sized(machine) as threads:  # a large run keeps them: nothing is set
        assert threads.size_to(SMALL_STEP_FLOPS * 2, torch.device("cpu")) == 2 and threads.capped is None
    assert machine.calls == [1, 2]
    with pytest.raises(RuntimeError), sized(machine) as threads:  # given back when the run fails too
        threads.size_to(1.0, "cpu")
        raise RuntimeError("diverged")
    assert machine.threads == 2


def test_sized_threads_leave_a_fixed_count_and_accelerators_alone():
    machine = Torch(2)
    with sized(machine, {"NNTUNE_THREADS": "2"}) as threads:
        assert threads.size_to(1.0, "cpu") == 2
    with sized(machine) as threads:
        assert threads.size_to(1.0, "cuda:0") == 2
    assert machine.calls == []


def test_overlapping_runs_in_threads_restore_the_count_the_first_one_found():
    machine = Torch(2)
    first, second = sized(machine), sized(machine)
    first.__enter__()
    assert first.size_to(1.0, "cpu") == 1
    second.__enter__()  # a second objective thread starts while the first is capped
    assert second.size_to(1.0, "cpu") == 1 and machine.calls == [1]  # left alone
    first.__exit__(None, None, None)
    assert machine.threads == 1  # the second run is still going
    second.__exit__(None, None, None)
    assert machine.threads == 2 and machine.calls == [1, 2]


def test_fit_and_a_stack_train_a_small_model_on_one_thread_and_restore_torch_s(monkeypatch, digits):
    from nntune.train.loop import fit
    from nntune.train.stack_run import fit_stack

    monkeypatch.delenv("NNTUNE_THREADS", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    seen = []
    try:
        params = {"model": "mlp", "layers": 1, "units": 8, "epochs": 1}
        result = fit(params, digits, device="cpu",
                     report=lambda epoch, record: seen.append(torch.get_num_threads()) or False)
        assert result.threads.threads == 1 and "MFLOP is too small" in result.threads.reason
        fit_stack([params] * 2, digits, device="cpu",
                  report=lambda key, epoch, record: seen.append(torch.get_num_threads()) or False)
        assert seen == [1, 1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
