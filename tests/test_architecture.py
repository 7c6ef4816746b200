"""The arrows of docs/architecture.md, checked on every module's imports and calls."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nntune"
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_arrow_points_backwards(path):
    names = imported(path)
    where = rel(path)
    if where != "cli.py":
        assert "nntune.cli" not in names, f"{where} imports the CLI"
    if where.startswith(("samplers/", "schedulers/", "train/", "storage/")) or where in ("space.py", "trial.py"):
        assert not names & {"nntune.study", "nntune._study", "nntune._trial", "nntune.runner", "nntune.builtin"}, \
            f"{where} reaches up into the study"
    if where.startswith("train/"):
        assert not any(n.startswith(("nntune.samplers", "nntune.schedulers", "nntune.storage")) for n in names), \
            f"the trainer knows nothing about search, but {where} imports it"


GLOBAL_RNG_CALLS = {
    ("np", "random", "seed"), ("np", "random", "rand"), ("np", "random", "randn"),
    ("np", "random", "randint"), ("np", "random", "choice"), ("np", "random", "uniform"),
    ("np", "random", "normal"), ("np", "random", "shuffle"), ("np", "random", "permutation"),
    ("random", "random"), ("random", "randint"), ("random", "choice"), ("random", "shuffle"),
    ("random", "uniform"), ("random", "seed"),
}


def dotted(node: ast.AST) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_global_random_state(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            name = ("np", *name[1:]) if name[:1] == ("numpy",) else name
            assert name not in GLOBAL_RNG_CALLS, f"{rel(path)}:{node.lineno} uses global RNG {'.'.join(name)}"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_modules_stay_short(path):
    assert len(path.read_text().splitlines()) <= 500, f"{rel(path)} is too long to read in one sitting"
