"""The arrows of docs/architecture.md, checked on every module's imports and calls; and its map: every
module it places, file it names and `module.name` it cites exists, and every module is placed."""

import ast
import re
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
    if where not in ("cli.py", "__main__.py"):  # ``python -m nntune`` runs the CLI
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


DOC = PACKAGE.parents[1] / "docs" / "architecture.md"


def top_level_names(path: Path) -> set[str]:
    """What a module defines or imports at its top, and each class's methods as Class.name."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names.update(f"{node.name}.{n.name}" for n in node.body
                             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def module_file(parts: list[str]) -> Path | None:
    base = PACKAGE.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# Written as a live trial's attributes (a `trial` object), not as trial.py's names.
TRIAL_OBJECT = {"trial.seed", "trial.constraint_values"}


def doc_references() -> list[str]:
    """The `module.name` references of the page whose first part is one of nntune's modules."""
    refs = set()
    for token in re.findall(r"`([A-Za-z_][\w./]*)`", DOC.read_text()):
        if token.endswith(".py") or token in TRIAL_OBJECT:
            continue
        parts = re.split(r"[./]", token)
        if len(parts) > 1 and all(parts) and module_file(parts[:1]):
            refs.add(token)
    return sorted(refs)


@pytest.mark.parametrize("ref", doc_references())
def test_every_module_name_the_page_names_is_defined_there(ref):
    parts = re.split(r"[./]", ref)
    for cut in range(len(parts) - 1, 0, -1):
        path = module_file(parts[:cut])
        if path is not None:
            rest = ".".join(parts[cut:])
            if module_file(parts[:cut + 1]) is None:
                assert rest in top_level_names(path), f"docs/architecture.md names {ref}, which {rel(path)} lacks"
            return
    pytest.fail(f"docs/architecture.md names {ref}, which is no module of nntune")


def test_every_file_the_page_names_exists():
    names = set(re.findall(r"\b([\w/]+\.py)\b", DOC.read_text()))
    known = {rel(p) for p in MODULES} | {p.name for p in MODULES}
    root = PACKAGE.parents[1]
    missing = sorted(n for n in names if n not in known and not (root / n).exists()
                     and not any((root / d / n).exists() for d in ("benchmarks", "tests")))
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "__init__.py" and not rel(p).startswith("labs/")],
                         ids=rel)
def test_the_page_says_where_every_module_lives(path):
    """"Where things live" names each module: by its file name, or, in the samplers' and
    schedulers' lists, by the name it is chosen by (`tpe` for samplers/_tpe.py)."""
    text = DOC.read_text()
    listed = rel(path).startswith(("samplers/", "schedulers/"))
    by_name = listed and re.search(rf"(?<![\w.]){path.stem.removeprefix('_')}(?![\w.])", text)
    assert re.search(rf"(?<![\w.]){re.escape(path.name)}\b", text) or by_name, \
        f"docs/architecture.md does not say where {rel(path)} lives"
