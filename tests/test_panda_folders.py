"""Each babysat study keeps its checkpoints in a folder of its own, even where another
storage holds a study of the same name writing under the same checkpoint_dir."""

from pathlib import Path

from nntune.config import parse_config
from nntune.panda import (
    ATTR,
    checkpoint_dir,
    load_babysit_study,
    open_babysit_study,
    queue_new,
    queue_resume,
    snapshots,
    train_queued,
)
from nntune.trial import TrialState


def config(tmp_path: Path, db: str, lr: float):
    return parse_config({
        "study": "panda", "storage": f"sqlite:///{tmp_path / db}",
        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
        "search": {"checkpoint_dir": str(tmp_path / "runs")},
        "fixed": {"epochs": 2, "layers": 1, "units": 16, "batch_size": 128, "lr": lr},
    })


def weights(path: Path) -> bytes:
    return path.read_bytes()


def test_two_storages_with_a_study_of_one_name_keep_apart_checkpoints(tmp_path):
    a_cfg, b_cfg = config(tmp_path, "a.db", 0.01), config(tmp_path, "b.db", 0.5)
    a, b = open_babysit_study(a_cfg), open_babysit_study(b_cfg)
    train_queued(a, a_cfg, queue_new(a, a_cfg))
    a_file = snapshots(checkpoint_dir(a_cfg, a), 0)[2]
    before = weights(a_file)
    train_queued(b, b_cfg, queue_new(b, b_cfg))  # trial 0 of the other storage's "panda"
    assert checkpoint_dir(a_cfg, a) != checkpoint_dir(b_cfg, b)
    assert weights(a_file) == before  # not overwritten by the other study's trial 0
    # Babysat again, the study keeps its folder.
    assert checkpoint_dir(a_cfg, open_babysit_study(a_cfg)) == checkpoint_dir(a_cfg, a)
    assert checkpoint_dir(*reversed(load_babysit_study(a_cfg.storage, "panda"))) == checkpoint_dir(a_cfg, a)


def test_a_study_babysat_before_folders_had_keys_still_resumes(tmp_path):
    cfg = config(tmp_path, "a.db", 0.01).model_copy(update={"fixed": {"epochs": 4, "layers": 1, "units": 16,
                                                                       "batch_size": 128, "lr": 0.01}})
    study = open_babysit_study(cfg)
    old = {"config": cfg.model_dump(mode="json")}  # what earlier versions stored
    study.storage.set_study_attr(study.id, ATTR, old)
    assert checkpoint_dir(cfg, study) == tmp_path / "runs" / "panda"
    stopped = train_queued(study, cfg, queue_new(study, cfg), on_epoch=lambda t, e, r: study.stop_trial(t.number))
    assert stopped.trial.state == TrialState.PRUNED and snapshots(tmp_path / "runs" / "panda", 0)
    open_babysit_study(cfg)  # babysat again by this version: the folder stays
    resumed = train_queued(study, cfg, queue_resume(study, cfg, stopped.trial.number)).trial
    assert resumed.state == TrialState.COMPLETE and sorted(resumed.intermediate_values) == [1, 2, 3, 4]
    assert 4 in snapshots(tmp_path / "runs" / "panda", resumed.number)


def test_a_relative_checkpoint_dir_is_found_from_another_folder(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    base = config(tmp_path, "a.db", 0.01)
    cfg = base.model_copy(update={"search": base.search.model_copy(update={"checkpoint_dir": "runs"}),
                                  "fixed": {**base.fixed, "epochs": 4}})
    study = open_babysit_study(cfg)
    stopped = train_queued(study, cfg, queue_new(study, cfg), on_epoch=lambda t, e, r: study.stop_trial(t.number))
    monkeypatch.chdir(tmp_path / "elsewhere")  # nntune babysit --resume from another terminal's folder
    again, stored = load_babysit_study(cfg.storage, "panda")
    assert str(checkpoint_dir(stored, again)).startswith(str(tmp_path / "here" / "runs" / "panda"))
    assert queue_resume(again, stored, stopped.trial.number) == 1
