"""Charts of the listening pages (surveys, complaints), as plain Plotly JSON like
:mod:`churnguard.present.web.charts`."""

from __future__ import annotations

from typing import Any

from churnguard.present.web.charts import GRID, _layout, _legend

#: satisfaction 5 … 1: green to red
LEVEL_COLOURS = ["#1a9850", "#91cf60", "#bdbdbd", "#fc8d59", "#d73027"]


def stacked_shares(x: list[str], series: dict[str, list[float]]) -> dict[str, Any]:
    """Shares stacked to 100% per period, one bar segment per series (the five levels)."""
    traces = [{"type": "bar", "name": name, "x": x, "y": values,
               "marker": {"color": LEVEL_COLOURS[i % len(LEVEL_COLOURS)]},
               "hovertemplate": "%{x}: %{y:.1%}<extra>" + name + "</extra>"}
              for i, (name, values) in enumerate(series.items())]
    layout = _layout(height=320, barmode="stack", showlegend=True, legend=_legend(),
                     yaxis={"tickformat": ".0%", "range": [0, 1], "gridcolor": GRID},
                     xaxis={"type": "category", "automargin": True})
    layout["margin"] = {"l": 50, "r": 10, "t": 40, "b": 10}
    return {"data": traces, "layout": layout}


def rates_with_intervals(labels: list[str], rates: list[float | None], lows: list[float | None],
                         highs: list[float | None], colours: list[str] | None = None) -> dict[str, Any]:
    """One bar per group with its 95% interval as an error bar."""
    plus = [None if r is None or h is None else h - r for r, h in zip(rates, highs, strict=True)]
    minus = [None if r is None or lo is None else r - lo for r, lo in zip(rates, lows, strict=True)]
    trace = {"type": "bar", "x": labels, "y": rates, "marker": {"color": colours or "#2f6db5"},
             "error_y": {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "color": "#444"},
             "hovertemplate": "%{x}: %{y:.1%}<extra></extra>"}
    layout = _layout(height=300, showlegend=False, yaxis={"tickformat": ".0%", "rangemode": "tozero", "gridcolor": GRID},
                     xaxis={"type": "category", "automargin": True})
    layout["margin"] = {"l": 50, "r": 10, "t": 10, "b": 10}
    return {"data": [trace], "layout": layout}
