"""The ``nntune`` command. Thin: parse flags, call the runner, print tables or JSON.

Every bad input ends as one line on stderr naming the field, with exit code 2.
"""

from __future__ import annotations

import atexit
import gc
import sys
from pathlib import Path
from typing import Optional

import typer
import typer.main
from rich.console import Console

from nntune import _json
from nntune._usage import click_exception_types, flags_take_no_value_in_help, usage_error_line
from nntune import cli_ask, cli_babysit, cli_lab, cli_model, cli_show, cli_studies, cli_study
from nntune.cli_help import UnwrappedHelpGroup
from nntune.cli_panda import trial_app
from nntune.cli_signals import INTERRUPTED, interrupted_line, terminations_as_ctrl_c
from nntune.cli_summary import print_summary
from nntune.cli_text import (_objectives_text, _print_dry_run, dry_run_json, own_warnings_as_lines,
                             positive_class_name, print_test, unencodable_as_escapes)
from nntune.cli_text import schedule_text  # noqa: F401 (still importable from here)
from nntune._files import check_writable_file, given_path
from nntune.config_overrides import _assign, _override, asks_worker_processes
from nntune.config_storage import check_storage_opens, check_tune_outputs, run_inputs
from nntune.exceptions import ConfigError, caused_by_ctrl_c, last_line

# Everything else loads where it is used: ``nntune --help`` must not wait for torch,
# scikit-learn, scipy or SQLAlchemy.

app = typer.Typer(add_completion=False, no_args_is_help=True, cls=UnwrappedHelpGroup,
                  help="Hyperparameter tuning for neural networks.")


flags_take_no_value_in_help()

app.callback()(cli_study.global_options)  # Optuna's --storage before the command, and OPTUNA_STORAGE


@app.command()
def tune(
    # path_type=str (here and in every command's config): the text as typed, a str, still
    # shown as <path>. As a Path, "" would be "." and an empty config (an unset shell
    # variable) would be read as the current folder instead of refused.
    config: Optional[Path] = typer.Argument(None, path_type=str, help="YAML config; without it the embedded default "
                                                                      "(an MLP on scikit-learn's digits)."),
    trials: Optional[int] = typer.Option(None, "--trials", help="Total finished trials the study should hold."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Stop starting trials after S seconds."),
    storage: Optional[str] = typer.Option(None, "--storage",
                                          help="sqlite:///file.db, postgresql://..., journal:///ABS/PATH.log (journal://REL.log), or memory."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (resumed when it exists)."),
    sampler: Optional[str] = typer.Option(None, "--sampler",
                                          help="random | grid | qmc | coarse_to_fine | tpe | gp | cmaes | nsga2 | nsga3"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="none | median | asha | hyperband | bohb | pbt | curve"),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed for the sampler, splits and trials."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Trials at once: N worker processes "
                                          "(one GPU each where there are GPUs), or N Ray actors."),
    executor: Optional[str] = typer.Option(None, "--executor", help="local | ray | population (trials "
                                           "trained K at a time as stacks on this device)"),
    population: Optional[str] = typer.Option(None, "--population",
                                             help="With --executor population: members per stack, K or auto."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address",
                                              help="auto (a running cluster) or ADDRESS; none starts Ray here."),
    trial_timeout: Optional[float] = typer.Option(None, "--trial-timeout",
                                                  help="Fail a trial that runs longer than S seconds."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with one JSON summary line."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate, show data and model, run nothing."),
    set_: Optional[list[str]] = typer.Option(None, "--set", help="Override any config value: "
                                             "--set fixed.epochs=5 --set task.train_size=0.1 (repeatable)."),
    # Strings, not Paths, here and in report's -o: Path("") is ".", and an empty value (an
    # unset shell variable) must be refused, not read as the current folder.
    report_path: Optional[str] = typer.Option(None, "--report", metavar="<path>",
                                              help="Where to write the HTML report (default reports/STUDY.html)."),
    model_file: Optional[str] = typer.Option(None, "--model-file", metavar="<path>", help="Where to write the best "
                                             "trial's model when the test split is opened for it (default models/STUDY.pt)."),
) -> None:
    """Search hyperparameters, then evaluate the best configuration once on the sealed test split."""
    from nntune.config_files import read_raw

    report_file = _path_given(report_path, "--report", "give a file name", file=True)
    model_path = _path_given(model_file, "--model-file", "give a file name", file=True)
    raw = read_raw(config)
    for section, key, value in ((None, "storage", storage), (None, "study", study),
                                ("search", "trials", trials), ("search", "timeout", timeout),
                                ("search", "sampler", sampler), ("search", "scheduler", scheduler),
                                ("search", "seed", seed), ("search", "workers", workers),
                                ("search", "executor", executor), ("search", "ray_address", ray_address),
                                ("search", "trial_timeout", trial_timeout),
                                ("search", "population", int(population) if population and population.isdigit()
                                 else population)):
        _override(raw, section, key, value)
    for assignment in set_ or ():
        _assign(raw, assignment)
    if asks_worker_processes(raw) and not dry_run:  # its imports overlap ours (torch, the data)
        from nntune.executors._processes import start_worker_server

        start_worker_server()
    from nntune.config import parse_config

    # The config first: a mistake in it is one line in a fraction of a second, before the
    # runner's imports (torch, the trainer) take seconds.
    cfg = parse_config(raw, str(config) if config else "default")
    from nntune.runner_search import check_search_options

    check_search_options(cfg)  # the sampler's and scheduler's options, before torch too
    from nntune.config_terminator import random_terminator
    from nntune.runner import prepare, run_tune
    from nntune.storage import redact_url

    from nntune.cli_ask_inputs import check_study_name
    from nntune.runner import check_executor

    check_study_name(cfg.study, str(cfg.storage), "study")  # before a new SQLite file is written

    check_executor(cfg)  # a Ray head that is not there: said before the data, the model check and the study
    # The report is written after the search: a path that cannot take it fails now.
    from nntune._default_files import model_path_for, report_path_for
    from nntune.report.output import check_page_name

    # by default, never over another study's files: "a b" and "a_b" share their safe name
    report_file = check_writable_file(report_file or report_path_for(cfg.study, "--report"), "--report")
    model_path = check_writable_file(model_path or model_path_for(cfg.study, "--model-file"), "--model-file")
    # neither over the storage, nor over the config or the data the run reads, nor each other
    check_tune_outputs(report_file, model_path, cfg.storage, run_inputs(config, cfg.task.data))
    check_page_name(report_file, "--report")  # after those: "is the storage itself" says more
    # Human output goes to stderr with --json so that stdout ends with the JSON line alone; a
    # reader that leaves early (| head) costs the lines, not the test look's model or the report.
    from nntune.cli_progress import ReaderlessConsole

    out = ReaderlessConsole(stderr=json_out)
    prepared = prepare(cfg)
    from nntune.runner import check_resumable

    check_resumable(prepared.cfg)  # a stored study's config that refuses this one: said first, before any warning
    if not len(prepared.space) and cfg.search.trials != 1:
        out.print("warning: the config has no space, so every trial trains the same configuration (only "
                  "their seeds differ); a space: section says what to search (see the README)", markup=False)
    from nntune.runner_build import idle_scheduler_warning
    from nntune.unread_settings import unread_setting_warnings

    for warning in (idle_scheduler_warning(cfg), *unread_setting_warnings(cfg)):  # a line each
        if warning:
            out.print(f"warning: {warning}", markup=False)
    if random_terminator(cfg):
        out.print(f"warning: search.terminator's regret bound stays wide under {cfg.search.sampler} draws, which "
                  "follow no model (measured under random: it never stopped a 100-trial search of the default task); "
                  "use sampler tpe or gp, or {improvement: stagnation}", markup=False)
    if dry_run:
        check_storage_opens(cfg.storage)  # what the run would refuse, with no file made
        _print_dry_run(out, prepared)
        if json_out:
            print(_json.dumps(dry_run_json(prepared, redact_url(cfg.storage))), flush=True)
        return

    from nntune.cli_progress import TuneProgress, tune_header

    progress = TuneProgress(out, cfg, tune_header(cfg, redact_url(cfg.storage), _objectives_text(cfg)))
    _interrupted[0] = interrupted_line(cfg.search.executor, cfg.search.workers)
    try:
        summary = run_tune(prepared, on_start=progress.on_start, on_trial=progress.on_trial, model_file=model_path)
    finally:
        progress.close()

    print_summary(out, prepared, summary, model_path)
    c = summary.counts
    from nntune.report import write_report

    written = write_report(summary.storage, summary.study, report_file, field="--report")
    out.print(f"report: {written}", markup=False)
    if json_out:
        print(_json.dumps(summary.to_json()), flush=True)
    if not c["complete"] and c["failed"]:  # every trial crashed: a script must not carry on as if tuned
        raise typer.Exit(1)


@app.command("test")
def look_at_test(
    config: Optional[Path] = typer.Argument(None, path_type=str, help="The YAML the study was tuned with; without it, "
                                                                      "the config stored with the study."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Storage URL (default sqlite:///nntune.db)."),
    study: Optional[str] = typer.Option(None, "--study", help="Study name (default digits-mlp)."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with one JSON line of the result."),
) -> None:
    """Look at the sealed test split again for the study's best trial; the look is counted."""
    from nntune.runner import look_again, prepare

    cfg = cli_model.study_config(config, storage, study)
    out = Console(stderr=json_out)
    prepared = prepare(cfg)
    test = look_again(prepared)
    print_test(out, cfg.study, test, positive_class_name(prepared.splits, prepared.cfg.task.positive_index))
    if json_out:
        metrics = {k: v for k, v in test.metrics.items() if isinstance(v, (int, float))}
        print(_json.dumps({"study": cfg.study, "trial": test.trial, "test": metrics,
                          "test_evaluations": test.looks}), flush=True)


app.command()(cli_show.show)


@app.command()
def report(
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    study: str = typer.Option("digits-mlp", "--study", help="Study name."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="<path>",
                                         help="HTML file to write, - for stdout (default reports/STUDY.html)."),
) -> None:
    """Write a study's report: one HTML file that opens with no network and no server."""
    from nntune.report import output as sink, write_report
    from nntune.studies import check_not_storage, open_existing

    given = _path_given(output, "--output", "give a file name, or - for stdout", file=True)
    from nntune._default_files import report_path_for

    target = given if sink.to_stdout(given) else check_writable_file(given or report_path_for(study, "--output"),
                                                                     "--output")
    check_not_storage(target, open_existing(storage), "--output")  # -o nntune.db would overwrite the studies
    sink.check_page_name(target, "--output")
    path = write_report(storage, study, target, field="--output")
    sink.say_written(path)


app.command()(cli_lab.lab)
app.command("export-model")(cli_model.export_model)
app.command()(cli_model.predict)
app.command()(cli_studies.dashboard)
app.command()(cli_studies.studies)
app.command()(cli_studies.export)
app.command("delete-study")(cli_studies.delete_study)
cli_ask.register(app)  # create-study, ask, tell, trials, best-trial, best-trials
cli_study.register(app)  # study-names, study set-user-attr, storage upgrade

# ---------------------------------------------------------------- the Panda: babysit one model

app.add_typer(trial_app, name="trial")
app.command()(cli_babysit.babysit)


@app.command()
def ensemble(
    config: Optional[Path] = typer.Argument(None, path_type=str, help="The config the study was tuned with "
                                                                      "(default: the one stored with the study)."),
    study: str = typer.Option(..., "--study", help="The study whose best trials form the ensemble."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    top: int = typer.Option(5, "--top", help="How many of the best trials (by validation value) to combine."),
    method: str = typer.Option("average", "--method", help="average | greedy (Caruana's forward selection)."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with the ensemble's JSON summary."),
) -> None:
    """Average the best trials' predictions and score the ensemble once on the test split, beside the single best."""
    from nntune.config import read_raw
    from nntune.ensemble_study import ensemble_for_study, ensemble_lines

    raw = read_raw(config) if config is not None else None
    result = ensemble_for_study(storage, study, top=top, method=method, config=raw)
    con = Console(stderr=json_out)
    for line in ensemble_lines(result):
        con.print(line, markup=False, highlight=False, soft_wrap=not con.is_terminal)  # a log's line is whole
    if json_out:
        print(_json.dumps(result.to_json()), flush=True)


_path_given = given_path  # a path the user gave; an empty one refused


_interrupted = INTERRUPTED  # the line a Ctrl-C ends with (cli_signals: babysit sets it too)


_command: list = []  # the app as click runs it, built on the first call of main()
_exit_hook: list = []  # _exit_quickly, once registered with atexit


def _run_app() -> object:
    """``app(standalone_mode=False)`` without Typer rebuilding the whole click command tree
    from the functions' signatures at every call (50 to 100 ms): a process that calls main()
    more than once (a test suite, a notebook) builds it once. An unexpected error shows
    Python's own traceback, not Typer's rich rendering of it."""
    if not _command:
        _command.append(typer.main.get_command(app))
    return _command[0](standalone_mode=False)


def _exit_quickly() -> None:
    """At the process's exit: close the storages' database connections (an SQLite file folds
    its write-ahead log back in and removes it), then freeze every object. The interpreter's
    last garbage collection would walk every object that torch, torch._dynamo and scikit-learn
    made at import, most of a second of each command's exit after its last line (seconds on
    a loaded machine); frozen, they are left to the operating system. Other atexit handlers
    and module teardown still run."""
    engines = sys.modules.get("nntune.storage._engines")  # loaded only by commands with a storage
    if engines is not None:
        engines.dispose_engines()
    gc.freeze()


def main() -> None:
    """Entry point: run the app, turning bad input into one line and exit code 2."""
    if not _exit_hook:  # once per process, however often main() is called
        _exit_hook.append(atexit.register(_exit_quickly))
    with terminations_as_ctrl_c():  # kill and a closed terminal end every command as Ctrl-C does
        _main()


def _main() -> None:
    own_warnings_as_lines()
    unencodable_as_escapes()
    try:
        code = _run_app()
        if code == 130:  # Ctrl-C (Typer turns it into this exit code)
            print(_interrupted[0], file=sys.stderr)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ConfigError as err:
        print(f"nntune: error: {err}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        print("nntune: aborted", file=sys.stderr)
        sys.exit(130)
    except click_exception_types() as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # bare ``nntune``: the help, no error
            print(err.format_message())  # type: ignore[attr-defined]
            sys.exit(0)
        print(f"nntune: error: {usage_error_line(err)}", file=sys.stderr)
        sys.exit(2)
    except Exception as err:
        from nntune.storage import StudyNotFoundError  # only now: it loads SQLAlchemy

        if caused_by_ctrl_c(err):  # a Ctrl-C that landed in a module's import
            print(_interrupted[0], file=sys.stderr)
            sys.exit(130)

        if isinstance(err, StudyNotFoundError):
            print(f"nntune: error: study: {err}", file=sys.stderr)
            sys.exit(2)
        if type(err).__name__ == "NonFiniteOutputs":  # nntune test: the model broke on the split, said in one line
            print(f"nntune: error: test: {err}", file=sys.stderr)
            sys.exit(1)
        if type(err).__name__ == "WorkerSetupError":  # the worker's traceback is in its own log
            print(f"nntune: error: {last_line(err)}", file=sys.stderr)
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
