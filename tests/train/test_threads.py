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


class Neighbours:
    """A machine of ``cores`` whose other processes keep ``others`` cores busy, and this
    process ``own`` of them, on a clock that moves only when told."""

    def __init__(self, cores=2, others=0.0, own=2.0):
        self.cores, self.others, self.own = cores, others, own
        self.now = self.busy = self.mine = 0.0
        self.looks = 0

    def advance(self, seconds):
        self.now += seconds
        self.busy += (self.others + self.own) * seconds
        self.mine += self.own * seconds

    def machine_busy(self):
        self.looks += 1
        return self.busy

    def watch(self, every=0.2):
        from nntune.train.threads import LoadWatch

        return LoadWatch(machine_cores=self.cores, machine_busy=self.machine_busy, own=lambda: self.mine,
                         clock=lambda: self.now, every=every)


def sized(machine, env=None, watch=None):
    from nntune.train.threads import SizedThreads

    return SizedThreads(environ=env or {}, get_threads=machine.get, set_threads=machine.set,
                        watch=watch or Neighbours().watch())


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


def test_the_load_watch_counts_the_cores_other_work_took_between_looks():
    machine = Neighbours(cores=2, own=2.0)
    watch = machine.watch(every=0.2)
    assert watch.threads(2) == 2 and machine.looks == 1  # the first look only starts the window
    machine.others = 0.7  # a CPU-bound process arrives and takes 0.7 of a core from two threads
    machine.own = 1.3
    machine.advance(0.1)
    assert watch.threads(2) == 2 and machine.looks == 1  # not due yet: no look
    machine.advance(0.1)
    assert watch.others() == pytest.approx(0.7) and watch.threads(2) == 1 and machine.looks == 2
    assert watch.threads(1) == 1  # a run sized to one thread is never asked to use none
    machine.others, machine.own = 0.05, 2.0  # gone again
    machine.advance(0.2)
    assert watch.threads(2) == 2
    sixteen = Neighbours(cores=16, own=8.0)
    watch = sixteen.watch()
    watch.threads(8)
    sixteen.others = 10.0
    sixteen.advance(1.0)
    assert watch.threads(8) == 6  # 16 cores less 10 busy: six free


def test_a_run_on_several_threads_gives_a_core_back_while_other_work_holds_it():
    from nntune.train.threads import SMALL_STEP_FLOPS

    machine, neighbours = Torch(2), Neighbours(cores=2, own=2.0)
    with sized(machine, watch=neighbours.watch()) as threads:
        assert threads.size_to(SMALL_STEP_FLOPS * 4, "cpu") == 2 and threads.capped is None
        neighbours.advance(0.3)
        assert threads.step() == 2 and machine.calls == []  # alone: both threads, nothing set
        neighbours.others, neighbours.own = 1.0, 1.2
        neighbours.advance(0.3)
        assert threads.step() == 1 and machine.threads == 1
        assert threads.capped.reason == "other processes took a core during the run"
        neighbours.advance(0.1)
        assert threads.step() == 1 and machine.calls == [1]  # between looks: as it was
        neighbours.others, neighbours.own = 0.0, 1.0
        neighbours.advance(0.3)
        assert threads.step() == 2 and machine.calls == [1, 2]  # the core is free again
    assert machine.threads == 2


def test_a_run_on_one_thread_and_a_fixed_count_never_look_at_the_machine():
    from nntune.train.threads import SMALL_STEP_FLOPS

    neighbours = Neighbours(cores=2, others=1.0)
    for env, flops in (({}, SMALL_STEP_FLOPS / 2), ({"NNTUNE_THREADS": "2"}, SMALL_STEP_FLOPS * 4)):
        machine = Torch(2)
        with sized(machine, env=env, watch=neighbours.watch()) as threads:
            threads.size_to(flops, "cpu")
            neighbours.advance(1.0)
            threads.step()
    assert neighbours.looks == 0


def test_fit_and_a_stack_give_a_core_back_at_a_step_when_other_work_takes_it(monkeypatch, digits):
    """A run large enough for two threads, on a machine whose other work the watch sees
    holding both cores: fit's result says so, and the stack trains on one thread."""
    import nntune.train.threads as threads_module
    from nntune.train.loop import fit
    from nntune.train.stack_run import fit_stack

    class Busy(Neighbours):
        def machine_busy(self):  # every look finds a second gone and the machine full
            self.others, self.own = 1.5, 0.5
            self.advance(1.0)
            return super().machine_busy()

    monkeypatch.delenv("NNTUNE_THREADS", raising=False)
    monkeypatch.setattr(threads_module, "_WATCH", Busy().watch(every=0.0))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    seen = []
    try:
        params = {"model": "mlp", "layers": 1, "units": 2048, "epochs": 1}  # about 100 MFLOP a step
        result = fit(params, digits, device="cpu",
                     report=lambda epoch, record: seen.append(torch.get_num_threads()) or False)
        assert result.threads.threads == 1 and result.threads.reason == "other processes took a core during the run"
        fit_stack([params] * 2, digits, device="cpu", shards=1,
                  report=lambda key, epoch, record: seen.append(torch.get_num_threads()) or False)
        assert seen == [1, 1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_others_usage_samples_at_its_first_look_and_then_reads_the_time_since_the_last():
    from nntune.train.threads import SAMPLE_SECONDS, OthersUsage

    machine, slept = Neighbours(cores=2, others=1.0, own=0.0), []

    def sleep(seconds):
        slept.append(seconds)
        machine.advance(seconds)

    usage = OthersUsage(machine.watch(every=0.0), sleep=sleep)
    assert usage.busy_fraction() == pytest.approx(0.5) and slept == [SAMPLE_SECONDS]  # one of two cores
    machine.others, machine.own = 0.0, 2.0  # a trial of this process alone on both cores
    machine.advance(3.0)
    assert usage.busy_fraction() == pytest.approx(0.0) and slept == [SAMPLE_SECONDS]  # no second sample
