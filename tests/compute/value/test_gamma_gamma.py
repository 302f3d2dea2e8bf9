"""Gamma-Gamma spend model against Fader, Hardie & Lee (2005) "RFM and CLV" and lifetimes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from churnguard.compute.value import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from churnguard.compute.value.models.gamma_gamma import _gg_loglik_and_grad
from churnguard.errors import FitError, InputError, NotFittedError


@pytest.fixture(scope="module")
def repeat_buyers(cdnow):
    s = cdnow.summary
    return s[s["frequency"] > 0]


def test_cdnow_spend_parameters(repeat_buyers):
    """Fader, Hardie & Lee (2005) "RFM and CLV" / Fader & Hardie (2013) Gamma-Gamma note on the
    CDNOW sample's 946 repeat buyers: p = 6.25, q = 3.74, v = 15.44; the lifetimes docs give
    p = 6.2488, q = 3.7443, v = 15.4472 on its cdnow summary with monetary value."""
    assert len(repeat_buyers) == 946
    gg = GammaGammaModel().fit(repeat_buyers["frequency"], repeat_buyers["monetary_value"])
    assert gg.params_["p"] == pytest.approx(6.2488, rel=0.01)
    assert gg.params_["q"] == pytest.approx(3.7443, rel=0.01)
    assert gg.params_["v"] == pytest.approx(15.4472, rel=0.01)
    assert gg.population_mean_value() == pytest.approx(gg.p_ * gg.v_ / (gg.q_ - 1))


def test_conditional_expected_value_equals_lifetimes():
    """lifetimes 0.11.3 GammaGammaFitter(params p=6.25, q=3.74, v=15.44)
    .conditional_expected_average_profit([1, 2, 10], [10, 22.35, 100]), printed with repr()."""
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    np.testing.assert_allclose(
        gg.conditional_expected_value([1, 2, 10], [10.0, 22.35, 100.0]),
        [17.686318131256954, 24.663713910761157, 97.27927651747395],
        rtol=1e-9,
    )
    # no repeat purchase: the population mean, whatever monetary_value says
    assert gg.conditional_expected_value([0], [np.nan])[0] == pytest.approx(6.25 * 15.44 / 2.74)


def test_analytic_gradient(repeat_buyers):
    x = repeat_buyers["frequency"].to_numpy(float)
    m = repeat_buyers["monetary_value"].to_numpy(float)
    p = np.array([3.0, 2.0, 20.0])
    _, grad = _gg_loglik_and_grad(p, x, m)
    numeric = approx_fprime(p, lambda q: _gg_loglik_and_grad(q, x, m, False)[0].sum(), 1e-7)
    np.testing.assert_allclose(grad.sum(axis=1), numeric, rtol=1e-4)


def test_clv_is_the_discounted_monthly_sum(cdnow, repeat_buyers):
    """CLV = sum over months k of E[M] (E[Y(k D)] - E[Y((k-1) D)]) / (1+d)^k, D = one month in
    weeks, d the monthly equivalent of the yearly rate (the discrete scheme of lifetimes'
    customer_lifetime_value); recomputed here by hand for three CDNOW customers."""
    s = cdnow.summary
    bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    gg = GammaGammaModel().fit(repeat_buyers["frequency"], repeat_buyers["monetary_value"])
    rows = s.iloc[:3]
    args = (rows["frequency"], rows["recency"], rows["T"], rows["monetary_value"])
    clv = gg.clv(bg, *args, horizon_months=12, annual_discount_rate=0.10, time_unit_days=7)
    value = gg.conditional_expected_value(rows["frequency"], rows["monetary_value"])
    month = 365.25 / 12 / 7
    d = 1.1 ** (1 / 12) - 1
    by_hand = sum(
        value
        * (bg.expected_purchases(k * month, *args[:3]) - bg.expected_purchases((k - 1) * month, *args[:3]))
        / (1 + d) ** k
        for k in range(1, 13)
    )
    np.testing.assert_allclose(clv, by_hand, rtol=1e-12)
    undiscounted = gg.clv(bg, *args, horizon_months=12, annual_discount_rate=0.0)
    np.testing.assert_allclose(undiscounted, value * bg.expected_purchases(12 * month, *args[:3]), rtol=1e-10)
    assert np.all(clv < undiscounted) and np.all(clv > 0)
    pnbd = ParetoNBDModel().fit(s["frequency"], s["recency"], s["T"])
    assert np.all(gg.clv(pnbd, *args) > 0)


def test_errors():
    with pytest.raises(NotFittedError, match="GammaGammaModel is not fitted yet"):
        GammaGammaModel().conditional_expected_value([1], [10.0])
    with pytest.raises(FitError, match=r"frequency <= 0 in 2 of 3 row.*repeat buyers only"):
        GammaGammaModel().fit([0, 1, 0], [0.0, 10.0, 0.0])
    with pytest.raises(FitError, match=r"monetary_value <= 0 in 1 of 2 row"):
        GammaGammaModel().fit([1, 2], [-3.0, 10.0])
    with pytest.raises(FitError, match="no customers"):
        GammaGammaModel().fit([], [])
    gg = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    with pytest.raises(InputError, match="horizon_months"):
        gg.clv(
            BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
            [1],
            [1.0],
            [2.0],
            [10.0],
            horizon_months=0,
        )
