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
    """Codes of the distinct rows of ``cols`` and the index of each distinct row's first row."""
    frame = pd.DataFrame({i: c for i, c in enumerate(cols)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)
    return codes, first


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
    ref_tx = np.where(ux > 0, ut, 0.0)  # any valid history with this (x, T): g does not depend on t_x
    ref_alive = model.p_alive(ux, ref_tx, ut)
    g = [np.zeros(ux.size)]
    for k in range(1, months + 1):
        g.append(model.expected_purchases(k * step, ux, ref_tx, ut) / ref_alive)
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
    pareto_nbd_sample : int
        Pareto/NBD (a finite-difference fit) is fitted on a seeded random sample of this many
        customers when there are more; every customer is still scored.
    seed : int
        Seed of that sample.

    Returns
    -------
    PurchaseScores
        ``frame`` with ``p_alive``, ``expected_purchases`` (BG/NBD), ``p_alive_pareto``,
        ``expected_purchases_pareto`` (Pareto/NBD), ``expected_spend`` (Gamma-Gamma) and
        ``clv`` (Gamma-Gamma with BG/NBD, or with Pareto/NBD when BG/NBD could not be
        fitted); ``reports`` keyed ``bgnbd``, ``pareto_nbd``, ``gamma_gamma``, ``clv``.
    """
    out = pd.DataFrame(
        index=summary.index,
        columns=[
            "p_alive",
            "expected_purchases",
            "p_alive_pareto",
            "expected_purchases_pareto",
            "expected_spend",
            "clv",
        ],
        dtype=float,
    )
    ok = summary["frequency"].notna().to_numpy()
    x = summary["frequency"].to_numpy(dtype=float)[ok]
    t_x = summary["recency"].to_numpy(dtype=float)[ok]
    big_t = summary["T"].to_numpy(dtype=float)[ok]
    m = summary["monetary_value"].to_numpy(dtype=float)[ok]
    n = int(x.size)
    horizon_units = horizon_months * DAYS_PER_MONTH / time_unit_days
    sums = dict(
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
        time_unit_days=time_unit_days,
    )
    reports: dict[str, ModelReport] = {}
    discounted: dict[str, np.ndarray] = {}

    bg, reports["bgnbd"] = _fit_robustly(
        lambda pen: BetaGeoModel(penalizer_coef=pen), lambda mdl: mdl.fit(x, t_x, big_t)
    )
    reports["bgnbd"].customers = n
    if bg is not None:
        alive, expected, discounted["bgnbd"] = horizon_sums(bg, x, t_x, big_t, **sums)
        out.loc[ok, "p_alive"] = alive
        out.loc[ok, "expected_purchases"] = expected

    fit_rows = np.arange(n)
    sample_note = None
    if n > pareto_nbd_sample:
        fit_rows = np.sort(np.random.default_rng(seed).choice(n, size=pareto_nbd_sample, replace=False))
        sample_note = (
            f"fitted on a random sample of {pareto_nbd_sample:,} of {n:,} customers (seed {seed}); "
            "all customers scored"
        )
    pn, reports["pareto_nbd"] = _fit_robustly(
        lambda pen: ParetoNBDModel(penalizer_coef=pen),
        lambda mdl: mdl.fit(x[fit_rows], t_x[fit_rows], big_t[fit_rows]),
    )
    reports["pareto_nbd"].customers = int(fit_rows.size)
    if sample_note:
        rep = reports["pareto_nbd"]
        rep.note = sample_note if rep.note is None else f"{sample_note}; {rep.note}"
    if pn is not None:
        alive, expected, discounted["pareto_nbd"] = horizon_sums(pn, x, t_x, big_t, **sums)
        out.loc[ok, "p_alive_pareto"] = alive
        out.loc[ok, "expected_purchases_pareto"] = expected

    repeat = (x > 0) & (m > 0)
    gg, reports["gamma_gamma"] = _fit_robustly(
        lambda pen: GammaGammaModel(penalizer_coef=pen),
        lambda mdl: mdl.fit(x[repeat], m[repeat]),
    )
    reports["gamma_gamma"].customers = int(repeat.sum())
    if gg is not None and gg.q_ <= 1.0:
        reports["gamma_gamma"] = ModelReport(
            False,
            params=dict(gg.params_),
            log_likelihood=gg.log_likelihood_,
            customers=int(repeat.sum()),
            error=f"Gamma-Gamma: q = {gg.q_:.4g} <= 1, so the expected spend per purchase is infinite; "
            "spend is too heavy-tailed for this model",
        )
        gg = None
    if gg is not None:
        dropped = int(np.count_nonzero((x > 0) & (m <= 0)))
        if dropped:
            reports[
                "gamma_gamma"
            ].note = f"{dropped:,} repeat buyer(s) with a net spend <= 0 (returns) left out of the fit"
        reports["gamma_gamma"].extra["spend_frequency_correlation"] = (
            float(np.corrcoef(x[repeat], m[repeat])[0, 1]) if repeat.sum() > 2 else None
        )
        out.loc[ok, "expected_spend"] = gg.conditional_expected_value(x, np.maximum(m, 0.0))

    transaction_model = next((k for k in ("bgnbd", "pareto_nbd") if k in discounted), None)
    clv_info: dict[str, Any] = {
        "horizon_months": int(horizon_months),
        "annual_discount_rate": float(annual_discount_rate),
        "horizon": float(horizon_units),
        "transaction_model": transaction_model,
        "spend_model": "gamma_gamma" if gg is not None else None,
    }
    if gg is not None and transaction_model is not None:
        out.loc[ok, "clv"] = out.loc[ok, "expected_spend"].to_numpy() * discounted[transaction_model]
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
    return PurchaseScores(out, reports)
