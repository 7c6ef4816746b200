"""The ``nntune`` command where it runs outside a developer's terminal: started as
``python -m nntune``, with standard input closed, on a disk that fills up."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest

import nntune
from conftest import nntune_command
from nntune.cli_text import unencodable_as_escapes


def test_python_dash_m_nntune_runs_the_command(tmp_path):
    helped = subprocess.run([sys.executable, "-m", "nntune", "--help"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert helped.returncode == 0, helped.stderr
    assert "tune" in helped.stdout and "Usage" in helped.stdout
    refused = subprocess.run([sys.executable, "-m", "nntune", "tune", "--trials", "abc"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert refused.stderr.startswith("nntune: error: ") and "--trials" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_delete_study_with_standard_input_closed_says_to_give_yes(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    nntune.create_study(study_name="d", storage=url)
    # ``<&-`` in a shell, or a daemon's missing descriptor 0: Python's sys.stdin is None.
    done = subprocess.run(["bash", "-c", '"$@" <&-', "nntune", *nntune_command(), "delete-study",
                           "--storage", url, "--study-name", "d"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("nntune: error: --yes: no terminal to confirm the deletion on; "
                                   "nothing deleted (--yes deletes without asking)")
    assert nntune.get_all_study_names(url) == ["d"]


@pytest.mark.slow
def test_a_model_file_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    # A file size limit is a full disk that needs no root: a write past it fails with EFBIG.
    code = textwrap.dedent(f"""
        import resource, signal
        from nntune.exceptions import ConfigError
        from nntune.model_file import save_model_file
        from nntune.train import fit, load_splits

        splits = load_splits("iris", seed=0)
        params = {{"epochs": 1, "units": 64, "layers": 2}}
        model = fit(params, splits, seed=0).model
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        try:
            save_model_file({str(tmp_path / "out" / "m.pt")!r}, model, params, splits, study="iris", trial=0,
                            data="iris", field="--model-file")
        except ConfigError as err:
            print(err)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("--model-file: cannot write ") and "m.pt: File too large" in done.stdout
    assert list((tmp_path / "out").iterdir()) == []


def test_output_in_an_encoding_without_the_names_letters_is_escaped(monkeypatch):
    raw = io.BytesIO()
    ascii_out = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    unencodable_as_escapes()
    print("study hé 研究")
    ascii_out.flush()
    assert raw.getvalue() == b"study h\\xe9 \\u7814\\u7a76\n"


def test_a_console_whose_reader_left_goes_on_quietly(tmp_path):
    code = textwrap.dedent("""
        import os, sys
        from nntune.cli_progress import ReaderlessConsole

        read, write = os.pipe()
        os.close(read)  # the reader is gone: ``| head`` after its lines
        os.dup2(write, 1)
        out = ReaderlessConsole(force_terminal=False)
        out.print("first")  # rich's Console raises SystemExit(1) here
        out.print("second")
        print("a --json line", flush=True)
        sys.stderr.write("went on\\n")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "went on\n")


def test_kill_and_a_closed_terminal_are_ctrl_c_but_nohup_stays():
    code = textwrap.dedent("""
        import os, signal
        from nntune.cli_signals import terminations_as_ctrl_c

        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
        with terminations_as_ctrl_c():
            os.kill(os.getpid(), signal.SIGHUP)  # ignored: nothing happens
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                signal.pause()
            except KeyboardInterrupt:
                print("interrupted")
        # After the command the handlers before it are back.
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, signal.getsignal(signal.SIGHUP) is signal.SIG_IGN)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "interrupted\nTrue True\n"), done.stderr


def test_a_command_leaves_its_sqlite_file_whole_without_a_write_ahead_log(tmp_path):
    # The command skips the interpreter's last garbage collection at exit (it only walks what
    # torch and scikit-learn made at import); the database connections are closed all the
    # same, so the file alone holds every committed row and can be copied as it is.
    url = f"sqlite:///{tmp_path / 's.db'}"
    for args in (["create-study", "--storage", url, "--study-name", "s", "--direction", "minimize"],
                 ["ask", "--storage", url, "--study", "s", "--search-space",
                  '{"x": {"type": "float", "low": 0, "high": 1}}']):
        done = subprocess.run([*nntune_command(), *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]
    copy = tmp_path / "copy" / "s.db"
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "s.db").read_bytes())
    trials = nntune.load_study(study_name="s", storage=f"sqlite:///{copy}").trials
    assert len(trials) == 1 and set(trials[0].params) == {"x"}
