"""Backtest figures on small cases worked out by hand."""

from __future__ import annotations

import numpy as np

from churnguard.compute.predict import calibration_table, score_report, top_k


def test_top_k_precision_recall_lift():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05])
    t = top_k(y, score, 0.3)
    # the top 3: two of the three churners; base rate 0.3
    assert t == {"precision": 2 / 3, "recall": 2 / 3, "lift": (2 / 3) / 0.3, "flagged": 3}


def test_perfect_ranking_and_calibration_table():
    y = np.array([0] * 80 + [1] * 20)
    p = np.r_[np.full(80, 0.1), np.full(20, 0.9)]
    r = score_report(y, p)
    assert r["roc_auc"] == 1.0 and r["pr_auc"] == 1.0
    assert r["precision_at_10pct"] == 1.0 and r["recall_at_10pct"] == 0.5 and r["lift_at_10pct"] == 5.0
    assert r["brier"] == round(0.01, 4)
    table = calibration_table(y, p, bins=5)
    assert [row["n"] for row in table] == [20] * 5
    assert table[-1]["observed"] == 1.0 and table[0]["observed"] == 0.0


def test_ranking_score_apart_from_probability():
    y = np.array([0, 1, 0, 1])
    r = score_report(y, np.array([0.5, 0.5, 0.5, 0.5]), rank=np.array([1, 4, 2, 3]))
    assert r["roc_auc"] == 1.0 and r["brier"] == 0.25
