"""The report shows user attributes, as Optuna's dashboard does: the study's
(``study.set_user_attr``) under its summary, each trial's (``trial.set_user_attr``) in the
trials table, any JSON value, every part escaped."""

from __future__ import annotations

import re

import pytest

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data

MARKUP = "</td><script>window.injected = 1</script>"


def attributed_study(url: str) -> None:
    study = nntune.create_study(study_name="attrs", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))
    study.set_user_attr("dataset", "<b>cifar</b> & co")
    study.set_user_attr("split", {"seed": 3, "sizes": [0.8, 0.2], "note": None})

    def objective(trial: nntune.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("note", MARKUP)
        trial.set_user_attr("shape", {"layers": [16, 8], "name": "ü", "fast": True})
        trial.set_user_attr("rate", 0.125)
        return x

    study.optimize(objective, n_trials=3)


def section(page: str, sid: str) -> str:
    found = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert found is not None, sid
    return found.group(1)


def test_the_studys_and_each_trials_user_attributes_are_shown_escaped(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    attributed_study(url)
    data = build_report_data(url, "attrs")
    assert data["summary"]["user_attrs"] == {"dataset": "<b>cifar</b> & co",
                                             "split": {"seed": 3, "sizes": [0.8, 0.2], "note": None}}
    assert all(r["user_attrs"]["rate"] == 0.125 for r in data["trials"]["rows"])
    page = render_html(data)
    summary = section(page, "summary")
    assert "User attributes of the study (2)" in summary
    assert "<td>dataset</td><td class=\"attr\">&lt;b&gt;cifar&lt;/b&gt; &amp; co</td>" in summary
    assert "&quot;sizes&quot;: [0.8, 0.2], &quot;note&quot;: null}" in summary
    trials = section(page, "trials")
    assert "<th>user attributes</th>" in trials
    assert trials.count("<summary>3 attributes</summary>") == 3
    assert "&lt;/td&gt;&lt;script&gt;window.injected = 1&lt;/script&gt;" in trials and "<script>" not in trials
    assert "{&quot;layers&quot;: [16, 8], &quot;name&quot;: &quot;ü&quot;, &quot;fast&quot;: true}" in trials
    assert '<td class="attr">0.125</td>' in trials


def test_a_study_without_user_attributes_shows_none(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    nntune.create_study(study_name="plain", storage=url).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    page = render_html(build_report_data(url, "plain"))
    assert "User attributes" not in page and "user attributes" not in page and "<details>" not in page


def logged_page(url: str, size: int) -> tuple[nntune.Study, str]:
    study = nntune.create_study(study_name="huge", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        trial.set_user_attr("log", "&" * size)  # escaped, five times as long on the page
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=5)
    return study, render_html(build_report_data(url, "huge"))


def test_a_huge_value_is_cut_on_the_page_and_kept_whole_in_the_storage(tmp_path):
    study, page = logged_page(f"sqlite:///{tmp_path / 'h.db'}", 1_000_000)
    _, short = logged_page(f"sqlite:///{tmp_path / 's.db'}", 1)
    # 25 MB more before, the value written whole five times; now 5 x 10 kB (its cut, escaped).
    assert len(page) - len(short) < 60_000
    assert section(page, "trials").count("&amp;" * 2000 + "… (998,000 characters more, in the storage whole)") == 5
    assert study.trials[0].user_attrs["log"] == "&" * 1_000_000


@pytest.mark.slow
def test_a_browser_unfolds_them_as_written_without_a_console_error(tmp_path, browser_context):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    attributed_study(url)
    out = tmp_path / "attrs.html"
    out.write_text(render_html(build_report_data(url, "attrs")), encoding="utf-8")
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_selector("#plot-history .main-svg")
    page.click("#summary details summary")
    page.click("#trials details summary")
    cells = page.eval_on_selector_all("#trials details[open] td.attr", "els => els.map(e => e.textContent)")
    assert MARKUP in cells and '{"layers": [16, 8], "name": "ü", "fast": true}' in cells
    assert page.is_visible("#summary details[open] td.attr")
    assert page.evaluate("window.injected") is None
    assert errors == []
