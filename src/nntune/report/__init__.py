"""The study report: ``write_report(storage, study_name, path)`` writes one self-contained HTML
file (optimization history, learning curves, intermediate values, parallel coordinates,
slices, parameter importance, best region, test result, diagnoses, trials).

``report.data`` builds the content as plain data; ``report.html`` draws it with plotly.
"""

from __future__ import annotations

from nntune.report.data import build_report_data
from nntune.report.html import SECTION_IDS, render_html, write_report

__all__ = ["SECTION_IDS", "build_report_data", "render_html", "write_report"]
