"""User attributes in the report (``trial.set_user_attr``, ``study.set_user_attr``): the
study's under its summary, each trial's in the trials table, folded as the dashboard folds
them, each value as written (text as it is, lists and dicts as JSON), every part escaped."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from nntune._words import counted
from nntune.report.html_parts import Markup, fmt


# The most characters of one value the page holds: the trials table inlines every attribute
# of its rows, and 30 trials with a 1 MB attribute each made a 35 MB page. The rest is in
# the storage, whole (nntune show --json, the dashboard's trial panel).
SHOWN_CHARS = 2000


def attr_text(value: Any) -> str:
    """A value as the dashboard writes it: a list or dict as JSON (any character as written),
    ``None`` as JSON's null, a string as it is, a number as the report writes numbers; cut
    after :data:`SHOWN_CHARS` characters, saying how many more there are."""
    if isinstance(value, (Mapping, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = "null" if value is None else fmt(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}… ({len(text) - SHOWN_CHARS:,} characters more, in the storage whole)"


def attrs_table(attrs: Mapping[str, Any]) -> str:
    rows = "".join(f'<tr><td>{html.escape(str(k))}</td><td class="attr">{html.escape(attr_text(v))}</td></tr>'
                   for k, v in attrs.items())
    return f'<table class="attrs"><tbody>{rows}</tbody></table>'


def attrs_cell(attrs: Mapping[str, Any] | None) -> Markup | None:
    """A trials-table cell: the trial's attributes folded under their count (None: it has none)."""
    if not attrs:
        return None
    return Markup(f"<details><summary>{counted(len(attrs), 'attribute')}</summary>{attrs_table(attrs)}</details>")


def study_attrs(attrs: Mapping[str, Any] | None) -> str:
    """The study's attributes under its summary, folded under their count ("" for none)."""
    if not attrs:
        return ""
    return (f"<details><summary>User attributes of the study ({len(attrs)})</summary>"
            f"{attrs_table(attrs)}</details>")
