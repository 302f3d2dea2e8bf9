"""Seeded BG/NBD summary data with known parameters, for parameter-recovery tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard.errors import InputError


def simulate_bgnbd_summary(
    n_customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    *,
    max_age_days: int = 365,
    time_unit_days: float = 7.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a BTYD summary ``(frequency, recency, T)`` from the BG/NBD generative process.

    Each customer's first purchase falls on a whole day, so that ``T`` is a whole number of
    days in ``[1, max_age_days]``; the purchase rate ``lambda ~ Gamma(r, alpha)`` and drop-out
    probability ``p ~ Beta(a, b)`` are per ``time_unit_days``. The customer would make
    ``N ~ Poisson(lambda T)`` repeat purchases in ``(0, T]`` but drops out right after the
    ``K``-th, ``K ~ Geometric(p)``; so ``x = min(K, N)`` and, the ``N`` arrival times being
    uniform order statistics, the last observed one is ``T * Beta(x, N - x + 1)``. Recency is
    rounded down to whole days, as a summary of daily transaction data would be.

    Parameters
    ----------
    n_customers : int
    r, alpha, a, b : float
        BG/NBD parameters (``alpha`` in ``time_unit_days`` units).
    max_age_days : int, default 365
        Longest customer age at the end of the calibration period.
    time_unit_days : float, default 7.0
        Days per time unit of the returned ``recency`` and ``T``.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency`` (int), ``recency`` and ``T`` (float, in time units), one row
        per customer.

    Examples
    --------
    >>> from churnguard.compute.value.models.simulation import simulate_bgnbd_summary
    >>> simulate_bgnbd_summary(3, 0.25, 4.4, 0.8, 2.4, seed=1).columns.tolist()
    ['frequency', 'recency', 'T']
    """
    if n_customers < 0 or int(n_customers) != n_customers:
        raise InputError(f"n_customers must be a whole number >= 0, got {n_customers!r}")
    if min(r, alpha, a, b) <= 0:
        raise InputError(f"r, alpha, a, b must be > 0, got {(r, alpha, a, b)!r}")
    if max_age_days < 1:
        raise InputError(f"max_age_days must be >= 1, got {max_age_days!r}")
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    t_days = rng.integers(1, max_age_days + 1, size=n)
    big_t = t_days / time_unit_days
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    potential = rng.poisson(lam * big_t)
    dropout_after = rng.geometric(p)
    x = np.minimum(dropout_after, potential)
    has = x > 0
    share = np.zeros(n)
    share[has] = rng.beta(x[has], potential[has] - x[has] + 1)
    recency_days = np.floor(share * t_days)
    return pd.DataFrame({"frequency": x, "recency": recency_days / time_unit_days, "T": big_t})
