"""Ctrl-C in the first seconds of ``nntune tune --workers 2``, while the fork server is still
importing torch and nntune: a terminal's SIGINT reaches the server too, which printed a
KeyboardInterrupt traceback from multiprocessing's forkserver.py beside nntune's one line."""

from __future__ import annotations

import psutil
import pytest
import yaml

from nntune.config import DEFAULT_YAML

pytestmark = pytest.mark.slow


def test_ctrl_c_while_the_fork_server_imports_is_one_line(tmp_path):
    from conftest import ctrl_c_when, nntune_command

    raw = yaml.safe_load(DEFAULT_YAML)
    raw["storage"] = f"sqlite:///{tmp_path / 'c.db'}"
    raw["search"]["trials"] = 4
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(raw, sort_keys=False))

    def server_importing() -> bool:
        """The command's own fork server has started (its imports take seconds from here)."""
        for proc in psutil.process_iter(["cmdline", "ppid"]):
            if "forkserver" in " ".join(proc.info["cmdline"] or []):
                try:
                    if str(cfg) in " ".join(psutil.Process(proc.info["ppid"]).cmdline()):
                        return True
                except psutil.Error:
                    continue
        return False

    code, out, err = ctrl_c_when([*nntune_command(), "tune", str(cfg), "--workers", "2"], tmp_path,
                                 server_importing, "the fork server starting")
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines()[-1].startswith("nntune: interrupted"), err
