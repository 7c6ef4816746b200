"""TorchDistributedTrial in a real torch.distributed job: two processes joined by Gloo on the
CPU train a small DDP model per trial while rank 0 runs the study, and every rank must
train with the same hyperparameters, stop at the same step and raise rank 0's errors.

The two ranks are started once (a process spends seconds importing torch and the compiler
hooks DDP loads) and run every scenario; one test checks what they wrote. A Gloo
timeout turns a collective that never completes into an error in the rank, and the join
has a deadline, so a bug fails the tests instead of hanging the suite."""

from __future__ import annotations

import datetime
import json
import multiprocessing as mp
import os
import pickle
import socket
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Callable

import pytest
import torch
import torch.distributed as dist
from torch import nn

import nntune
from nntune.exceptions import ConfigError, TrialPruned
from nntune.integration import _distributed
from nntune.integration import TorchDistributedTrial
from nntune.integration._distributed import _message, _portable, _raised
from nntune.pruners import ThresholdPruner
from nntune.samplers import RandomSampler
from nntune.space import Float, Int, Space
from nntune.trial import FixedTrial, TrialState

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")

WORLD = 2
STEPS = 5
JOIN_S = 90.0  # the ranks take a few seconds; a hang is cut off here (and by Gloo's timeout before)


# running the ranks -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rank_main(rank: int, port: int, folder: str) -> None:
    """One rank, as ``torchrun`` starts it (env:// on 127.0.0.1): the scenarios' records are
    written to ``rank<N>.json``, or the traceback to ``rank<N>.err``."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD))
    torch.set_num_threads(1)
    out = Path(folder)
    try:
        dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=30))
        record = {**_misuse_and_ask(rank, out), **_sqlite_study(rank, out)}
        (out / f"rank{rank}.json").write_text(json.dumps(record, default=str))
        dist.barrier()  # no rank tears Gloo down while another still uses it
    except BaseException:  # noqa: BLE001 - reported to the test
        (out / f"rank{rank}.err").write_text(traceback.format_exc())
        sys.exit(1)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def run_ranks(folder: Path) -> list[dict[str, Any]]:
    """Start the ranks, wait for them (killed past JOIN_S), and return what each recorded;
    a rank that failed fails the test with its traceback."""
    ctx = mp.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=_rank_main, args=(rank, port, str(folder)), daemon=True)
             for rank in range(WORLD)]
    for p in procs:
        p.start()
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=JOIN_S)
    try:
        for p in procs:
            p.join(max(0.1, (deadline - datetime.datetime.now()).total_seconds()))
    finally:
        hung = [rank for rank, p in enumerate(procs) if p.is_alive()]
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(5)
    errors = {rank: (folder / f"rank{rank}.err").read_text() for rank in range(WORLD)
              if (folder / f"rank{rank}.err").exists()}
    assert not errors, "\n".join(f"rank {r} failed:\n{e}" for r, e in errors.items())
    assert not hung, f"ranks {hung} still ran after {JOIN_S:.0f} s"
    assert [p.exitcode for p in procs] == [0] * WORLD
    return [json.loads((folder / f"rank{rank}.json").read_text()) for rank in range(WORLD)]


def _error(err: BaseException) -> dict[str, Any]:
    return {"type": type(err).__name__, "message": str(err), "notes": getattr(err, "__notes__", [])}


# the objective every rank runs -------------------------------------------------------------
def _objective(rank: int, log: list[dict[str, Any]]) -> Callable[[Any], float]:
    """A small regression trained with DDP for STEPS steps, each rank on its own data. Trial 0
    runs to its end and takes a learning-rate change asked after step 2; trial 1 reports
    values the threshold pruner stops at step 3; trial 2 asks for an empty range."""

    def objective(single: Any) -> float:
        trial = TorchDistributedTrial(single)
        seen: dict[str, Any] = {"number": trial.number, "seed": trial.seed, "start": trial.datetime_start,
                                "steps": [], "taken": {}}
        log.append(seen)
        try:
            lr = trial.suggest_float("lr", 0.01, 0.1, log=True)
            width = trial.suggest_int("width", 2, 6)
            act = trial.suggest_categorical("act", ["relu", "tanh"])
            seen.update(lr=lr, width=width, act=act, params=trial.params,
                        distributions=sorted(trial.distributions))
            if trial.number == 2:
                trial.suggest_int("lr", 1, 5)  # asked again as another kind: raised on rank 0, sent to rank 1
            torch.manual_seed(trial.seed)
            model = nn.parallel.DistributedDataParallel(
                nn.Sequential(nn.Linear(4, width), nn.ReLU() if act == "relu" else nn.Tanh(), nn.Linear(width, 1)))
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            data = torch.Generator().manual_seed(100 + rank)  # each rank its own shard
            x = torch.randn(16, 4, generator=data)
            y = x.sum(dim=1, keepdim=True)
            for step in range(1, STEPS + 1):
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(x), y)
                loss.backward()
                optimizer.step()
                mean = loss.detach().clone()
                dist.all_reduce(mean)
                train_loss = float(mean) / WORLD
                value = train_loss + (100.0 if trial.number == 1 and step >= 3 else 0.0)
                trial.report(value, step, metrics={"train_loss": train_loss, "value": value})
                seen["steps"].append(step)
                if trial.should_prune():
                    raise TrialPruned(f"pruned at step {step}")
                if single is not None and trial.number == 0 and step == 2:
                    single.study.set_trial_params(single.number, {"lr": 0.05})  # asked while it trains
                taken = trial.take_changes(step, {"lr": optimizer.param_groups[0]["lr"]})
                if taken:
                    seen["taken"][str(step)] = taken
                    optimizer.param_groups[0]["lr"] = taken["lr"]
            trial.set_user_attr("written_by", rank)  # every rank calls; rank 0's value is the one kept
            checksum = round(sum(float(p.detach().sum()) for p in model.parameters()), 5)
            trial.set_user_attrs({"checksum": checksum})
            trial.set_constraint("size", width - 10.0)
            seen.update(user_attrs=trial.user_attrs, constraints=trial.constraints, checksum=checksum)
            return train_loss
        except (TrialPruned, ValueError) as err:
            seen["raised"] = _error(err)
            raise

    return objective


def _sqlite_study(rank: int, out: Path) -> dict[str, Any]:
    log: list[dict[str, Any]] = []
    objective = _objective(rank, log)
    if rank == 0:
        study = nntune.create_study("ddp", f"sqlite:///{out / 'ddp.db'}", sampler=RandomSampler(0),
                                    pruner=ThresholdPruner(upper=50.0), seed=0)
        study.optimize(objective, n_trials=3, catch=(ValueError,))
    else:
        for _ in range(3):
            try:
                objective(None)
            except (TrialPruned, ValueError):
                pass  # recorded by the objective, as the study records it on rank 0
    return {"trials": log}


@pytest.mark.slow
def test_the_ranks_of_a_ddp_job_share_each_trial_and_each_error(tmp_path: Path) -> None:
    # One test, so that one pair of processes serves every check, whichever worker runs it.
    records = run_ranks(tmp_path)
    check_sqlite_study(tmp_path, records)
    check_misuse_fixed_and_in_memory(records)


def check_sqlite_study(folder: Path, records: list[dict[str, Any]]) -> None:
    """Every rank trained each trial with the same parameters, stopped at the same step, and
    raised rank 0's error; what the ranks set is on the stored trial."""
    first, second = (r["trials"] for r in records)
    assert [t["number"] for t in first] == [t["number"] for t in second] == [0, 1, 2]
    stored = {t.number: t for t in nntune.load_study("ddp", f"sqlite:///{folder / 'ddp.db'}").trials}
    for zero, one in zip(first, second):
        # the same draw on both ranks, and the one the study stored
        for key in ("lr", "width", "act", "params", "distributions", "seed", "start", "steps"):
            assert zero[key] == one[key], (zero["number"], key)
        assert zero["params"] == {"lr": zero["lr"], "width": zero["width"], "act": zero["act"]}
        assert stored[zero["number"]].params == zero["params"]
        assert zero["seed"] is not None and zero["start"] == str(stored[zero["number"]].datetime_start)

    done, pruned, failed = (stored[n] for n in range(3))
    assert done.state == TrialState.COMPLETE and first[0]["steps"] == list(range(1, STEPS + 1))
    assert sorted(done.intermediate_values) == list(range(1, STEPS + 1))
    assert [m["train_loss"] for m in sorted(done.metrics, key=lambda m: m["step"])] == \
        pytest.approx([done.intermediate_values[s] for s in range(1, STEPS + 1)])
    # a change asked on rank 0 while the trial trained was taken by both ranks at one step
    assert first[0]["taken"] == second[0]["taken"] == {"2": {"lr": 0.05}}
    # DDP kept the ranks' models equal: they trained the same architecture in step
    assert first[0]["checksum"] == second[0]["checksum"]
    # attributes set through the wrapper are on the stored trial and seen on every rank
    assert done.user_attrs == {"written_by": 0, "checksum": first[0]["checksum"]}
    assert first[0]["user_attrs"] == second[0]["user_attrs"] == done.user_attrs
    assert first[0]["constraints"] == second[0]["constraints"] == {"size": first[0]["width"] - 10.0}

    # pruning: the study's decision on rank 0 stopped both ranks at step 3
    assert pruned.state == TrialState.PRUNED and max(pruned.intermediate_values) == 3
    assert first[1]["steps"] == second[1]["steps"] == [1, 2, 3]
    assert first[1]["raised"]["type"] == second[1]["raised"]["type"] == "TrialPruned"

    # the error raised by rank 0's trial (lr asked again as an int) reached rank 1 as the same error
    assert failed.state == TrialState.FAILED and "lr: suggested as int after float" in (failed.error or "")
    assert first[2]["raised"]["type"] == second[2]["raised"]["type"] == "ConfigError"
    assert first[2]["raised"]["message"] == second[2]["raised"]["message"]
    assert first[2]["steps"] == second[2]["steps"] == []
    assert any("rank 0" in note for note in second[2]["raised"]["notes"])


# misuse, and trials other than a study's -----------------------------------------------------
def _misuse_and_ask(rank: int, out: Path) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, given in (("trial_on_rank_1", FixedTrial({})), ("none_on_rank_0", None)):
        try:
            TorchDistributedTrial(given)
            record[name] = None
        except ValueError as err:
            record[name] = _error(err)

    # a fixed trial on rank 0: the best parameters trained again on every rank, in a group of their own
    pair = dist.new_group(ranks=[0, 1])
    fixed = TorchDistributedTrial(FixedTrial({"lr": 0.02, "act": "tanh"}, number=7) if rank == 0 else None, pair)
    record["fixed"] = {"number": fixed.number, "lr": fixed.suggest_float("lr", 0.01, 0.1),
                       "act": fixed.suggest_categorical("act", ["relu", "tanh"]), "prune": fixed.should_prune()}
    try:
        fixed.suggest_int("missing", 1, 3)
    except ValueError as err:
        record["fixed"]["missing"] = _error(err)

    # an in-memory study that rank 0 owns, by ask and tell
    study = nntune.create_study(sampler=RandomSampler(1)) if rank == 0 else None
    live = study.ask() if study is not None else None
    asked = TorchDistributedTrial(live)
    space = Space({"lr": Float(1e-3, 1e-1, log=True), "depth": Int(1, 3)})
    record["asked"] = {"params": asked.suggest_space(space), "beta": asked.suggest_beta("beta", 0.9, 0.999),
                       "number": asked.number}
    asked.report(0.5, 1)
    asked.set_system_attr("note", "from rank 0")
    record["asked"]["system_attrs"] = asked.system_attrs
    if study is not None and live is not None:
        study.tell(live, 0.25)
        (only,) = study.trials
        record["stored"] = {"params": only.params, "state": only.state.value, "note": only.system_attrs["note"],
                            "intermediate": {str(k): v for k, v in only.intermediate_values.items()}}
    return record


def check_misuse_fixed_and_in_memory(records: list[dict[str, Any]]) -> None:
    """Wrong arguments are refused on every rank; a fixed trial and an in-memory study's
    asked trial answer every rank alike."""
    zero, one = records
    # a trial given to rank 1, or None to rank 0, is refused on every rank (no rank left waiting)
    for record in (zero, one):
        assert record["trial_on_rank_1"]["type"] == "ValueError"
        assert "rank 1 was given a trial" in record["trial_on_rank_1"]["message"]
        assert "rank 0 holds the trial" in record["none_on_rank_0"]["message"]
    missing = zero["fixed"].pop("missing"), one["fixed"].pop("missing")
    assert missing[0]["message"] == missing[1]["message"] and "missing" in missing[0]["message"]
    assert missing[0]["notes"] == [] and "rank 0" in missing[1]["notes"][0]  # rank 0 raises its own
    assert zero["fixed"] == one["fixed"]
    assert zero["fixed"]["lr"] == 0.02 and zero["fixed"]["act"] == "tanh" and zero["fixed"]["number"] == 7
    assert zero["fixed"]["prune"] is False
    assert zero["asked"] == one["asked"] and set(zero["asked"]["params"]) == {"lr", "depth"}
    assert 0.9 <= zero["asked"]["beta"] <= 0.999 and zero["asked"]["system_attrs"]["note"] == "from rank 0"
    stored = zero["stored"]
    assert stored["params"] == {**zero["asked"]["params"], "beta": zero["asked"]["beta"]}
    assert stored["state"] == "complete" and stored["intermediate"] == {"1": 0.5}


# the messages themselves, in this process ----------------------------------------------------
def test_an_error_that_does_not_unpickle_is_rebuilt_with_its_class_and_attributes() -> None:
    err = ConfigError("layers", "low (4) must not exceed high (1)")  # its __init__ takes two arguments
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(err))
    copy = _raised(pickle.loads(pickle.dumps(_portable(err))), rank=1)
    assert type(copy) is ConfigError and str(copy) == str(err)
    assert (copy.field, copy.problem) == (err.field, err.problem)

    def local() -> type[Exception]:
        class Unimportable(Exception):
            pass
        return Unimportable

    stand_in = _portable(local()("why"))
    assert type(stand_in) is RuntimeError and str(stand_in) == "Unimportable: why"


def test_an_answer_that_cannot_be_pickled_becomes_an_error_for_every_rank() -> None:
    fixed = FixedTrial({"lock": "a"})
    fixed.suggest_categorical("lock", ["a"])
    blob, raised_on_zero = _message(threading.Lock(), None, fixed, system=False)
    answer, sent, state = pickle.loads(blob)
    assert answer is None and isinstance(raised_on_zero, TypeError) and type(sent) is TypeError
    assert "cannot be sent" in str(sent) and state["params"] == {"lock": "a"}


def test_making_one_without_a_process_group_says_so() -> None:
    if dist.is_initialized():
        pytest.skip("a process group is already initialized in this process")
    with pytest.raises(RuntimeError, match="init_process_group"):
        TorchDistributedTrial(None)


def test_objects_travel_on_the_current_cuda_device_of_an_nccl_group(monkeypatch: pytest.MonkeyPatch) -> None:
    # NCCL moves CUDA tensors only (checked here without a GPU: the choice, not the transfer)
    monkeypatch.setattr(_distributed.tdist, "get_backend", lambda group: "nccl")
    monkeypatch.setattr(_distributed.torch.cuda, "current_device", lambda: 3)
    assert _distributed._object_device(None) == torch.device("cuda", 3)
    monkeypatch.setattr(_distributed.tdist, "get_backend", lambda group: "gloo")
    assert _distributed._object_device(None) is None  # torch's own choice: the CPU for Gloo
