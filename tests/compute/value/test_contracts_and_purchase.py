"""Renewal chains and contract value; purchase-model scoring, CLV and robust fitting."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from churnguard.compute.value import BetaGeoModel, GammaGammaModel, ShiftedBetaGeometricModel
from churnguard.compute.value.contracts import contract_values, fit_retention, life_table, renewal_chains
from churnguard.compute.value.purchase import horizon_sums, score_purchases

AS_OF = date(2024, 6, 30)


def _contracts(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=[
            "contract_id",
            "customer_id",
            "start_at",
            "end_at",
            "recurring_value",
            "renewed_from",
            "cancelled_at",
        ],
    )
    for col in ("start_at", "end_at", "cancelled_at"):
        df[col] = pd.to_datetime(df[col])
    return df


def test_chains_follow_renewed_from_and_infer_blank_links():
    c = _contracts(
        [
            # P: three periods linked by renewed_from, active
            ("P1", "P", "2021-07-01", "2022-06-30", 100.0, None, None),
            ("P2", "P", "2022-07-01", "2023-06-30", 110.0, "P1", None),
            ("P3", "P", "2023-07-01", "2024-06-30", 120.0, "P2", None),
            # Q: no renewed_from, but each contract starts the day after the last ends: one chain,
            # its last contract ended 10 days before the as-of date -> pending (grace 30)
            ("Q1", "Q", "2022-06-21", "2023-06-20", 50.0, None, None),
            ("Q2", "Q", "2023-06-21", "2024-06-20", 50.0, None, None),
            # R: cancelled in its second period; then came back months later: a new chain, active
            ("R1", "R", "2022-01-01", "2022-12-31", 80.0, None, None),
            ("R2", "R", "2023-01-01", "2023-12-31", 80.0, "R1", "2023-05-01"),
            ("R3", "R", "2024-03-01", "2025-02-28", 90.0, None, None),
            # S: ended 2023 without renewal -> ended after 1 period
            ("S1", "S", "2022-05-01", "2023-04-30", 70.0, None, None),
        ]
    )
    ch = (
        renewal_chains(c, AS_OF, grace_days=30).sort_values(["customer_id", "periods"]).reset_index(drop=True)
    )
    got = list(ch[["customer_id", "periods", "status"]].itertuples(index=False, name=None))
    assert got == [
        ("P", 3, "active"),
        ("Q", 2, "pending"),
        ("R", 1, "active"),
        ("R", 2, "ended"),
        ("S", 1, "ended"),
    ]
    assert ch.loc[0, "recurring_value"] == 120.0 and ch.loc[0, "period_years"] == pytest.approx(365 / 365.25)
    lost, censored = life_table(ch)
    assert lost.tolist() == [1, 1, 0] and censored.tolist() == [1, 1, 1]
    # with no grace, Q's lapse is an ended chain, and its blank link still needs a 1-day gap
    ch0 = renewal_chains(c, AS_OF, grace_days=0)
    assert ch0.loc[ch0["customer_id"] == "Q", "status"].tolist() == ["ended"]


def test_contract_values_by_hand():
    model = ShiftedBetaGeometricModel.from_params(alpha=0.7, beta=1.2)
    chains = pd.DataFrame(
        {
            "customer_id": ["P", "R", "R"],
            "periods": [3, 1, 2],
            "status": ["active", "active", "ended"],
            "recurring_value": [120.0, 90.0, 80.0],
            "period_years": [1.0, 1.0, 1.0],
        }
    )
    v = contract_values(chains, model, annual_discount_rate=0.10)
    assert v.loc["P", "renewal_probability"] == pytest.approx(model.retention_rate(3)[0])
    assert v.loc["P", "contract_remaining_value"] == pytest.approx(120.0 * model.derl(2, 0.10)[0])
    assert v.loc["R", "contract_remaining_value"] == pytest.approx(90.0 * model.derl(0, 0.10)[0])
    assert (v.loc["R", "contracts"], v.loc["R", "contract_status"], v.loc["R", "contract_periods"]) == (
        2,
        "active",
        1,
    )
    assert v.loc["R", "recurring_value"] == 90.0  # only open chains carry recurring value
    undiscounted = contract_values(chains, ShiftedBetaGeometricModel.from_params(alpha=3.0, beta=5.0), 0.0)
    assert undiscounted.loc["P", "contract_remaining_value"] == pytest.approx(120.0 * (5 + 2) / 2.0)


def test_retention_fit_reports_its_curve_or_why_not():
    model, rep = fit_retention(pd.DataFrame({"customer_id": [], "periods": [], "status": []}))
    assert model is None and not rep.fitted and "no contracts" in rep.error
    chains = pd.DataFrame({"customer_id": list("abc"), "periods": [1, 1, 1], "status": ["active"] * 3})
    model, rep = fit_retention(chains)
    assert model is None and "no customer was lost" in rep.error
    d = rep.to_dict()
    assert d["fitted"] is False and d["life_table"] == [{"period": 1, "at_risk": 3, "cancelled": 0}]


def test_a_constant_cancellation_rate_is_reported_as_such():
    """Customers who all cancel with the same 10% chance each period: the sBG fit runs to the
    geometric limit (alpha, beta large) and the report says so."""
    n, periods = 20_000, 4
    rng = np.random.default_rng(5)
    lifetime = rng.geometric(0.10, n)
    seen = rng.integers(1, periods + 1, n)
    ended = lifetime <= seen
    chains = pd.DataFrame(
        {
            "customer_id": np.arange(n).astype(str),
            "periods": np.where(ended, lifetime, seen + 1),
            "status": np.where(ended, "ended", "active"),
        }
    )
    model, rep = fit_retention(chains)
    assert rep.fitted and "no sign that customers differ" in rep.note
    assert model.retention_rate(1)[0] == pytest.approx(0.90, abs=0.01)


def test_clv_equals_the_gamma_gamma_monthly_sum(cdnow):
    """Scoring on distinct rows with P(alive) x g(t | x, T) gives exactly ``GammaGammaModel.clv``
    (the monthly discounted sum, as lifetimes' ``customer_lifetime_value``) and BG/NBD's
    ``expected_purchases``, customer by customer."""
    s = cdnow.summary
    scores = score_purchases(
        s,
        horizon_months=12,
        annual_discount_rate=0.10,
        time_unit_days=7.0,
        fit_sample=100_000,
        pareto_nbd_sample=100_000,
        seed=0,
    )
    bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    rep = s[s["frequency"] > 0]
    gg = GammaGammaModel().fit(rep["frequency"], rep["monetary_value"])
    clv = gg.clv(bg, s["frequency"], s["recency"], s["T"], s["monetary_value"], 12, 0.10, 7.0)
    np.testing.assert_allclose(scores.frame["clv"], clv, rtol=1e-9)
    horizon = 12 * 365.25 / 12 / 7
    ep = bg.expected_purchases(horizon, s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(scores.frame["expected_purchases"], ep, rtol=1e-9)
    np.testing.assert_allclose(scores.frame["p_alive"], bg.p_alive(s["frequency"], s["recency"], s["T"]))
    assert scores.reports["clv"].extra["transaction_model"] == "bgnbd"


def test_pareto_nbd_scoring_identity(cdnow):
    """The same factorisation holds for Pareto/NBD."""
    from churnguard.compute.value import ParetoNBDModel

    s = cdnow.summary
    pn = ParetoNBDModel.from_params(r=0.553, alpha=10.58, s=0.606, beta=11.67)
    x, tx, t = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    _, expected, _ = horizon_sums(
        pn, x, tx, t, horizon_months=6, annual_discount_rate=0.1, time_unit_days=7.0
    )
    np.testing.assert_allclose(expected, pn.expected_purchases(6 * 365.25 / 12 / 7, x, tx, t), rtol=1e-9)


def test_models_that_cannot_be_fitted_are_reported_not_raised():
    one_timers = pd.DataFrame(
        {
            "frequency": [0.0] * 5 + [np.nan],
            "recency": [0.0] * 5 + [np.nan],
            "T": [3.0, 5.0, 8.0, 1.0, 0.0, np.nan],
            "monetary_value": [0.0] * 5 + [np.nan],
        }
    )
    scores = score_purchases(
        one_timers,
        horizon_months=12,
        annual_discount_rate=0.1,
        time_unit_days=7.0,
        fit_sample=100,
        pareto_nbd_sample=100,
        seed=0,
    )
    for name in ("bgnbd", "pareto_nbd", "gamma_gamma", "clv"):
        assert not scores.reports[name].fitted, name
    assert "none of the 5 customers has a repeat purchase" in scores.reports["bgnbd"].error
    assert "could not be fitted" in scores.reports["clv"].error
    assert scores.frame["clv"].isna().all()


def test_pareto_nbd_on_a_sample_says_so(cdnow):
    scores = score_purchases(
        cdnow.summary,
        horizon_months=12,
        annual_discount_rate=0.1,
        time_unit_days=7.0,
        fit_sample=2000,
        pareto_nbd_sample=1000,
        seed=3,
    )
    rep = scores.reports["pareto_nbd"]
    assert rep.fitted and rep.customers == 1000
    assert rep.note == "fitted on a random sample of 1,000 of 2,357 customers (seed 3); all scored"
    assert scores.frame["p_alive_pareto"].notna().all()  # every customer is scored
    scores = score_purchases(
        cdnow.summary,
        horizon_months=12,
        annual_discount_rate=0.1,
        time_unit_days=7.0,
        fit_sample=500,
        pareto_nbd_sample=5000,
        seed=3,
    )
    rep = scores.reports["gamma_gamma"]
    assert (
        rep.customers == 500
        and rep.note == "fitted on a random sample of 500 of 946 repeat buyers (seed 3); all scored"
    )
    assert scores.frame["expected_spend"].notna().all()
