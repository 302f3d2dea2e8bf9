"""Pareto (80/20) position of each customer: share and cumulative share of revenue or margin."""

from __future__ import annotations

import numpy as np
import pandas as pd


def pareto_position(values: pd.Series, share: float, tie_order: np.ndarray | None = None) -> pd.DataFrame:
    """Rank customers by ``values`` and mark those who together make the first ``share`` of it.

    Customers are ranked by value, largest first; equal values are ranked by ``tie_order``
    (default: their position, which is ``customer_id`` order in the value table), so the
    order is the same on every run. A customer is in the top when the cumulative share of the
    customers ranked *before* it is below ``share``: the top is the smallest set of the
    largest customers whose values add up to at least ``share`` of the total. Customers with
    a value of zero or less (or missing) are never in the top and their shares are 0.

    Parameters
    ----------
    values : Series
        Revenue (or margin) per customer.
    share : float
        The share that defines the top, e.g. 0.8.
    tie_order : array of int, optional
        Rank of each customer among equal values (smaller first).

    Returns
    -------
    DataFrame
        On the input's index: ``rank`` (1 = largest), ``share`` (of the positive total),
        ``cumulative_share`` (up to and including the customer) and ``top`` (bool).

    Examples
    --------
    >>> p = pareto_position(pd.Series([50.0, 30.0, 15.0, 5.0, 0.0]), 0.8)
    >>> p["top"].tolist(), p["cumulative_share"].round(2).tolist()
    ([True, True, False, False, False], [0.5, 0.8, 0.95, 1.0, 1.0])
    """
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    positive = np.where(v > 0, v, 0.0)
    ties = np.arange(v.size) if tie_order is None else np.asarray(tie_order)
    order = np.lexsort((ties, -positive))
    total = positive.sum()
    own = positive / total if total > 0 else np.zeros_like(positive)
    cumulative = np.empty_like(own)
    cumulative[order] = np.cumsum(own[order])
    rank = np.empty(v.size, dtype=np.int64)
    rank[order] = np.arange(1, v.size + 1)
    before = cumulative - own
    # a tiny tolerance: 0.5 + 0.3 must reach 0.8 despite binary rounding
    top = (positive > 0) & (before < share - 1e-12)
    return pd.DataFrame(
        {"rank": rank, "share": own, "cumulative_share": cumulative, "top": top},
        index=getattr(values, "index", None),
    )


def concentration(values: pd.Series, share: float) -> dict[str, float | int]:
    """How many customers make the first ``share`` of the positive total of ``values``.

    Returns ``{"share", "customers_with_value", "customers_making_share", "customer_share"}``
    where ``customer_share`` = customers making the share / customers with a positive value
    (0 when nobody has one).

    Examples
    --------
    >>> concentration(pd.Series([50.0, 30.0, 15.0, 5.0, 0.0]), 0.8)["customer_share"]
    0.5
    """
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    v = np.sort(v[v > 0])[::-1]
    n = int(v.size)
    if n == 0:
        return {"share": share, "customers_with_value": 0, "customers_making_share": 0, "customer_share": 0.0}
    before = np.cumsum(v) / v.sum() - v / v.sum()
    k = int(np.count_nonzero(before < share - 1e-12))
    return {"share": share, "customers_with_value": n, "customers_making_share": k, "customer_share": k / n}
