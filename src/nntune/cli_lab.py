"""``nntune lab``: one experiment of the lecture notes run, its claim checked (registered by
cli.py; the labs and torch load only when a lab runs, so ``nntune --help`` stays fast)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console

from nntune import _json
from nntune._files import check_writable_dir
from nntune.exceptions import ConfigError


def lab(
    name: Optional[str] = typer.Argument(None, help="The lab to run (see --list)."),
    # A str, not a Path: Path("") is ".", and an empty --out must be refused, not read as the current folder.
    out: str = typer.Option("labs-out", "--out", metavar="<path>", help="Folder for the figures and the page."),
    json_out: bool = typer.Option(False, "--json", help="End stdout with the lab's JSON summary."),
    list_: bool = typer.Option(False, "--list", help="List the labs, one line each (with --json, a JSON list)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random draw in the lab."),
    quick: bool = typer.Option(False, "--quick", help="Fewer epochs, samples or trials; the claim is still checked."),
) -> None:
    """Reproduce an experiment of the lecture notes: its figures, its numbers, its claim
    checked. Exit status 1 when the claim did not hold (the figures and page are still written)."""
    from rich.markup import escape

    if not out and not list_ and name is not None:  # as --study-name: an empty value is a slip, not "here"
        raise ConfigError("--out", "must not be empty; give a folder (. for the current one)")
    from nntune.labs import list_labs, run_lab

    if list_ and name is not None:  # the lab named would be neither run nor checked, without a word
        raise ConfigError("--list", f"lists every lab and runs none; give the name alone to run it "
                                    f"(nntune lab {name}), or --list alone")
    if list_ or name is None:
        if json_out:  # a script asked for JSON: the list as JSON, not the lines meant for a reader
            print(_json.dumps([{"name": n, "description": d} for n, d in list_labs()]), flush=True)
            return
        for lab_name, description in list_labs():
            print(f"{lab_name:18s} {description}")
        return
    try:
        result = run_lab(name, check_writable_dir(out, "--out"), seed=seed, quick=quick)
    except ConfigError as err:  # run_lab names its own argument: the command's option is --out
        raise ConfigError("--out", err.problem) if err.field == "out_dir" else err from None
    con = Console(stderr=json_out)
    verdict = "[green]held[/]" if result.held else "[red]did not hold[/]"
    # Whole in a log (no terminal to fit): wrapped at 80 columns, "-> held" could fall apart
    # over two lines, and a CI job's grep for it missed.
    con.print(f"[bold]{escape(result.name)}[/]: {escape(result.claim)} -> {verdict} ({result.seconds:.1f}s)",
              soft_wrap=not con.is_terminal)
    for check, ok in result.numbers["checks"].items():  # which part of the claim failed, without opening the page
        if not ok:
            con.print(f"  [red]not held:[/] {escape(check)}", highlight=False)
    for remark in result.numbers["remarks"]:
        con.print(f"  note: {remark}", markup=False, highlight=False)
    # Paths as they are: a folder named "run[red]x" is no markup, and a long path stays on one line.
    for fig in result.figures:
        con.print(f"  figure: {fig}", markup=False, highlight=False, soft_wrap=True)
    if result.page is not None:
        con.print(f"  page: {result.page}", markup=False, highlight=False, soft_wrap=True)
    if json_out:
        print(_json.dumps(result.to_json()), flush=True)
    if not result.held:  # a script or CI job running the labs learns of it as of a failed test
        raise typer.Exit(1)
