"""Fit the purchase and spend models on the per-customer summary and score every customer.

BG/NBD and Pareto/NBD give P(alive) and expected purchases over the CLV horizon; Gamma-Gamma
gives each customer's expected spend per purchase; CLV is expected spend times discounted
expected purchases. A model the data cannot support is reported (with the reason) instead of
raised, so that the rest of the value table (RFM, Pareto, payments) is still produced.

Scoring a million customers is made cheap by one identity of both models: the expected
purchases of a customer with history ``(x, t_x, T)`` factor as

.. math::

    E[Y(t)\\mid x, t_x, T] = P(\\text{alive}\\mid x, t_x, T)\\; g(t \\mid x, T),

where :math:`g` is the expectation given that the customer is alive at ``T``, which depends on
``x`` and ``T`` only (the posterior of the purchase rate given survival; Fader, Hardie & Lee
2005, eq. 10; Schmittlein et al. 1987, eq. 22). So P(alive) is computed once per distinct
``(x, t_x, T)`` row (about 300k for 1M customers) and the horizon sums, with their
hypergeometric functions, once per distinct ``(x, T)`` pair (about 16k).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.value.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from churnguard.compute.value.models.gamma_gamma import DAYS_PER_MONTH
from churnguard.errors import ChurnguardError

#: Penalty tried when an unpenalised fit runs a parameter to 0 or infinity.
FALLBACK_PENALIZER = 0.001


@dataclass
class ModelReport:
    """How one model fared: its parameters, or why it could not be fitted."""

    fitted: bool
    params: dict[str, float] = field(default_factory=dict)
    log_likelihood: float | None = None
    customers: int = 0
    note: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"fitted", <params>, "log_likelihood", "customers", "note", "error", …}``."""
        return {
            "fitted": self.fitted,
            **self.params,
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "note": self.note,
            "error": self.error,
            **self.extra,
        }


def _groups(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of ``cols`` and the index of each distinct row's first row.

    Hash-based (``pandas.factorize`` per column, then on the combined key), numbered in order
    of first appearance, so the first rows are found in one pass without sorting.
    """
    key: np.ndarray | None = None
    for col in cols:
        codes, uniques = pd.factorize(col)
        codes = codes.astype(np.int64)
        key = codes if key is None else pd.factorize(key * len(uniques) + codes)[0].astype(np.int64)
    assert key is not None
    if key.size == 0:
        return key, key
    previous_max = np.maximum.accumulate(key)
    first = np.flatnonzero(np.r_[True, key[1:] > previous_max[:-1]])
    return key, first


def _fit_robustly(make: Callable[[float], Any], fit: Callable[[Any], Any]) -> tuple[Any, ModelReport]:
    """Fit ``make(penalizer)``; on a degenerate optimum retry once with a small penalty."""
    note = None
    try:
        model = fit(make(0.0))
    except ChurnguardError as exc:
        if "ran to 0 or infinity" not in str(exc):
            return None, ModelReport(False, error=str(exc))
        try:
            model = fit(make(FALLBACK_PENALIZER))
        except ChurnguardError as exc2:
            return None, ModelReport(False, error=str(exc2))
        note = f"fitted with penalizer_coef={FALLBACK_PENALIZER} because without it {exc}"
    if not model.converged_:
        note = ((note + "; ") if note else "") + "the optimiser stopped before full convergence"
    return model, ModelReport(
        True, params=dict(model.params_), log_likelihood=model.log_likelihood_, note=note
    )


@dataclass
class PurchaseScores:
    """Per-customer scores (aligned with the input rows) and one report per model."""

    frame: pd.DataFrame
    reports: dict[str, ModelReport]


def horizon_sums(
    model,
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
    *,
    horizon_months: int,
    annual_discount_rate: float,
    time_unit_days: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(alive), expected purchases over the horizon and discounted expected purchases.

    The discounted sum is that of :meth:`GammaGammaModel.clv` (monthly steps of
    ``365.25 / 12`` days, the monthly rate equivalent to ``annual_discount_rate``, purchases
    of a month discounted to its end), so ``expected_spend * discounted`` is the CLV.
    """
    step = DAYS_PER_MONTH / float(time_unit_days)
    months = int(horizon_months)
    monthly = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    codes, first = _groups(x, t_x, big_t)
    p_alive = model.p_alive(x[first], t_x[first], big_t[first])[codes]
    pair_codes, pair_first = _groups(x, big_t)
    ux, ut = x[pair_first], big_t[pair_first]
    g = [np.zeros(ux.size)] + [
        model.expected_purchases_if_alive(k * step, ux, ut) for k in range(1, months + 1)
    ]
    discounted = np.zeros(ux.size)
    for k in range(1, months + 1):
        discounted += (g[k] - g[k - 1]) / (1.0 + monthly) ** k
    return p_alive, p_alive * g[months][pair_codes], p_alive * discounted[pair_codes]


def score_purchases(
    summary: pd.DataFrame,
    *,
    horizon_months: int,
    annual_discount_rate: float,
    time_unit_days: float,
    fit_sample: int,
    pareto_nbd_sample: int,
    seed: int,
) -> PurchaseScores:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma on ``summary`` and score every row.

    Parameters
    ----------
    summary : DataFrame
        ``frequency``, ``recency``, ``T``, ``monetary_value`` (BTYD conventions); rows with a
        missing ``frequency`` (customers who never bought) are left unscored.
    horizon_months, annual_discount_rate : int, float
        The CLV horizon and yearly discount rate (workspace settings).
    time_unit_days : float
        Days per unit of ``recency`` and ``T``.
    fit_sample : int
        Gamma-Gamma has one row per repeat buyer (spends do not repeat, so rows cannot be
        aggregated); above this many it is fitted on a seeded random sample, and says so.
    pareto_nbd_sample : int
        The same for Pareto/NBD, whose fit is the costly one: no analytic gradient, and
        hypergeometric terms that cost up to 10 µs each when drop-out is nearly homogeneous
        (s and beta large; 1.5 ms per customer per fit on simulated B2B data).
        BG/NBD is always fitted on all customers: with identical rows aggregated, a million
        take about a second. Every customer is scored by every fitted model.
    seed : int
        Seed of those samples.

    Returns
    -------
    PurchaseScores
        ``frame`` with ``p_alive``, ``expected_purchases`` (BG/NBD), ``p_alive_pareto``,
        ``expected_purchases_pareto`` (Pareto/NBD), ``expected_spend`` (Gamma-Gamma) and
        ``clv`` (Gamma-Gamma with BG/NBD, or with Pareto/NBD when BG/NBD could not be
        fitted); ``reports`` keyed ``bgnbd``, ``pareto_nbd``, ``gamma_gamma``, ``clv``.
    """
    ok = summary["frequency"].notna().to_numpy()
    x = summary["frequency"].to_numpy(dtype=float)[ok]
    t_x = summary["recency"].to_numpy(dtype=float)[ok]
    big_t = summary["T"].to_numpy(dtype=float)[ok]
    m = summary["monetary_value"].to_numpy(dtype=float)[ok]
    n = int(x.size)
    columns = [
        "p_alive",
        "expected_purchases",
        "p_alive_pareto",
        "expected_purchases_pareto",
        "expected_spend",
        "clv",
    ]
    scored = {c: np.full(n, np.nan) for c in columns}
    sums = dict(
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
        time_unit_days=time_unit_days,
    )
    reports: dict[str, ModelReport] = {}
    discounted: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(seed)

    bg, reports["bgnbd"] = _fit_robustly(
        lambda pen: BetaGeoModel(penalizer_coef=pen), lambda mdl: mdl.fit(x, t_x, big_t)
    )
    reports["bgnbd"].customers = n
    if bg is not None:
        scored["p_alive"], scored["expected_purchases"], discounted["bgnbd"] = horizon_sums(
            bg, x, t_x, big_t, **sums
        )

    rows, sample_note = _sample(np.arange(n), pareto_nbd_sample, rng, "customers", seed)
    pn, reports["pareto_nbd"] = _fit_robustly(
        lambda pen: ParetoNBDModel(penalizer_coef=pen), lambda mdl: mdl.fit(x[rows], t_x[rows], big_t[rows])
    )
    reports["pareto_nbd"].customers = int(rows.size)
    _add_note(reports["pareto_nbd"], sample_note)
    if pn is not None:
        scored["p_alive_pareto"], scored["expected_purchases_pareto"], discounted["pareto_nbd"] = (
            horizon_sums(pn, x, t_x, big_t, **sums)
        )

    rows, sample_note = _sample(np.flatnonzero((x > 0) & (m > 0)), fit_sample, rng, "repeat buyers", seed)
    gg, reports["gamma_gamma"] = _fit_robustly(
        lambda pen: GammaGammaModel(penalizer_coef=pen), lambda mdl: mdl.fit(x[rows], m[rows])
    )
    reports["gamma_gamma"].customers = int(rows.size)
    if gg is not None and gg.q_ <= 1.0:
        reports["gamma_gamma"] = ModelReport(
            False,
            params=dict(gg.params_),
            log_likelihood=gg.log_likelihood_,
            customers=int(rows.size),
            error=f"Gamma-Gamma: q = {gg.q_:.4g} <= 1, so the expected spend per purchase is infinite; "
            "spend is too heavy-tailed for this model",
        )
        gg = None
    if gg is not None:
        _add_note(reports["gamma_gamma"], sample_note)
        dropped = int(np.count_nonzero((x > 0) & (m <= 0)))
        if dropped:
            _add_note(
                reports["gamma_gamma"],
                f"{dropped:,} repeat buyer(s) with a net spend <= 0 (returns) left out",
            )
        # the model assumes spend independent of frequency: show how far that holds
        reports["gamma_gamma"].extra["spend_frequency_correlation"] = (
            float(np.corrcoef(x[rows], m[rows])[0, 1]) if rows.size > 2 else None
        )
        scored["expected_spend"] = gg.conditional_expected_value(x, np.maximum(m, 0.0))

    transaction_model = next((k for k in ("bgnbd", "pareto_nbd") if k in discounted), None)
    clv_info: dict[str, Any] = {
        "horizon_months": int(horizon_months),
        "annual_discount_rate": float(annual_discount_rate),
        "horizon": float(horizon_months * DAYS_PER_MONTH / time_unit_days),
        "transaction_model": transaction_model,
        "spend_model": "gamma_gamma" if gg is not None else None,
    }
    if gg is not None and transaction_model is not None:
        scored["clv"] = scored["expected_spend"] * discounted[transaction_model]
        reports["clv"] = ModelReport(True, customers=n, extra=clv_info)
    else:
        missing = [
            k for k, rep in (("purchase model", transaction_model), ("gamma_gamma", gg)) if rep is None
        ]
        reports["clv"] = ModelReport(
            False,
            customers=n,
            error="no CLV: " + " and ".join(missing) + " could not be fitted",
            extra=clv_info,
        )
    if not ok.all():  # customers who never bought stay unscored
        for c in columns:
            full = np.full(len(summary), np.nan)
            full[ok] = scored[c]
            scored[c] = full
    out = pd.DataFrame(scored, index=summary.index)
    return PurchaseScores(out, reports)


def _add_note(report: ModelReport, note: str | None) -> None:
    if note:
        report.note = note if report.note is None else f"{note}; {report.note}"


def _sample(
    rows: np.ndarray, size: int, rng: np.random.Generator, what: str, seed: int
) -> tuple[np.ndarray, str | None]:
    """``rows``, or a sorted random sample of ``size`` of them with a note saying so."""
    if rows.size <= size:
        return rows, None
    picked = np.sort(rng.choice(rows, size=size, replace=False))
    return picked, f"fitted on a random sample of {size:,} of {rows.size:,} {what} (seed {seed}); all scored"
