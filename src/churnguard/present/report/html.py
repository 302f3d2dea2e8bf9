"""The report as one self-contained HTML file: styles and Plotly's script inlined, no request
leaves the file when it is opened (it can be mailed or opened offline)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from churnguard.present.report.data import ReportData
from churnguard.present.report.sections import content
from churnguard.present.web.charts import json_for_script, plotly_js

STYLE = Path(__file__).resolve().parents[1] / "web" / "static" / "app.css"


@functools.cache
def _env() -> Environment:
    env = Environment(loader=PackageLoader("churnguard.present.report", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_script"] = json_for_script
    return env


def _script(path: Path) -> Markup:
    # inlined in <script>: a "</script" inside would end the element early
    return Markup(path.read_text(encoding="utf-8").replace("</script", "<\\/script"))


def cell(tr: Any, value: Any, kind: str, period: str = "quarter") -> str:
    """A table cell as text in the reader's language."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "rate":
        return tr.format_percent(value)
    if kind in ("money", "number"):
        return tr.format_number(value, 0)
    if kind == "count":
        return tr.format_number(value)
    if kind == "period":
        return tr.format_period(value, period)
    if kind == "date":
        return tr.format_date(value)
    return str(value)


def write_html(data: ReportData, path: Path) -> None:
    """Write the report of ``data`` to ``path`` as HTML."""
    page = _env().get_template("report.html").render(
        c=content(data), tr=data.tr, _=data.tr.gettext, lang=data.tr.language, cell=cell,
        style=Markup(STYLE.read_text(encoding="utf-8")), plotly=_script(plotly_js()),
    )
    path.write_text(page, encoding="utf-8")
