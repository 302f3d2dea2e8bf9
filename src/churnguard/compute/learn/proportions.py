"""Intervals for the listening figures: a proportion, a difference of proportions, a difference
of means, and the standardised difference that ranks attributes.

Written out here (a few lines each) rather than taken from statsmodels, which churnguard does
not otherwise need; each formula names its reference.
"""

from __future__ import annotations

import math

import numpy as np

#: the normal quantile of a two-sided 95% interval
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion ``k / n`` (Wilson 1927; Newcombe 1998, method 3).

    Unlike the normal approximation it stays inside [0, 1] and is sensible for 0 or n
    successes. ``(None, None)`` when ``n`` is 0.

    >>> [round(x, 4) for x in wilson(1, 10)]
    [0.0179, 0.4042]
    """
    if n <= 0:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The interval of ``k1/n1 - k2/n2`` from the two Wilson intervals (Newcombe 1998, "Interval
    estimation for the difference between independent proportions", method 10, the hybrid score):

        low  = d - sqrt((p1 - l1)² + (u2 - p2)²)
        high = d + sqrt((u1 - p1)² + (p2 - l2)²)

    ``(None, None)`` when either group is empty.

    >>> [round(x, 4) for x in newcombe(56, 70, 48, 80)]
    [0.0524, 0.3339]
    """
    if n1 <= 0 or n2 <= 0:
        return None, None
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def welch(a: np.ndarray, b: np.ndarray, z: float = Z95) -> tuple[float | None, float | None]:
    """The normal-approximation interval of ``mean(a) - mean(b)`` with unequal variances
    (Welch's standard error; the groups compared here have hundreds of customers, where the
    t and normal quantiles agree to the second digit). ``(None, None)`` when a group has fewer
    than two values."""
    if len(a) < 2 or len(b) < 2:
        return None, None
    d = float(np.mean(a) - np.mean(b))
    se = math.sqrt(float(np.var(a, ddof=1)) / len(a) + float(np.var(b, ddof=1)) / len(b))
    return d - z * se, d + z * se


def smd_proportion(p1: float, p2: float) -> float:
    """The standardised difference of two shares (Austin 2009, "Balance diagnostics for comparing
    the distribution of baseline covariates"): ``(p1 - p2) / sqrt((p1(1-p1) + p2(1-p2)) / 2)``; 0
    when both shares are 0 or 1."""
    var = (p1 * (1 - p1) + p2 * (1 - p2)) / 2
    return (p1 - p2) / math.sqrt(var) if var > 0 else 0.0


def smd_mean(a: np.ndarray, b: np.ndarray) -> float:
    """The standardised difference of two means (Austin 2009): ``(m1 - m2) / sqrt((s1² + s2²) / 2)``;
    0 when both groups are constant or a group is empty."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    v1 = float(np.var(a, ddof=1)) if len(a) > 1 else 0.0
    v2 = float(np.var(b, ddof=1)) if len(b) > 1 else 0.0
    var = (v1 + v2) / 2
    return float(np.mean(a) - np.mean(b)) / math.sqrt(var) if var > 0 else 0.0
