"""The commands that browse a storage: ``dashboard``, ``studies``, ``export`` and
``delete-study``, which take Optuna's option names too (``--study-name``, ``--storage-class``,
``studies -f``). Registered by cli.py; heavy imports stay inside the functions so
``nntune --help`` stays fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from nntune._words import counted
from nntune.cli_ask import _output_format, _storage_class_option, render
from nntune.cli_ask_inputs import file_storage_url, storage_url
from nntune.cli_text import console_for
from nntune.exceptions import ConfigError


def dashboard(
    storage_url_arg: Optional[str] = typer.Argument(None, metavar="storage", show_default=False,
                                                    help="The storage URL, as optuna-dashboard takes it (or --storage); "
                                                         "a file's path alone is an SQLite database or a journal."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage",
                                help="Storage URL (sqlite:///FILE, postgresql://..., journal://FILE)."),
    storage_class: Optional[str] = _storage_class_option(),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
    allow_control: bool = typer.Option(False, "--allow-control",
                                       help="Allow changing, stopping and forking trials and deleting studies "
                                            "from the page (off a loopback address, only with the token "
                                            "printed at start)."),
) -> None:
    """Serve a live web dashboard over a study storage: studies, trials, curves, diagnoses."""
    from nntune.dashboard import serve
    from nntune.studies import check_port, open_existing

    # optuna-dashboard takes the storage as its argument: so does this, the option still works.
    if storage_url_arg is not None and storage not in ("sqlite:///nntune.db", storage_url_arg):
        raise ConfigError("storage", f"given twice: {storage_url_arg} and --storage {storage}")
    given = storage_url_arg or storage
    if storage_class is None and "://" not in given and given != "memory" and not Path(given).exists():
        raise ConfigError("storage", f"no such file: {given} (a path alone opens an SQLite database or a journal; "
                                     "or give a URL such as sqlite:///nntune.db)")
    # optuna-dashboard opens a file given by its path alone; --storage-class, as for
    # `nntune studies`, says which kind a path or URL is.
    store = open_existing(storage_url(given, storage_class) if storage_class else file_storage_url(given))
    check_port(host, port)
    try:
        serve(store, host=host, port=port, allow_control=allow_control, open_browser=not no_browser)
    except KeyboardInterrupt:  # Ctrl+C is how it is stopped: a clean exit
        print("nntune dashboard stopped", file=sys.stderr)


def studies(
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    storage_class: Optional[str] = _storage_class_option(),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    fmt: Optional[str] = typer.Option(None, "-f", "--format", help="json | yaml | table | value: Optuna's "
                                      "columns (name, direction, n_trials, datetime_start, user_attrs)."),
    flat: bool = typer.Option(False, "--flatten", help="With -f: direction_0, direction_1... columns."),
) -> None:
    """List the studies of a storage: trials by state, best value, last activity."""
    from nntune._json import dumps
    from nntune.studies import list_studies, open_existing, optuna_study_rows, studies_table

    if json_out and fmt is not None:
        raise ConfigError("--format", "give --json (nntune's object) or -f FORMAT (Optuna's rows), not both")
    store = open_existing(storage_url(storage, storage_class))
    if fmt is not None:  # Optuna's ``studies`` output
        rows, columns = optuna_study_rows(store)
        fmt = _output_format(fmt, False)
        if fmt in ("table", "value") and not flat:
            rows = [{**row, "direction": plain_directions(row["direction"], fmt)} for row in rows]
        print(render(rows, columns, fmt, flat=flat))
        return
    if flat:
        raise ConfigError("--flatten", "flattens -f FORMAT's rows; give -f json, yaml, table or value")
    data = list_studies(store)
    if json_out:
        print(dumps(data))
        return
    if not data["studies"]:  # an empty table's header alone says nothing of what to do
        print(f"no studies in {data['storage']} yet (nntune tune or nntune create-study makes one)")
        return
    # Study names are the user's words (``exp[bs=64]``): shown as named, never read as markup.
    table = studies_table(data)
    console_for(table, markup=False).print(table)  # into a pipe: no name, number or time cut short


def plain_directions(directions: list[str], fmt: str) -> str:
    """A ``direction`` cell of ``-f table`` or ``-f value``: the names JSON and YAML give,
    ``MINIMIZE`` or ``MINIMIZE, MAXIMIZE``, not a Python list's ``['MINIMIZE']``. A value
    line's cells are separated by spaces, so there the names are joined by a comma alone and
    a shell's ``read name direction n_trials`` takes the directions as one word."""
    return ("," if fmt == "value" else ", ").join(directions)


def export(
    study: str = typer.Option(..., "--study", "--study-name", help="Study name."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    storage_class: Optional[str] = _storage_class_option(),
    fmt: Optional[str] = typer.Option(None, "--format",
                                      help="csv | parquet | json (default: the output's suffix, else csv; "
                                           "a suffix naming another format is refused)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", path_type=str,  # "" kept, not "."
                                          help="File to write (default: stdout)."),
) -> None:
    """Write one row per trial (Optuna's trials_dataframe columns) as CSV, Parquet or JSON."""
    import io

    from nntune._files import check_writable_file, given_path, write_atomic
    from nntune.studies import check_not_storage, export_format, export_study, open_existing

    output = given_path(output, "--output", "give a file name, or leave it out for stdout", file=True)
    if output is not None:
        check_writable_file(output, "--output")
    fmt = export_format(output, fmt)  # before anything is read or written: a contradiction writes nothing
    if output is None and fmt == "parquet" and sys.stdout.isatty():  # as gzip refuses: bytes, not text, on a screen
        raise ConfigError("--output", "Parquet is binary and stdout is a terminal; give -o FILE.parquet, or send "
                                      "stdout to a file or a pipe")
    store = open_existing(storage_url(storage, storage_class))
    if output is not None:
        check_not_storage(output, store, "--output")
    buf = io.BytesIO()
    rows = export_study(store, study, fmt, buf)
    if output is None:
        sys.stdout.buffer.write(buf.getvalue())
        sys.stdout.flush()
        return
    write_atomic(output, buf.getvalue(), field="--output")
    print(f"{counted(rows, 'trial')} written to {output}", file=sys.stderr)


def delete_study(
    study: str = typer.Option(..., "--study", "--study-name", help="Study name."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    storage_class: Optional[str] = _storage_class_option(),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a study with its trials, steps and test looks (asks first unless --yes); its
    checkpoint files stay on disk, and the folders they are in are named."""
    from nntune.show import open_study
    from nntune.studies import checkpoints_left, open_existing

    from nntune.storage import redact_url

    store, rec = open_study(open_existing(storage_url(storage, storage_class)), study)
    n = len(store.get_trials(rec.id))
    try:
        trials = f"{n} trial{'' if n == 1 else 's'}"
        # No terminal to answer on (a script, a CI job, a daemon; a closed standard input,
        # ``<&-``, is no stdin at all): nothing is read, since what a pipe or /dev/null gives
        # is no one's answer (a prompt reading it once took an empty line for "no").
        if not yes and (sys.stdin is None or not sys.stdin.isatty()):
            raise typer.Abort()
        confirmed = yes or typer.confirm(f"delete study {study!r} and its {trials} from {redact_url(store.url)}?")
    except typer.Abort:
        if sys.stdin is not None and sys.stdin.isatty():  # Ctrl-C at the question
            raise
        # No terminal to answer on (a script, a CI job): say what to give, not "aborted".
        raise ConfigError("--yes", "no terminal to confirm the deletion on; nothing deleted "
                                   "(--yes deletes without asking)") from None
    if not confirmed:
        print("nntune: nothing deleted", file=sys.stderr)
        sys.exit(1)
    store.delete_study(study)
    print(f"deleted study {study!r} ({n} trial{'' if n == 1 else 's'})")
    for folder in checkpoints_left(rec):
        print(f"its checkpoints stay in {folder} (remove the folder when they are no longer needed)")
