"""Storage holds JSON only, checkpoints and configs load safely, and passwords in storage
URLs never reach the terminal."""

import ast
from pathlib import Path

import pytest

import nntune
from nntune.storage import redact_url

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nntune"
SECRET = "s3cret-pw"
URL = f"postgresql://tuner:{SECRET}@127.0.0.1:1/nntune"


def calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name):
            yield path, node, f"{node.func.value.id}.{node.func.attr}"


def test_storage_never_imports_pickle():
    for path in (PACKAGE / "storage").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not names & {"pickle", "dill", "cloudpickle", "shelve", "marshal"}, path


def test_checkpoints_load_weights_only_and_yaml_loads_safely():
    found = 0
    for path in PACKAGE.rglob("*.py"):
        for where, node, name in calls(path):
            if name == "torch.load":
                found += 1
                flags = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
                assert flags.get("weights_only") is True, f"{where}:{node.lineno} torch.load without weights_only=True"
            assert name not in ("yaml.load", "yaml.unsafe_load", "yaml.full_load"), f"{where}:{node.lineno}"
    assert found > 0  # the trainer's checkpoints are read somewhere


def test_redact_url_hides_the_password_only():
    assert redact_url(URL) == "postgresql://tuner:***@127.0.0.1:1/nntune"
    assert redact_url("sqlite:///nntune.db") == "sqlite:///nntune.db"
    assert redact_url("postgresql://tuner@db/nntune") == "postgresql://tuner@db/nntune"


@pytest.mark.parametrize("args", [["tune", "--storage", URL, "--trials", "1"],
                                  ["show", "--storage", URL, "--study", "x"]])
def test_a_password_in_the_storage_url_is_never_printed(call_cli, args):
    code, out, err = call_cli(*args)
    assert code == 2 and SECRET not in out + err and "tuner:***@127.0.0.1:1" in err


def test_study_repr_and_lookup_errors_hide_the_password(postgresql_url):
    url = postgresql_url.replace("nntune@", f"nntune:{SECRET}@")  # trust auth ignores it
    study = nntune.create_study("s", url)
    assert SECRET not in repr(study)
    with pytest.raises(KeyError) as err:
        nntune.load_study("missing", url)
    assert SECRET not in str(err.value) and "***" in str(err.value)
    study.storage.engine.dispose()
