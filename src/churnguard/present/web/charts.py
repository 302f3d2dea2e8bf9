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
