"""``nntune delete-study`` run with no one to answer its question (a script, a CI job):
one line saying to give --yes, exit code 2, nothing deleted."""

from __future__ import annotations

import subprocess

import nntune
from conftest import nntune_command


def test_delete_without_yes_and_without_a_terminal_says_to_give_yes(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    nntune.create_study(study_name="d", storage=url)
    done = subprocess.run([*nntune_command(), "delete-study", "--storage", url, "--study-name", "d"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == ("nntune: error: --yes: no terminal to confirm the deletion on; "
                                   "nothing deleted (--yes deletes without asking)")
    assert nntune.get_all_study_names(url) == ["d"]


def test_the_question_is_answered_on_a_terminal(tmp_path):
    import os
    import pty

    url = f"sqlite:///{tmp_path / 'd.db'}"
    for name in ("kept", "gone"):
        nntune.create_study(study_name=name, storage=url)
    for name, answer in (("kept", b"n\n"), ("gone", b"y\n")):
        main, terminal = pty.openpty()
        try:
            proc = subprocess.Popen([*nntune_command(), "delete-study", "--storage", url, "--study-name", name],
                                    stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            os.write(main, answer)  # the terminal holds the line until the prompt reads it
            out, err = proc.communicate(timeout=60)
        finally:
            os.close(main)
            os.close(terminal)
        assert (proc.returncode, name in out.decode()) == ((1, True) if name == "kept" else (0, True)), err
    assert nntune.get_all_study_names(url) == ["kept"]


def test_delete_names_the_folder_where_a_babysat_studys_checkpoints_stay(tmp_path, call_cli):
    from nntune.config import parse_config
    from nntune.panda import checkpoint_dir, open_babysit_study, queue_new, train_queued

    cfg = parse_config({"study": "p", "storage": f"sqlite:///{tmp_path / 'p.db'}",
                        "task": {"data": "digits", "model": "mlp", "metric": "accuracy"},
                        "search": {"checkpoint_dir": str(tmp_path / "runs")},
                        "fixed": {"epochs": 1, "layers": 1, "units": 8, "batch_size": 128}})
    study = open_babysit_study(cfg)
    train_queued(study, cfg, queue_new(study, cfg))
    folder = checkpoint_dir(cfg, study)
    nntune.create_study(study_name="plain", storage=cfg.storage)
    code, out, err = call_cli("delete-study", "--storage", cfg.storage, "--study", "p", "--yes")
    assert code == 0, err
    assert out.splitlines() == ["deleted study 'p' (1 trial)",
                                f"its checkpoints stay in {folder} (remove the folder when they are no longer needed)"]
    assert list(folder.glob("trial-0-epoch-1.pt"))  # left as they were
    code, out, _ = call_cli("delete-study", "--storage", cfg.storage, "--study", "plain", "--yes")
    assert out.splitlines() == ["deleted study 'plain' (0 trials)"]
