"""How good a ranking of customers by churn risk is: the figures a backtest reports.

ROC AUC and PR AUC (average precision) come from scikit-learn; precision, recall and lift at
the top k% are computed here (the share of the riskiest customers a team can actually call);
the Brier score and a calibration table say whether a probability of 30% means 30%.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def top_k(y: np.ndarray, score: np.ndarray, share: float) -> dict[str, float]:
    """Precision, recall and lift among the ``share`` of rows with the highest score.

    Ties at the cut are broken by row order (stable), so exactly ``ceil(share * n)`` rows
    are flagged.
    """
    y = np.asarray(y, dtype="float64")
    n = len(y)
    k = max(1, int(np.ceil(share * n)))
    order = np.argsort(-np.asarray(score, dtype="float64"), kind="stable")[:k]
    hits = y[order].sum()
    base = y.mean() if n else np.nan
    precision = hits / k
    return {
        "precision": float(precision),
        "recall": float(hits / y.sum()) if y.sum() else float("nan"),
        "lift": float(precision / base) if base else float("nan"),
        "flagged": int(k),
    }


def calibration_table(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Predicted vs observed churn in ``bins`` groups of equal size, lowest risk first."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype="float64"), "p": np.asarray(prob, dtype="float64")})
    frame = frame.sort_values("p", kind="stable").reset_index(drop=True)
    frame["bin"] = np.minimum((np.arange(len(frame)) * bins) // max(len(frame), 1), bins - 1)
    g = frame.groupby("bin").agg(n=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"),
                                 p_min=("p", "min"), p_max=("p", "max"))
    return [
        {"bin": int(b) + 1, "n": int(r.n), "predicted": round(float(r.predicted), 4),
         "observed": round(float(r.observed), 4), "p_min": round(float(r.p_min), 4), "p_max": round(float(r.p_max), 4)}
        for b, r in g.iterrows()
    ]


def score_report(y: np.ndarray, prob: np.ndarray, rank: np.ndarray | None = None,
                 shares: tuple[float, ...] = (0.05, 0.10, 0.20)) -> dict[str, Any]:
    """ROC AUC, PR AUC, Brier, precision/recall/lift at the top shares and a calibration table.

    Parameters
    ----------
    y : array of 0/1
        What happened.
    prob : array
        Predicted probabilities (for Brier and calibration).
    rank : array, optional
        A ranking score when it differs from ``prob`` (e.g. raw recency, whose calibrated
        curve has ties); defaults to ``prob``.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y).astype("int64")
    prob = np.asarray(prob, dtype="float64")
    rank = prob if rank is None else np.asarray(rank, dtype="float64")
    two = len(np.unique(y)) == 2
    out: dict[str, Any] = {
        "roc_auc": round(float(roc_auc_score(y, rank)), 4) if two else None,
        "pr_auc": round(float(average_precision_score(y, rank)), 4) if two else None,
        "brier": round(float(brier_score_loss(y, prob)), 4) if len(y) else None,
    }
    for share in shares:
        t = top_k(y, rank, share)
        tag = f"{round(share * 100)}pct"
        out[f"precision_at_{tag}"] = round(t["precision"], 4)
        out[f"recall_at_{tag}"] = round(t["recall"], 4)
        out[f"lift_at_{tag}"] = round(t["lift"], 4)
    out["calibration"] = calibration_table(y, prob)
    return out
