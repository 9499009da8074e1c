"""The monthly report as one standalone HTML file: the dashboard's template, its CSS inline.

A file sent by e-mail cannot load /static, so the stylesheet (screen and print) is copied
into the page; it holds no script.
"""

from __future__ import annotations

from pathlib import Path

from bot.dashboard.i18n import UiText, ui_language
from bot.dashboard.templating import make_templates
from bot.reporting.monthly import MonthlyReport

REPORT_CSS = Path(__file__).parents[1] / "dashboard" / "static" / "gaps.css"


def standalone_html(report: MonthlyReport, language: str = "de") -> str:
    lang = ui_language(language)
    template = make_templates().env.get_template("report_standalone.html")
    return template.render(
        r=report,
        _=UiText(lang),
        lang=lang,
        css=REPORT_CSS.read_text(encoding="utf-8"),
        standalone=True,
    )
