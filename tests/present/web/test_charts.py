"""The chart dictionaries are valid Plotly figures (plotly's own validators accept them)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from churnguard.present.web import charts


@pytest.mark.parametrize("figure", [
    charts.hbar(["a", "b"], [3, 1]),
    charts.hbar(["a"], [0.25], number_format=".1%"),
    charts.rate_lines(["Q1", "Q2", "Q3"], {"": [0.1, None, 0.2]}, [False, True, True]),
    charts.rate_lines(["Q1", "Q2"], {"GRR": [0.9, 0.95], "NRR": [1.1, 1.02]}),
    charts.heatmap(["+0", "+1"], ["2024-01 (3)", "2024-02 (5)"], [[1.0, 0.5], [1.0, None]], x_title="periods"),
    charts.heatmap([f"+{i}" for i in range(20)], ["c"], [[1.0] * 20]),
    charts.effect_bars(["Q1", "Q2"], {"Customers": [1.0, -2.0], "Price": [None, 3.0]}, [1.0, 1.0], "Change",
                       [False, True]),
    charts.spend_against_baseline(["Jan", "Feb", "Mar"], [10.0, 0.0, 5.0], [None, 8.0, 8.0], [False, False, True],
                                  {"spend": "spend", "recent": "recent", "baseline": "baseline"}),
])
def test_charts_are_valid_plotly_figures(figure: dict) -> None:
    fig = go.Figure(figure)  # raises on any unknown property or bad value
    assert len(fig.data) == len(figure["data"])
