"""The Lightning callback in a DDP fit of two processes (Gloo, CPU): each rank gives it the
trial wrapped in TorchDistributedTrial, every rank reports rank 0's record, and the study's
pruner stops the fit on all ranks at the same epoch."""

from __future__ import annotations

import datetime
import json
import multiprocessing as mp
import os
import socket
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist

import nntune
from nntune.exceptions import ConfigError
from nntune.integration import TorchDistributedTrial
from nntune.pruners import NopPruner, ThresholdPruner
from tests.integration.lazy_module import lazy, needed

pl = lazy("lightning.pytorch")
PairClassifier = lazy("tests.integration.lightning_modules", "PairClassifier")
PyTorchLightningPruningCallback = lazy("nntune.integration._lightning", "PyTorchLightningPruningCallback")
_needs = needed("lightning")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not dist.is_available(), reason="no torch.distributed")]

WORLD = 2
EPOCHS = 3
JOIN_S = 120.0



def _objective(single: Any) -> float:
    trial = TorchDistributedTrial(single)
    lr = trial.suggest_float("lr", 1e-2, 1e-1, log=True)
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, (x.sum(1) > 0).long()), batch_size=16)
    trainer = pl.Trainer(max_epochs=EPOCHS, accelerator="cpu", devices=WORLD, strategy="ddp", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_acc")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice on workers and logging
        trainer.fit(PairClassifier(lr), loader, loader)
    return float(trainer.callback_metrics["val_acc"])


def _rank_main(rank: int, port: int, folder: str) -> None:
    """One rank as torchrun starts it (Lightning sees the environment and launches nothing)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(WORLD), LOCAL_WORLD_SIZE=str(WORLD), GROUP_RANK="0", NODE_RANK="0",
                      TORCHELASTIC_RUN_ID="nntune-test")
    torch.set_num_threads(1)
    out = Path(folder)
    try:
        dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=60))
        record: dict[str, Any] = {}
        for name, pruner in (("kept", NopPruner()), ("pruned", ThresholdPruner(lower=2.0))):
            if rank == 0:
                study = nntune.create_study(direction="maximize", pruner=pruner)
                study.optimize(_objective, n_trials=1)
                (trial,) = study.trials
                record[name] = {"state": trial.state.value, "steps": sorted(trial.intermediate_values)}
            else:
                try:
                    _objective(None)
                    record[name] = "returned"
                except nntune.TrialPruned:
                    record[name] = "pruned"
        (out / f"rank{rank}.json").write_text(json.dumps(record))
        dist.barrier()
    except BaseException:  # noqa: BLE001 - reported to the test
        (out / f"rank{rank}.err").write_text(traceback.format_exc())
        sys.exit(1)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_a_ddp_fit_reports_once_and_is_pruned_on_every_rank(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_rank_main, args=(rank, port, str(tmp_path)), daemon=True) for rank in range(WORLD)]
    for p in procs:
        p.start()
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=JOIN_S)
    for p in procs:
        p.join(max(0.1, (deadline - datetime.datetime.now()).total_seconds()))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join(5)
    errors = [(tmp_path / f"rank{r}.err").read_text() for r in range(WORLD) if (tmp_path / f"rank{r}.err").exists()]
    assert not errors, "\n".join(errors)
    rank0, rank1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD))
    assert rank0["kept"] == {"state": "complete", "steps": [1, 2, 3]} and rank1["kept"] == "returned"
    assert rank0["pruned"] == {"state": "pruned", "steps": [1]} and rank1["pruned"] == "pruned"


def test_a_ddp_fit_with_a_plain_trial_is_refused_in_words() -> None:
    callback = PyTorchLightningPruningCallback(nntune.create_study().ask(), monitor="val_acc")

    class TwoProcesses:
        world_size = 2

    with pytest.raises(ConfigError, match="wrap|TorchDistributedTrial"):
        callback.on_fit_start(TwoProcesses(), None)  # type: ignore[arg-type]
