"""Plotly figures for the pages and the report, as plain JSON (drawn by the served plotly.min.js).

The figures are written as the dictionaries of Plotly's JSON schema rather than built with
``plotly.graph_objects``: building and validating a ``go.Figure`` takes 15–40 ms, more than
the rest of a page read from stored figures (measured with bench/bench_web.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup

FONT = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif'
GRID = "#e3e7eb"
#: Plotly's default colour sequence (plotly.colors.qualitative.Plotly)
COLOURS = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880",
           "#FF97FF", "#FECB52"]
BLUES = [[0.0, "rgb(247,251,255)"], [0.125, "rgb(222,235,247)"], [0.25, "rgb(198,219,239)"],
         [0.375, "rgb(158,202,225)"], [0.5, "rgb(107,174,214)"], [0.625, "rgb(66,146,198)"],
         [0.75, "rgb(33,113,181)"], [0.875, "rgb(8,81,156)"], [1.0, "rgb(8,48,107)"]]


def plotly_js() -> Path:
    """``plotly.min.js`` of the installed plotly package (served locally; never from a CDN)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def json_for_script(value: Any) -> Markup:
    """``value`` as JSON to put inside ``<script type="application/json">``: what could end the
    element is escaped."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"family": FONT, "size": 13},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def _legend() -> dict[str, Any]:
    return {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}


def hbar(labels: list[str], values: list[float], *, number_format: str = ",d") -> dict[str, Any]:
    """A horizontal bar chart, largest at the top: ``{"data": …, "layout": …}``."""
    trace = {"type": "bar", "orientation": "h", "x": values[::-1], "y": labels[::-1],
             "marker": {"color": "#2f6db5"}, "texttemplate": f"%{{x:{number_format}}}", "textposition": "auto",
             "hoverinfo": "skip"}
    return {"data": [trace], "layout": _layout(height=max(160, 34 * len(labels) + 40), xaxis={"visible": False},
                                               yaxis={"automargin": True, "type": "category"})}


def rate_lines(x: list[str], series: dict[str, list[float | None]], solid: list[bool] | None = None,
               ) -> dict[str, Any]:
    """Rates over periods, one line per series; points where ``solid`` is False are drawn open.

    Parameters
    ----------
    x : list of str
        Period labels, in order.
    series : dict
        Series name (``""`` for a single line) -> rate per period (0.05 = 5%), None where there is none.
    solid : list of bool, optional
        Per period: False marks a figure to read with care (drawn as an open circle).
    """
    symbols = ["circle" if s else "circle-open" for s in (solid or [True] * len(x))]
    traces = []
    for i, (name, values) in enumerate(series.items()):
        trace = {"type": "scatter", "mode": "lines+markers", "x": x, "y": values, "connectgaps": False,
                 "line": {"color": COLOURS[i % len(COLOURS)]},
                 "marker": {"symbol": symbols, "size": 9, "color": COLOURS[i % len(COLOURS)]},
                 "hovertemplate": "%{x}: %{y:.1%}<extra>" + (name or "") + "</extra>"}
        if name:
            trace["name"] = name
        traces.append(trace)
    many = len(series) > 1
    layout = _layout(height=320, showlegend=many, hovermode="x unified",
                     yaxis={"tickformat": ".0%", "rangemode": "tozero", "gridcolor": GRID},
                     xaxis={"type": "category", "automargin": True}, legend=_legend())
    layout["margin"] = {"l": 50, "r": 10, "t": 30 if many else 10, "b": 10}
    return {"data": traces, "layout": layout}


def heatmap(x: list[str], y: list[str], z: list[list[float | None]], *, x_title: str = "",
            y_title: str = "", number_format: str = ".0%") -> dict[str, Any]:
    """A heat map (the cohort triangle): rows ``y`` (oldest on top), columns ``x``, values ``z``.

    Parameters
    ----------
    x, y : list of str
        Column and row labels.
    z : list of list
        One row per ``y`` label; None where there is no value (drawn empty).
    """
    trace: dict[str, Any] = {
        "type": "heatmap", "x": x, "y": y, "z": z, "zmin": 0, "colorscale": BLUES, "xgap": 1, "ygap": 1,
        "hovertemplate": f"%{{y}} · %{{x}}: %{{z:{number_format}}}<extra></extra>",
        "colorbar": {"tickformat": number_format, "thickness": 12},
    }
    if number_format.endswith("%"):
        trace["zmax"] = 1
    if len(x) <= 13:  # values written in the cells only while they fit; the hover always tells
        trace |= {"texttemplate": f"%{{z:{number_format}}}", "textfont": {"size": 11}}
    layout = _layout(height=max(220, 24 * len(y) + 90),
                     xaxis={"side": "top", "type": "category", "title": {"text": x_title}},
                     yaxis={"autorange": "reversed", "type": "category", "title": {"text": y_title},
                            "automargin": True})
    layout["margin"] = {"l": 10, "r": 10, "t": 60, "b": 10}
    return {"data": [trace], "layout": layout}


def effect_bars(x: list[str], effects: dict[str, list[float | None]], total: list[float | None],
                total_name: str, flagged: list[bool] | None = None) -> dict[str, Any]:
    """Stacked positive/negative bars (the parts of a change) with the change itself as a line.

    Periods in ``flagged`` get a large red marker on the line (a warning on that period).
    """
    colours = ["#2f6db5", "#e38b2c", "#6aa84f", "#9aa3ad"]
    traces: list[dict[str, Any]] = [
        {"type": "bar", "x": x, "y": values, "name": name, "marker": {"color": colour},
         "hovertemplate": "%{x}: %{y:,.0f}<extra>" + name + "</extra>"}
        for (name, values), colour in zip(effects.items(), colours, strict=False)
    ]
    marks = flagged or [False] * len(x)
    traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "y": total, "name": total_name,
                   "line": {"color": "#1d2733"},
                   "marker": {"size": [14 if f else 7 for f in marks],
                              "color": ["#b3261e" if f else "#1d2733" for f in marks]},
                   "hovertemplate": "%{x}: %{y:,.0f}<extra>" + total_name + "</extra>"})
    layout = _layout(height=360, barmode="relative", hovermode="x unified",
                     xaxis={"type": "category", "automargin": True},
                     yaxis={"gridcolor": GRID, "tickformat": "~s"}, legend=_legend())
    layout["margin"] = {"l": 55, "r": 10, "t": 30, "b": 10}
    return {"data": traces, "layout": layout}


def spend_against_baseline(x: list[str], spend: list[float], baseline: list[float | None], recent: list[bool],
                           names: dict[str, str]) -> dict[str, Any]:
    """A customer's spend per month as bars (the recent window in orange) and its own baseline as a
    dashed line.

    Parameters
    ----------
    x : list of str
        Month labels, oldest first.
    spend, baseline : list
        Spend and the baseline's expected spend per month (None where there is no baseline).
    recent : list of bool
        Months in the recent window the baseline is compared with.
    names : dict
        Translated legend names: ``spend``, ``recent`` and ``baseline``.
    """
    old = [None if r else s for s, r in zip(spend, recent, strict=True)]
    new = [s if r else None for s, r in zip(spend, recent, strict=True)]
    traces = [
        {"type": "bar", "x": x, "y": old, "name": names["spend"], "marker": {"color": "#2f6db5"},
         "hovertemplate": "%{x}: %{y:,.0f}<extra></extra>"},
        {"type": "bar", "x": x, "y": new, "name": names["recent"], "marker": {"color": "#e38b2c"},
         "hovertemplate": "%{x}: %{y:,.0f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": x, "y": baseline, "name": names["baseline"],
         "line": {"color": "#1d2733", "dash": "dash", "width": 2}, "connectgaps": False,
         "hovertemplate": "%{x}: %{y:,.0f}<extra>" + names["baseline"] + "</extra>"},
    ]
    layout = _layout(height=320, barmode="overlay", hovermode="x unified",
                     xaxis={"type": "category", "automargin": True},
                     yaxis={"gridcolor": GRID, "tickformat": "~s", "rangemode": "tozero"}, legend=_legend())
    layout["margin"] = {"l": 55, "r": 10, "t": 30, "b": 10}
    return {"data": traces, "layout": layout}


def return_curve(gaps: list[int], shares: list[float | None], limit: float, chosen: int | None,
                 judged: list[bool]) -> dict[str, Any]:
    """The return curve: share of customers once ``gap`` days inactive who bought again.

    Points not judged (too few customers followed through the window) are drawn open; a dashed
    line marks ``churn.return_share`` and a vertical one the threshold chosen.
    """
    symbols = ["circle" if j else "circle-open" for j in judged]
    traces = [{"type": "scatter", "mode": "lines+markers", "x": gaps, "y": shares,
               "line": {"color": COLOURS[0]}, "marker": {"symbol": symbols, "size": 7, "color": COLOURS[0]},
               "hovertemplate": "%{x} d: %{y:.1%}<extra></extra>"}]
    shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": limit, "y1": limit,
               "line": {"dash": "dash", "color": GRID}}]
    if chosen is not None:
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": chosen, "x1": chosen,
                       "line": {"dash": "dot", "color": COLOURS[1 % len(COLOURS)]}})
    layout = _layout(height=280, showlegend=False, yaxis={"tickformat": ".0%", "rangemode": "tozero", "gridcolor": GRID},
                     xaxis={"title": {"text": "days"}, "automargin": True}, shapes=shapes)
    layout["margin"] = {"l": 50, "r": 10, "t": 10, "b": 10}
    return {"data": traces, "layout": layout}


#: colours of churn reasons by whether the company controls them (what it can act on stands out)
CONTROL_COLOURS = {"controllable": "#2f6db5", "uncontrollable": "#9aa5b1", "unknown": "#d5dade"}


def reason_bars(labels: list[str], values: list[float], classes: list[str], names: dict[str, str], *,
                number_format: str = ",d") -> dict[str, Any]:
    """Horizontal bars per churn reason, largest at the top, coloured by controllability.

    ``classes[i]`` is ``controllable``, ``uncontrollable`` or ``unknown`` for ``labels[i]``;
    ``names`` says each class in the reader's language (the legend). One trace per class that
    occurs, so the legend tells the colours; the reasons keep their order.
    """
    order = labels[::-1]
    traces = []
    for cls, colour in CONTROL_COLOURS.items():
        xs = [v if c == cls else None for v, c in zip(values[::-1], classes[::-1], strict=True)]
        if all(x is None for x in xs):
            continue
        traces.append({"type": "bar", "orientation": "h", "x": xs, "y": order, "name": names.get(cls, cls),
                       "marker": {"color": colour}, "texttemplate": f"%{{x:{number_format}}}",
                       "textposition": "auto", "hovertemplate": f"%{{y}}: %{{x:{number_format}}}<extra></extra>"})
    layout = _layout(height=max(180, 30 * len(labels) + 70), barmode="overlay", showlegend=True,
                     xaxis={"visible": False}, legend=_legend(),
                     yaxis={"automargin": True, "type": "category", "categoryorder": "array", "categoryarray": order})
    layout["margin"] = {"l": 10, "r": 10, "t": 30, "b": 10}
    return {"data": traces, "layout": layout}


def stacked_bars(x: list[str], series: dict[str, list[float]], colours: list[str] | None = None) -> dict[str, Any]:
    """Counts per period stacked by series (the reasons by quarter), one colour per series."""
    colours = colours or COLOURS
    traces = [{"type": "bar", "x": x, "y": ys, "name": name, "marker": {"color": colours[i % len(colours)]},
               "hovertemplate": "%{x}: %{y:,d}<extra>" + name + "</extra>"} for i, (name, ys) in enumerate(series.items())]
    layout = _layout(height=320, barmode="stack", showlegend=True, legend=_legend(),
                     xaxis={"type": "category", "automargin": True}, yaxis={"gridcolor": GRID, "rangemode": "tozero"})
    layout["margin"] = {"l": 40, "r": 10, "t": 30, "b": 10}
    return {"data": traces, "layout": layout}
