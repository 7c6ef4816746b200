"""Ray Tune's ``Tuner.restore`` after a crash, done the nntune way: an RDBStorage with a
heartbeat and ``RetryFailedTrialCallback`` runs a trial whose process died again, and the
objective resumes from the checkpoint that trial uploaded as an artifact. The re-run must
be the configuration the checkpoint was trained with, as Ray's restored trial and Optuna's
retried copy are, even after other workers' trials have grown the sampler's history."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nntune
from nntune.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact
from nntune.storages import RDBStorage, RetryFailedTrialCallback
from nntune.trial import TrialState


def crashed_study(url: str) -> tuple[nntune.Study, int, float]:
    """A TPE study whose trial (past the start-up draws) was started by a process that died
    after its first epoch's checkpoint; other workers finished trials meanwhile."""
    storage = RDBStorage(url, heartbeat_interval=0.05, grace_period=0.3,
                         failed_trial_callback=RetryFailedTrialCallback(max_retry=1))
    sampler = nntune.samplers.TPESampler(seed=0, n_startup_trials=2)
    study = nntune.create_study(study_name="restore", storage=storage, sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("lr", 1e-4, 1e-1, log=True) - 1e-2) ** 2, n_trials=2)
    crashed = study.try_ask(None)  # as optimize starts a trial: with a heartbeat, which then stops
    lr = crashed.suggest_float("lr", 1e-4, 1e-1, log=True)
    Path("ckpt.json").write_text(json.dumps({"epoch": 1, "lr": lr}))
    upload_artifact(artifact_store=FileSystemArtifactStore("artifacts"), file_path="ckpt.json",
                    study_or_trial=crashed)
    other = nntune.load_study(study_name="restore", storage=url, sampler=nntune.samplers.TPESampler(seed=1))
    for _ in range(3):  # another worker goes on while the crashed trial's heartbeat is silent
        t = other.ask()
        other.tell(t, (t.suggest_float("lr", 1e-4, 1e-1, log=True) - 1e-2) ** 2)
    time.sleep(0.5)  # past the grace period
    return study, crashed.number, lr


def test_a_retried_trial_runs_again_with_the_parameters_its_checkpoint_was_trained_with(tmp_path):
    study, number, drawn = crashed_study(f"sqlite:///{tmp_path}/restore.db")
    store = FileSystemArtifactStore("artifacts")
    resumed: dict[int, dict] = {}

    def trainable(trial: nntune.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        metas = get_all_artifact_meta(trial)
        if metas:  # the trial ran before: go on from its last checkpoint
            download_artifact(artifact_store=store, file_path=f"resume-{trial.number}.json",
                              artifact_id=metas[-1].artifact_id)
            resumed[trial.number] = {**json.loads(Path(f"resume-{trial.number}.json").read_text()), "now": lr}
        return (lr - 1e-2) ** 2

    study.optimize(trainable, n_trials=1)
    retried = study.trials[number]
    assert retried.state == TrialState.COMPLETE and retried.system_attrs["retries"] == 1
    assert resumed == {number: {"epoch": 1, "lr": drawn, "now": drawn}}
    assert retried.params == {"lr": drawn}
