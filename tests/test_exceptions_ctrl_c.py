"""A Ctrl-C that lands while a C extension module initializes reaches the caller as an
ImportError caused by it: it must still read as a Ctrl-C (exit 130, trials re-queued)."""

from __future__ import annotations

import pytest

from nntune.exceptions import caused_by_ctrl_c


def _import_interrupted() -> ImportError:
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise ImportError("initialization failed") from err  # what CPython raises there
    except ImportError as err:
        return err


def test_an_import_broken_by_ctrl_c_reads_as_ctrl_c() -> None:
    assert caused_by_ctrl_c(KeyboardInterrupt())
    assert caused_by_ctrl_c(_import_interrupted())
    wrapped = RuntimeError("while drawing")
    wrapped.__context__ = _import_interrupted()
    assert caused_by_ctrl_c(wrapped)


@pytest.mark.parametrize("err", [ValueError("x"), ImportError("no module named x"), SystemExit(2)])
def test_other_errors_are_not_ctrl_c(err: BaseException) -> None:
    looped = ValueError("a cycle")
    looped.__context__ = err
    err.__context__ = looped  # a chain that loops ends the walk
    assert not caused_by_ctrl_c(err)
