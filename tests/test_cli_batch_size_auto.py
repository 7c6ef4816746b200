"""``batch_size: auto`` is resolved by ``nntune tune`` for ``fixed:`` only; elsewhere it is
refused in one line instead of failing every trial."""

from __future__ import annotations

from pathlib import Path

import yaml

CONFIG = {"study": "s", "storage": "sqlite:///a.db",
          "task": {"data": "iris", "metric": "accuracy", "direction": "maximize"},
          "search": {"sampler": "grid", "trials": 2, "seed": 0}, "fixed": {"epochs": 1}}


def _one_line_error(code: int, err: str, start: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith(f"nntune: error: {start}"), err


def test_auto_among_the_searched_batch_sizes_is_refused(call_cli, tmp_path: Path) -> None:
    cfg = {**CONFIG, "space": {"batch_size": {"type": "choice", "values": ["auto", 32]}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    code, _, err = call_cli("tune", "c.yaml", "--dry-run")
    _one_line_error(code, err, "space.batch_size.values: auto is chosen once per study")
    assert not list(tmp_path.glob("*.db"))


def test_babysit_refuses_batch_size_auto(call_cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(CONFIG))
    code, _, err = call_cli("babysit", "c.yaml", "--set", "batch_size=auto", "--study", "b")
    _one_line_error(code, err, "fixed.batch_size: auto is chosen by nntune tune")
    assert not list(tmp_path.glob("*.db"))
