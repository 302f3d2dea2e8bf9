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
