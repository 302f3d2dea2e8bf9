"""Churn rate before vs after a date, with a 95% confidence interval and a p-value.

Two windows of equal length around ``at``: *before* ``[at - window, at - 1 day]`` and
*after* ``[at, at + window - 1 day]`` (cut at the as-of date; ``complete`` says so). In each,
the churn rate is ``customers lost during the window / customers active at its start``
(the churn-rate definition over one window). The difference ``after - before`` gets

- a 95% Wald confidence interval ``d ± 1.96 × sqrt(p1(1-p1)/n1 + p2(1-p2)/n2)``, and
- a two-sided p-value from the two-proportion z-test with pooled proportion
  ``p = (x1 + x2) / (n1 + n2)``, ``z = d / sqrt(p(1-p)(1/n1 + 1/n2))``.

The test treats the two windows' customers as independent samples; many customers are in
both, which makes the test conservative for a difference in the same customers' behaviour.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import ibis
import pandas as pd
from scipy.stats import norm

from churnguard.compute.measure.periods import Window, memtable
from churnguard.compute.measure.status import Thresholds, customer_spells
from churnguard.errors import InputError
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records

CONFIDENCE = 0.95


def two_proportion_test(x1: int, n1: int, x2: int, n2: int, confidence: float = CONFIDENCE) -> dict:
    """Difference ``x2/n2 - x1/n1`` with its Wald interval and the pooled z-test p-value.

    Examples
    --------
    >>> r = two_proportion_test(20, 400, 10, 400)
    >>> round(r["difference"], 3), round(r["p_value"], 3)
    (-0.025, 0.063)
    """
    if not n1 or not n2:
        return {"difference": None, "ci_low": None, "ci_high": None, "z": None, "p_value": None}
    p1, p2 = x1 / n1, x2 / n2
    d = p2 - p1
    zc = norm.ppf(0.5 + confidence / 2)
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = d / se0 if se0 else 0.0
    return {
        "difference": d,
        "ci_low": float(d - zc * se),
        "ci_high": float(d + zc * se),
        "z": z,
        "p_value": float(2 * norm.sf(abs(z))) if se0 else 1.0,
    }


def compare(src: Records, churn: ChurnSettings, *, at: date, window: Window, as_of: date,
            thresholds: Thresholds | None = None) -> tuple[pd.DataFrame, dict]:
    """Churn rate in the windows before and after ``at``, and the test of their difference.

    Returns
    -------
    (pandas.DataFrame, dict)
        Rows ``window`` (before/after), ``window_start, window_end, complete,
        customers_at_start, customers_lost, churn_rate``; and the
        :func:`two_proportion_test` result plus ``confidence`` and ``test``.

    Examples
    --------
    >>> rows, test = compare(src, settings.churn, at=date(2024, 7, 1),
    ...                      window=parse_window("2q"), as_of=date(2024, 12, 31))  # doctest: +SKIP
    """
    if at > as_of:
        raise InputError(f"--at {at} is after the as-of date {as_of}: there is no 'after' yet")
    full_end = window.after(at) - timedelta(days=1)
    frame = pd.DataFrame({
        "window": ["before", "after"],
        "window_start": [window.before(at), at],
        "window_end": [at - timedelta(days=1), min(full_end, as_of)],
        "complete": [True, full_end <= as_of],
    })
    w = memtable(frame, {"window": "string", "window_start": "date", "window_end": "date", "complete": "boolean"})
    s = customer_spells(src, churn, as_of, thresholds)
    base = s.join(w, [s.active_from < w.window_start, s.lost_at.isnull() | (s.lost_at >= w.window_start)])
    lost = base.lost_at.notnull() & (base.lost_at <= base.window_end)
    counts = base.group_by("window").aggregate(
        customers_at_start=base.count(),
        customers_lost=ibis.ifelse(lost, ibis.literal(1, "int64"), ibis.literal(0, "int64")).sum(),
    ).to_pandas()
    frame = frame.merge(counts, on="window", how="left")
    for c in ("customers_at_start", "customers_lost"):
        frame[c] = frame[c].fillna(0).astype("int64")
    frame["churn_rate"] = [
        (lost / n) if n else None for lost, n in zip(frame["customers_lost"], frame["customers_at_start"], strict=True)
    ]
    b, a = frame.iloc[0], frame.iloc[1]
    test = two_proportion_test(int(b.customers_lost), int(b.customers_at_start),
                               int(a.customers_lost), int(a.customers_at_start))
    test.update({
        "confidence": CONFIDENCE,
        "test": "two-proportion z-test (pooled), two-sided; Wald interval for the difference after - before",
    })
    return frame, test
