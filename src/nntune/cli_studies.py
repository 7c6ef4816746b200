"""The commands that browse a storage: ``dashboard``, ``studies``, ``export`` and
``delete-study``. Registered by cli.py; heavy imports stay inside the functions so
``nntune --help`` stays fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console


def dashboard(
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL (SQLite or PostgreSQL)."),
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

    store = open_existing(storage)
    check_port(host, port)
    try:
        serve(store, host=host, port=port, allow_control=allow_control, open_browser=not no_browser)
    except KeyboardInterrupt:  # Ctrl+C is how it is stopped: a clean exit
        print("nntune dashboard stopped", file=sys.stderr)


def studies(
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """List the studies of a storage: trials by state, best value, last activity."""
    from nntune._json import dumps
    from nntune.studies import list_studies, open_existing, studies_table

    data = list_studies(open_existing(storage))
    if json_out:
        print(dumps(data))
        return
    Console().print(studies_table(data))


def export(
    study: str = typer.Option(..., "--study", help="Study name."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    fmt: Optional[str] = typer.Option(None, "--format",
                                      help="csv | parquet | json (default: the output's suffix, else csv)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write (default: stdout)."),
) -> None:
    """Write one row per trial (Optuna's trials_dataframe columns) as CSV, Parquet or JSON."""
    import io

    from nntune._files import check_writable_file, write_atomic
    from nntune.studies import export_format, export_study, open_existing

    if output is not None:
        check_writable_file(output, "--output")
    fmt = fmt or export_format(output)
    buf = io.BytesIO()
    rows = export_study(open_existing(storage), study, fmt, buf)
    if output is None:
        sys.stdout.buffer.write(buf.getvalue())
        sys.stdout.flush()
        return
    write_atomic(output, buf.getvalue(), field="--output")
    print(f"{rows} trials written to {output}", file=sys.stderr)


def delete_study(
    study: str = typer.Option(..., "--study", help="Study name."),
    storage: str = typer.Option("sqlite:///nntune.db", "--storage", help="Storage URL."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a study with its trials, steps and test looks (asks first unless --yes)."""
    from nntune.show import open_study
    from nntune.studies import open_existing

    from nntune.storage import redact_url

    store, rec = open_study(open_existing(storage), study)
    n = len(store.get_trials(rec.id))
    if not yes and not typer.confirm(f"delete study {study!r} and its {n} trials from {redact_url(store.url)}?"):
        print("nntune: nothing deleted", file=sys.stderr)
        sys.exit(1)
    store.delete_study(study)
    print(f"deleted study {study!r} ({n} trials)")
