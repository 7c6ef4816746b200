"""A babysat study copied with ``copy_study`` (to move it to another storage, say) gets a
checkpoint folder of its own, holding the original's snapshots: its trials still resume and
fork, and neither study's new trials touch the other's files. With the original's folder
key, trial N of each wrote the same files, and one's retention deleted the other's."""

import nntune
from nntune.panda import (checkpoint_dir, load_babysit_study, open_babysit_study, queue_fork, queue_new, snapshots,
                          train_queued)
from nntune.trial import TrialState
from tests.test_panda_folders import config  # a digits MLP of 2 epochs, babysat


def test_a_copied_babysat_study_keeps_its_snapshots_in_a_folder_of_its_own(tmp_path):
    cfg = config(tmp_path, "a.db", 0.05)
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    original = checkpoint_dir(cfg, study)
    before = {e: p.read_bytes() for e, p in snapshots(original, 0).items()}
    assert sorted(before) == [1, 2]

    target = f"sqlite:///{tmp_path / 'b.db'}"
    nntune.copy_study(from_study_name="panda", from_storage=cfg.storage, to_storage=target)
    copy, copy_cfg = load_babysit_study(target, "panda")
    folder = checkpoint_dir(copy_cfg, copy)
    assert folder != original and folder.parent == original.parent
    assert {e: p.read_bytes() for e, p in snapshots(folder, 0).items()} == before  # the copy's trial 0 is there

    # A fork of the copy's trial 0 from its epoch 1, and a new trial of each study: all train
    # in their own folders, and the original's files stay as they were.
    forked = train_queued(copy, copy_cfg, queue_fork(copy, copy_cfg, 0, 1)).trial
    assert forked.state == TrialState.COMPLETE and sorted(snapshots(folder, forked.number)) == [2]
    assert not snapshots(original, forked.number)
    train_queued(study, cfg, queue_new(study, cfg))  # the original's trial 1 in its folder
    assert {e: p.read_bytes() for e, p in snapshots(folder, forked.number).items()} != \
           {e: p.read_bytes() for e, p in snapshots(original, 1).items()}
    assert {e: p.read_bytes() for e, p in snapshots(original, 0).items()} == before
