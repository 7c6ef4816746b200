"""Output paths that the permission bits allow but the file system refuses (root on a full,
read-only-by-nature or pseudo file system): refused before anything starts, in one line,
by every command that checks its output paths up front, with nothing left behind."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nntune
from nntune._files import check_writable_dir, check_writable_file, creation_problem

# A tmpfs of one inode (its root folder) takes no new file, though its owner may write there by
# its permission bits. Mounted in a mount namespace of its own: no other process sees it.
_MOUNT_FULL = 'mount -t tmpfs -o nr_inodes=1,size=64k nntune-full "$0" || exit 97; exec "$@"'

# nntune's commands run as ``nntune`` runs them (main(), exit code, stderr), one import for all.
_DRIVER = textwrap.dedent("""
    import contextlib, io, json, sys
    import nntune.cli
    results = []
    for args in json.loads(sys.argv[1]):
        sys.argv = ["nntune", *args]
        err, code = io.StringIO(), 0
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                nntune.cli.main()
            except SystemExit as exit_:
                code = int(exit_.code or 0)
        results.append([code, err.getvalue().strip()])
    print(json.dumps(results))
""")


def _with_full_folder(full: Path, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # -r: root in a user namespace of its own, where the kernel lets users make them; root is root.
    return subprocess.run(["unshare", "-rm", "sh", "-c", _MOUNT_FULL, str(full), *command], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _full_folder_or_skip(full: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("no unshare to mount a full file system with")
    probe = _with_full_folder(full, [sys.executable, "-c", "import sys, tempfile; tempfile.mkstemp(dir=sys.argv[1])",
                                     str(full)], full.parent)
    if probe.returncode == 0 or "No space left on device" not in probe.stderr:
        pytest.skip(f"no full file system to test with: {probe.stderr.strip()[-200:]}")


@pytest.fixture(scope="module")
def refused(tmp_path_factory) -> dict[str, tuple[int, str, list[str]]]:
    """Each command's exit code and error line with ``FULL`` a folder that takes no file, and
    what the scratch folder held afterwards."""
    tmp = tmp_path_factory.mktemp("outputs")
    full = tmp / "full"
    full.mkdir()
    _full_folder_or_skip(full)
    (tmp / "store").mkdir()  # the study the commands read, its SQLite sidecars with it
    url = f"sqlite:///{tmp / 'store' / 'kept.db'}"
    nntune.create_study(study_name="s", storage=url)
    (tmp / "iris.yaml").write_text("task: {data: iris}\n")
    new = f"sqlite:///{tmp / 'new.db'}"
    tune = ["tune", "--set", "task.data=iris", "--trials", "1", "--set", "fixed.epochs=1", "--storage", new]
    commands = {
        "tune --report": [*tune, "--report", f"{full}/r.html", "--model-file", f"{tmp}/m.pt"],
        "tune --report in a folder to make": [*tune, "--report", f"{full}/sub/r.html", "--model-file", f"{tmp}/m.pt"],
        "tune --model-file": [*tune, "--report", f"{tmp}/r.html", "--model-file", f"{full}/m.pt"],
        "report -o": ["report", "--storage", url, "--study", "s", "-o", f"{full}/r.html"],
        "export-model -o": ["export-model", str(tmp / "iris.yaml"), "--storage", url, "--study", "s",
                            "-o", f"{full}/m.pt"],
        "export -o": ["export", "--storage", url, "--study", "s", "-o", f"{full}/t.csv"],
        "predict -o": ["predict", f"{tmp}/no-model.pt", f"{tmp}/no-rows.csv", "-o", f"{full}/p.csv"],
        "lab --out": ["lab", "underfit", "--quick", "--out", f"{full}/labs"],
        "dry-run sqlite": [*tune, "--dry-run", "--storage", f"sqlite:///{full}/s.db"],
        "dry-run journal": [*tune, "--dry-run", "--storage", f"journal://{full}/sub/s.log"],
    }
    run = _with_full_folder(full, [sys.executable, "-c", _DRIVER, json.dumps(list(commands.values()))], tmp)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout.strip().splitlines()[-1])
    left = sorted(p.name for p in tmp.iterdir())
    return {name: (code, line, left) for name, (code, line) in zip(commands, results)}


@pytest.mark.parametrize(("name", "says"), [
    ("tune --report", "--report: cannot write {full}/r.html: {full} takes no new file"),
    ("tune --report in a folder to make", "--report: cannot write {full}/sub/r.html: {full} takes no new folder"),
    ("tune --model-file", "--model-file: cannot write {full}/m.pt: {full} takes no new file"),
    ("report -o", "--output: cannot write {full}/r.html: {full} takes no new file"),
    ("export-model -o", "--output: cannot write {full}/m.pt: {full} takes no new file"),
    ("export -o", "--output: cannot write {full}/t.csv: {full} takes no new file"),
    ("predict -o", "--output: cannot write {full}/p.csv: {full} takes no new file"),
    ("lab --out", "--out: cannot create {full}/labs: {full} takes no new folder"),
])
@pytest.mark.slow  # one run of eight commands, torch imported
def test_an_output_folder_that_takes_no_file_is_refused_up_front(refused, name, says):
    code, line, left = refused[name]
    full = line.partition(": cannot ")[2].partition(" ")[2].partition("/full/")[0] + "/full"
    assert code == 2
    assert line == f"nntune: error: {says.format(full=full)} (No space left on device)"
    assert full.endswith("/full")
    assert left == ["full", "iris.yaml", "store"]  # no storage of the tune, no report, no model


def test_a_writable_folder_passes_and_keeps_nothing_of_the_check(tmp_path):
    assert check_writable_file(tmp_path / "r.html", "--report") == tmp_path / "r.html"
    assert check_writable_file(tmp_path / "new" / "sub" / "r.html", "--report") == tmp_path / "new" / "sub" / "r.html"
    assert check_writable_dir(tmp_path / "labs", "--out") == tmp_path / "labs"
    assert creation_problem(tmp_path) is None and creation_problem(tmp_path, folder=True) is None
    assert list(tmp_path.iterdir()) == []  # the test file and folder are gone, no folder was made


def test_a_folder_that_is_not_there_says_so(tmp_path):
    assert creation_problem(tmp_path / "gone") == "No such file or directory"


@pytest.mark.slow  # the run of the test above
def test_dry_run_refuses_a_new_storage_file_where_the_run_could_not_make_it(refused):
    """The real run refuses these when it opens the storage; --dry-run, which opens none, said nothing."""
    code, line, left = refused["dry-run sqlite"]
    full = line.partition("cannot create ")[2].partition("/s.db")[0]
    assert (code, line) == (2, f"nntune: error: storage: cannot create {full}/s.db: No space left on device")
    code, line, left = refused["dry-run journal"]
    assert (code, line) == (2, f"nntune: error: storage: cannot write {full}/sub/s.log: {full} takes no new folder "
                               "(No space left on device)")
    assert full.endswith("/full") and left == ["full", "iris.yaml", "store"]
