"""The lecture experiments as runnable labs: each reproduces a figure and checks the notes' claim.

``run_lab(name, out_dir, seed)`` measures, checks the claim on the numbers, and, given an
output folder, writes the figures (PNG) and one self-contained HTML page per lab.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from nntune.exceptions import ConfigError
from nntune.labs import capacity, init, learning_rate, optimizers, regularization, search, training, tuning
from nntune.labs._common import Lab, LabResult, Measured, caller_random_state, torch_threads, write_page

__all__ = ["LABS", "Lab", "LabResult", "Measured", "list_labs", "run_lab"]

LABS: dict[str, Lab] = {
    lab.name: lab
    for module in (capacity, optimizers, init, regularization, learning_rate, training, search, tuning)
    for lab in module.LABS
}

# Small MLPs train faster on one intra-op thread than on two that other processes share.
DEFAULT_THREADS = 1


def list_labs() -> list[tuple[str, str]]:
    """(name, one-line description) of every lab, in the notes' order."""
    return [(lab.name, lab.description) for lab in LABS.values()]


def check_seed(seed: object) -> int:
    """``seed`` as an int >= 0: numpy's seed sequences, which every lab draws from, refuse negatives."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError("seed", f"must be an integer >= 0, got {seed!r}")
    return int(seed)


def check_quick(quick: object) -> bool:
    """``quick`` as a bool: a string such as "false" would otherwise count as true."""
    if not isinstance(quick, (bool, np.bool_)):
        raise ConfigError("quick", f"must be True or False, got {quick!r}")
    return bool(quick)


def check_threads(threads: object) -> int | None:
    """``threads`` as an int >= 1, or None: 0 or -2 must not quietly become 1 thread."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ConfigError("threads", f"must be an integer >= 1 or None, got {threads!r}")
    return int(threads)


def make_folder(folder: Path) -> Path | None:
    """Create the output folder; an OS error (a read-only place, a missing mount) becomes one line.

    Returns the topmost folder this call created (None when ``folder`` already existed), so
    that a run which fails afterwards can take back what it made."""
    try:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError("out_dir", f"cannot create {folder}: {err.strerror or err}") from None
    return missing[-1] if missing else None


def remove_made_folders(folder: Path, top: Path) -> None:
    """Remove ``folder`` and its parents up to ``top`` while they are empty: a failed run
    leaves no empty folder behind, and never anything that holds a file."""
    for path in (folder, *folder.parents):
        try:
            path.rmdir()
        except OSError:
            return
        if path == top:
            return


def staged_error(err: ConfigError, staging: Path, folder: Path) -> ConfigError:
    """``err`` naming the file where it was to go: the staging folder is no name of the user's."""
    return ConfigError(err.field, err.problem.replace(str(staging), str(folder)))


def publish(staged: list[Path], folder: Path, backups: Path) -> list[Path]:
    """Move the staged files into ``folder`` as one set: each replaces its namesake whole
    (keeping its permissions), and when one cannot be placed (a folder in the way, no
    permission) every file placed so far is taken back and every file it replaced restored.
    ``backups`` (on the same file system) holds a second name of each replaced file meanwhile."""
    placed: list[tuple[Path, Path | None]] = []  # (final path, the earlier file's second name)
    final = folder
    try:
        for i, source in enumerate(staged):
            final = folder / source.name
            old = None
            if final.is_file():
                old = backups / f"{i}.old"
                try:
                    os.link(final, old, follow_symlinks=False)
                except OSError:  # no hard links on this file system
                    shutil.copy2(final, old, follow_symlinks=False)
                os.chmod(source, final.stat().st_mode & 0o7777)
            os.replace(source, final)
            placed.append((final, old))
    except BaseException as err:  # Ctrl-C included: never half a set
        for done, old in reversed(placed):
            try:
                if old is None:
                    done.unlink(missing_ok=True)
                else:
                    os.replace(old, done)
            except OSError:
                pass  # best effort: the first error is the one to report
        if not isinstance(err, OSError):
            raise
        raise ConfigError("out_dir", f"cannot write {final}: {err.strerror or err}") from None
    return [p for p, _ in placed]


def run_lab(name: str, out_dir: Path | str | None = None, seed: int = 0, *, quick: bool = False,
            threads: int | None = DEFAULT_THREADS) -> LabResult:
    """Run lab ``name`` with every random draw derived from ``seed``.

    With ``out_dir`` the figures go to ``<out_dir>/<name>*.png`` and the page to
    ``<out_dir>/<name>.html``, all or none of them: they are written into a hidden folder
    beside them first and moved into place together, so a run that fails (a full disk, a
    folder in the way, Ctrl-C) leaves the folder as it found it. Without ``out_dir`` only the
    numbers are measured. ``quick`` shrinks the heavy labs (fewer epochs, samples or trials)
    while still checking the claim. ``threads`` sets torch's intra-op threads for the run
    (None leaves them as they are).
    """
    lab = LABS.get(name)
    if lab is None:
        raise ConfigError("lab", f"unknown lab {name!r}; choose from {', '.join(LABS)}")
    seed, quick, threads = check_seed(seed), check_quick(quick), check_threads(threads)
    start = time.perf_counter()
    folder = None if out_dir is None else Path(out_dir)
    # The folder is made before measuring: a place that cannot be written is refused at once,
    # not after minutes of training.
    made = None if folder is None else make_folder(folder)
    staging: Path | None = None
    try:
        with torch_threads(threads), caller_random_state():
            measured: Measured = lab.measure(seed, quick)
        numbers = {**measured.numbers, "checks": dict(measured.checks), "remarks": list(measured.remarks)}
        result = LabResult(name=lab.name, claim=lab.claim, held=measured.held, numbers=numbers,
                           seed=seed, quick=quick, seconds=time.perf_counter() - start)
        if folder is not None:
            try:
                staging = Path(tempfile.mkdtemp(prefix=f".{lab.name}.", suffix=".partial", dir=folder))
            except OSError as err:
                raise ConfigError("out_dir", f"cannot write in {folder}: {err.strerror or err}") from None
            try:
                with torch_threads(threads), caller_random_state():
                    result.figures = lab.draw(measured, staging)
                result.seconds = time.perf_counter() - start
                page = write_page(lab, result, measured, staging)
            except ConfigError as err:
                raise staged_error(err, staging, folder) from None
            backups = staging / ".replaced"
            backups.mkdir()
            *result.figures, result.page = publish([*result.figures, page], folder, backups)
            result.seconds = time.perf_counter() - start
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if folder is not None and made is not None:
            remove_made_folders(folder, made)
        raise
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    return result
