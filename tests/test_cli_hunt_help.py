"""``nntune --help`` and every sub-command's: each sentence as the terminal wraps it.

A help text wrapped at the source's line length broke mid-sentence in the list of commands,
whatever the terminal's width: on a terminal wide enough for any help line, each command's
description, and each option's, must be one line.
"""

from __future__ import annotations

import pytest
import typer.main

from nntune.cli import app


def _tree(command, path=()):
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _tree(sub, (*path, name))


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


_COMMANDS = list(_tree(typer.main.get_command(app)))


def test_the_tree_has_the_sub_command_groups():
    paths = {path for path, _ in _COMMANDS}
    assert {("study", "set-user-attr"), ("storage", "upgrade"), ("trial", "set"), ("lab",)} <= paths


@pytest.mark.parametrize("path, command", _COMMANDS, ids=[" ".join(p) or "nntune" for p, _ in _COMMANDS])
def test_each_description_is_one_line_on_a_wide_terminal(call_cli, monkeypatch, path, command):
    monkeypatch.setenv("COLUMNS", "1000")
    code, out, err = call_cli(*path, "--help")
    assert code == 0, err
    lines = out.splitlines()
    wanted = [_first_paragraph(sub.help) for sub in (getattr(command, "commands", None) or {}).values()]
    wanted += [" ".join(p.help.split()) for p in command.params if getattr(p, "help", None)]
    if command.help:
        wanted.append(_first_paragraph(command.help))
    for text in wanted:
        assert any(text in line for line in lines), f"broken over lines in `nntune {' '.join(path)} --help`: {text!r}"
    assert "list[" not in out, out  # a repeated value (--set, trial set's NAME=VALUE...) shows the one each use takes


@pytest.mark.parametrize("path, command", _COMMANDS, ids=[" ".join(p) or "nntune" for p, _ in _COMMANDS])
def test_a_narrow_terminal_cuts_nothing_short(call_cli, monkeypatch, path, command):
    """rich's tables cut option names and defaults with an ellipsis (``--study-nam…``,
    ``sqlite:///n…``) below about 70 columns; the help must fit 40 columns whole."""
    monkeypatch.setenv("COLUMNS", "40")
    code, out, err = call_cli(*path, "--help")
    assert code == 0, err
    assert "…" not in out and "list[" not in out, out
    assert max(len(line) for line in out.splitlines() if not line.startswith("Usage:")) <= 40, out
    for param in command.params:
        for flag in getattr(param, "opts", ()):
            if flag.startswith("--"):
                assert flag in out, f"{flag} missing from `nntune {' '.join(path)} --help` at 40 columns"
    for name, sub in (getattr(command, "commands", None) or {}).items():
        last_word = _first_paragraph(sub.help).split()[-1]
        assert name in out and last_word in out, f"{name}'s description cut short: {out}"  # not "Search..."


def test_unwrapped_keeps_paragraphs_and_click_markers():
    from nntune.cli_help import unwrapped

    assert unwrapped("One sentence\n    wrapped here.\n\n    Second\n    paragraph.") == \
        "One sentence wrapped here.\n\nSecond paragraph."
    assert unwrapped("Lines:\n\n\b\nkeep\nthese") == "Lines:\n\n\b\nkeep\nthese"
    assert unwrapped("Shown\nhere.\n\f\nhidden\ntext") == "Shown here.\n\f\nhidden\ntext"


@pytest.mark.parametrize("columns", ["200", "40"])
def test_a_repeatable_option_shows_the_one_value_each_use_takes(call_cli, monkeypatch, columns):
    """``--set <list[str]>`` read as one value written as a list; each --set takes one."""
    monkeypatch.setenv("COLUMNS", columns)
    for path, option, shown in ((("tune",), "--set", "<str>"), (("babysit",), "--set", "<str>"),
                                (("trial", "fork"), "--set", "<str>"), (("show",), "--trial", "<int>")):
        code, out, err = call_cli(*path, "--help")
        assert code == 0, err
        line = next(line for line in out.splitlines() if line.lstrip("│ ").startswith(f"{option} "))
        assert shown in line and "list[" not in out, out


def test_babysit_names_every_storage_its_storage_option_takes_as_tune_does():
    def storage_help(name: str) -> str:
        command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
        return next(p.help for p in command.params if p.name == "storage")

    assert storage_help("babysit") == storage_help("tune")
    assert "journal:///" in storage_help("babysit") and "memory" in storage_help("babysit")
