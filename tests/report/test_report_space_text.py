"""The best region's space is printed with names and values as written, non-ASCII included,
and still reads back as the space (JSON holds any character)."""

from __future__ import annotations

import html
import json
import re

import nntune
from nntune.report import render_html
from nntune.report.data import build_report_data


def test_the_best_region_space_keeps_non_ascii_names_and_values_readable(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = nntune.create_study(study_name="étude", storage=url, sampler=nntune.samplers.RandomSampler(seed=0))

    def objective(trial: nntune.Trial) -> float:
        trial.suggest_categorical("activación", ["tanh", "relu", "ü"])
        return trial.suggest_float("α", 0, 1)

    study.optimize(objective, n_trials=6)
    data = build_report_data(url, "étude")
    page = render_html(data)
    pre = html.unescape(re.search(r"<pre>(.*?)</pre>", page, re.S).group(1))  # type: ignore[union-attr]
    assert '"α": {"type": "float"' in pre and '"activación": {"type": "choice"' in pre
    assert "\\u" not in pre
    assert json.loads(pre) == json.loads(json.dumps(data["best_region"]["space"]))
