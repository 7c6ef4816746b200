"""Usage errors of the ``nntune`` command: one line naming the option, exit code 2."""

import pytest
import typer

import nntune._usage


@pytest.mark.parametrize("args, named", [
    (["tune", "--trials", "abc"], "--trials"),
    (["tune", "--workers", "abc"], "--workers"),
    (["show", "--top", "x"], "--top"),
    (["tune", "--trails", "5"], "--trails"),
    (["tune", "--timeout"], "--timeout"),
    (["report", "--study"], "--study"),
])
def test_usage_error_is_one_line_naming_the_option_exit_2(call_cli, tmp_path, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    code, out, err = call_cli(*args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nntune: error: ") and named in lines[0]
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []


def test_usage_error_from_a_real_process_has_no_traceback(run_cli, tmp_path):
    done = run_cli("tune", "--trials", "abc", timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "--trials" in done.stderr and "Traceback" not in done.stderr


def test_both_clicks_are_caught():
    caught = nntune._usage.click_exception_types()
    assert any(issubclass(typer.BadParameter, c) for c in caught)
    click = pytest.importorskip("click")
    assert click.ClickException in caught


def test_flags_show_no_value_in_help(call_cli):
    code, out, _ = call_cli("tune", "--help")
    assert code == 0
    flag_lines = [line for line in out.splitlines() if "--json" in line or "--dry-run" in line]
    assert len(flag_lines) == 2 and not any("<bool>" in line for line in flag_lines)
    assert "<int>" in out or "INTEGER" in out  # options that take a value still say which


def test_bare_command_prints_help_and_exits_0(call_cli):
    code, out, err = call_cli()
    assert code == 0 and "Usage" in out and err == ""


def test_help_loads_no_heavy_library():
    import subprocess
    import sys

    code = ("import sys, nntune.cli\n"
            "heavy = [m for m in ('torch', 'sklearn', 'scipy', 'sqlalchemy', 'pandas', 'plotly') if m in sys.modules]\n"
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


# A mistake in a config is one line before the trainer is imported (torch alone takes 2-3
# seconds to import; the error took 3.3 s where it now takes 0.5).
@pytest.mark.parametrize("command", ["tune", "babysit"])
@pytest.mark.parametrize("config, field", [("search:\n  trials: -3\n", "search.trials"),
                                           ("task:\n  metric: acuracy\n", "task.metric"),
                                           ("task:\n  metric: [accuracy, latency_ms]\n  direction: [maximize, up]\n",
                                            "task.direction")], ids=["trials", "metric", "direction"])
def test_a_bad_config_is_refused_before_torch_or_sklearn_is_imported(tmp_path, command, config, field):
    import subprocess
    import sys

    (tmp_path / "bad.yaml").write_text(config)
    code = ("import sys\n"
            "sys.argv = ['nntune', sys.argv[1], 'bad.yaml']\n"
            "import nntune.cli\n"
            "try:\n"
            "    nntune.cli.main()\n"
            "except SystemExit as exit_:\n"
            "    print('exit', exit_.code)\n"
            "print(','.join(m for m in ('torch', 'sklearn', 'pandas') if m in sys.modules) or 'none')")
    done = subprocess.run([sys.executable, "-c", code, command], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert done.stdout.split() == ["exit", "2", "none"], done.stdout + done.stderr[-2000:]
    assert done.stderr.count("\n") == 1 and f"error: {field}" in done.stderr


@pytest.mark.parametrize("config, field", [
    ("search:\n  sampler: tpe\n  sampler_options: {n_startup_trials: -3}\n", "search.sampler_options.n_startup_trials"),
    ("search:\n  scheduler: asha\n  scheduler_options: {reduction_factor: 1}\n",
     "search.scheduler_options.reduction_factor")], ids=["sampler", "scheduler"])
def test_a_bad_search_option_is_refused_before_torch_is_imported(tmp_path, config, field):
    # The sampler and scheduler are built from the config once before the runner's imports
    # (they took 3 s to refuse an option before).
    test_a_bad_config_is_refused_before_torch_or_sklearn_is_imported(tmp_path, "tune", config, field)


@pytest.mark.parametrize("command", ["tune", "show", "report", "test", "lab"])
def test_every_command_has_help(call_cli, command):
    code, out, err = call_cli(command, "--help")
    assert code == 0 and "Usage" in out and err == ""
