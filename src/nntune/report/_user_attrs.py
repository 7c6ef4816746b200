"""User attributes in the report (``trial.set_user_attr``, ``study.set_user_attr``): the
study's under its summary, each trial's in the trials table, folded as the dashboard folds
them, each value as written (text as it is, lists and dicts as JSON), every part escaped."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from typing import Any

from nntune._words import counted
from nntune.report.html_parts import Markup, fmt


# The most characters of one value the page holds: the trials table inlines every attribute
# of its rows, and 30 trials with a 1 MB attribute each made a 35 MB page. The rest is in
# the storage, whole (nntune show --json, the dashboard's trial panel).
SHOWN_CHARS = 2000


def attr_text(value: Any, limit: int | None = SHOWN_CHARS) -> str:
    """A value as optuna-dashboard writes it, in the report and in nntune's dashboard alike: a
    string as it is, a list or dict as JSON (any character as written, a non-finite number in
    it as Python's ``NaN``/``Infinity``), ``None`` as JSON's null, NaN and the infinities as
    ``nan``, ``inf`` and ``-inf`` (not the "-" of a missing cell: the trial stored a number),
    another number as the report writes numbers; cut after ``limit`` characters (None: whole),
    saying how many more there are."""
    if isinstance(value, (Mapping, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    else:
        text = "null" if value is None else fmt(value)
    if limit is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} characters more, in the storage whole)"


def attr_texts(attrs: Mapping[str, Any]) -> dict[str, str]:
    """Every attribute as its text, whole: the dashboard's trial panel shows these. Strict JSON
    has no NaN or infinity, so the raw values would reach the page as null (shown as no value)."""
    return {str(k): attr_text(v, None) for k, v in attrs.items()}


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
