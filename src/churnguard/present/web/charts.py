"""Plotly figures for the pages, as plain JSON (drawn in the browser by the served plotly.min.js)."""

from __future__ import annotations

import json
from typing import Any


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "font": {"family": 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
                 "size": 13},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def hbar(labels: list[str], values: list[float], *, number_format: str = ",d") -> dict[str, Any]:
    """A horizontal bar chart, largest at the top: ``{"data": …, "layout": …}``."""
    import plotly.graph_objects as go  # imported on first chart, not when the app starts

    fig = go.Figure(go.Bar(x=values[::-1], y=labels[::-1], orientation="h", marker_color="#2f6db5",
                           texttemplate=f"%{{x:{number_format}}}", textposition="auto", hoverinfo="skip"))
    fig.update_layout(_layout(height=max(160, 34 * len(labels) + 40),
                              xaxis={"visible": False}, yaxis={"automargin": True}))
    return json.loads(fig.to_json())


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
    import plotly.graph_objects as go

    fig = go.Figure()
    symbols = ["circle" if s else "circle-open" for s in (solid or [True] * len(x))]
    for name, values in series.items():
        fig.add_trace(go.Scatter(x=x, y=values, name=name or None, mode="lines+markers",
                                 marker={"symbol": symbols, "size": 9}, connectgaps=False,
                                 hovertemplate="%{x}: %{y:.1%}<extra>" + (name or "") + "</extra>"))
    fig.update_layout(_layout(height=320, showlegend=len(series) > 1, hovermode="x unified",
                              yaxis={"tickformat": ".0%", "rangemode": "tozero", "gridcolor": "#e3e7eb"},
                              xaxis={"type": "category"}, legend={"orientation": "h", "y": -0.2}))
    fig.update_layout(margin={"l": 50, "r": 10, "t": 10, "b": 40})
    return json.loads(fig.to_json())


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
    import plotly.graph_objects as go

    fig = go.Figure(go.Heatmap(
        x=x, y=y, z=z, zmin=0, zmax=1 if number_format.endswith("%") else None, colorscale="Blues",
        texttemplate=f"%{{z:{number_format}}}", hovertemplate=f"%{{y}} · %{{x}}: %{{z:{number_format}}}<extra></extra>",
        xgap=1, ygap=1, colorbar={"tickformat": number_format, "thickness": 12},
    ))
    fig.update_layout(_layout(height=max(220, 26 * len(y) + 90),
                              xaxis={"side": "top", "type": "category", "title": {"text": x_title}},
                              yaxis={"autorange": "reversed", "type": "category", "title": {"text": y_title}}))
    fig.update_layout(margin={"l": 90, "r": 10, "t": 60, "b": 10})
    return json.loads(fig.to_json())


def effect_bars(x: list[str], effects: dict[str, list[float | None]], total: list[float | None],
                total_name: str, flagged: list[bool] | None = None) -> dict[str, Any]:
    """Stacked positive/negative bars (the parts of a change) with the change itself as a line.

    Periods in ``flagged`` get a red ring on the line (a warning on that period).
    """
    import plotly.graph_objects as go

    colours = ["#2f6db5", "#e38b2c", "#6aa84f", "#9aa3ad"]
    fig = go.Figure()
    for (name, values), colour in zip(effects.items(), colours, strict=False):
        fig.add_trace(go.Bar(x=x, y=values, name=name, marker_color=colour,
                             hovertemplate="%{x}: %{y:,.0f}<extra>" + name + "</extra>"))
    marks = flagged or [False] * len(x)
    fig.add_trace(go.Scatter(x=x, y=total, name=total_name, mode="lines+markers",
                             line={"color": "#1d2733"},
                             marker={"size": [14 if f else 7 for f in marks],
                                     "color": ["#b3261e" if f else "#1d2733" for f in marks]},
                             hovertemplate="%{x}: %{y:,.0f}<extra>" + total_name + "</extra>"))
    fig.update_layout(_layout(height=340, barmode="relative", hovermode="x unified",
                              xaxis={"type": "category"}, yaxis={"gridcolor": "#e3e7eb", "tickformat": "~s"},
                              legend={"orientation": "h", "y": -0.2}))
    fig.update_layout(margin={"l": 55, "r": 10, "t": 10, "b": 40})
    return json.loads(fig.to_json())
