"""BG/NBD against Fader, Hardie & Lee (2005) and the lifetimes package."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from churnguard.compute.value import BetaGeoModel
from churnguard.compute.value.models.bgnbd import _bgnbd_loglik_and_grad
from churnguard.compute.value.models.simulation import simulate_bgnbd_summary
from churnguard.errors import ChurnguardError, FitError, NotFittedError

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}

# (frequency, recency, T, t) cases scored by lifetimes 0.11.3 (BetaGeoFitter with params_ set
# to PUBLISHED; numpy 1.26.4, scipy 1.12.0), printed with repr() and copied here.
CASES = np.array(
    [
        (0, 0.0, 38.86, 39.0),
        (2, 30.43, 38.86, 39.0),
        (1, 1.71, 38.86, 39.0),
        (29, 38.0, 38.86, 39.0),
        (5, 10.0, 38.86, 78.0),
        (10, 20.0, 100.0, 52.0),
        (3, 5.0, 5.0, 10.0),
    ]
)
LIFETIMES_P_ALIVE = [
    1.0,
    0.726578570080673,
    0.2121009853773791,
    0.955221721241626,
    0.0248043661687785,
    4.9437766629847896e-06,
    0.8480551829852462,
]
LIFETIMES_EXPECTED = [
    0.19509805201125396,
    1.226028174767135,
    0.20318698707975183,
    19.452293843156642,
    0.1622828395917348,
    2.1821552634483206e-05,
    2.333752591936819,
]
LIFETIMES_NEW_CUSTOMER = {
    1.0: 0.05326789117165627,
    39.0: 1.1967231933207985,
    78.0: 1.8605190579427455,
    500.0: 4.887868155290883,
}


@pytest.fixture(scope="module")
def fitted(cdnow):
    s = cdnow.summary
    return BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])


def test_cdnow_parameters_match_the_paper(fitted):
    """Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", section 4:
    r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 and LL = -9582.4 on the CDNOW sample with a
    39-week calibration period."""
    for name, value in PUBLISHED.items():
        assert fitted.params_[name] == pytest.approx(value, rel=0.01), name
        assert getattr(fitted, f"{name}_") == fitted.params_[name]
    assert fitted.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert fitted.converged_


def test_aggregate_holdout_tracking(cdnow, fitted):
    """Fader, Hardie & Lee (2005), Figure 3: summed E[X(t)] over customers tracks the weekly
    cumulative repeat transactions through the 39-week holdout, slightly under-forecasting it.
    Computed here: 4,161 expected vs 4,339 actual by week 78 (-4.1%), 2,494 vs 2,457 by week 39.
    """
    actual = cdnow.weekly_cumulative_repeats(78)
    ages = cdnow.ages_at_week_ends(78)
    expected = fitted.expected_purchases_new_customer(ages.ravel()).reshape(ages.shape).sum(axis=1)
    assert actual[38] == 2457  # the calibration repeat transactions of the paper's data set
    assert expected[38] == pytest.approx(actual[38], rel=0.03)
    assert expected[77] == pytest.approx(actual[77], rel=0.05)
    assert np.all(np.diff(expected) > 0)


def test_conditional_expectations_against_holdout(cdnow, fitted):
    """Fader, Hardie & Lee (2005), Figure 4: conditional expectations rise with calibration
    frequency like the holdout purchases do and fall a little short of them. Computed here:
    1,653 expected vs 1,882 actual holdout repeat transactions; by calibration frequency
    0..7 the means are 0.23/0.24, 0.52/0.70, 1.04/1.39, 1.52/1.56, 2.16/2.53, 2.65/2.95,
    3.50/3.86, 3.95/4.91 (expected/actual)."""
    s = cdnow.summary
    holdout = cdnow.holdout_repeats()
    expected = fitted.expected_purchases(39, s["frequency"], s["recency"], s["T"])
    assert holdout.sum() == 1882
    assert expected.sum() == pytest.approx(holdout.sum(), rel=0.15)
    means = []
    for x in range(0, 8):
        rows = s["frequency"].to_numpy() == x
        means.append(expected[rows].mean())
        assert means[-1] == pytest.approx(holdout[rows].mean(), rel=0.3), x
    assert np.all(np.diff(means) > 0)


def test_p_alive_and_expected_purchases_equal_lifetimes():
    """Same parameters, same formulas: lifetimes 0.11.3 BetaGeoFitter figures (see CASES).
    With the published parameters, x=2, t_x=30.43, T=38.86 expects 1.2260 purchases in the
    next 39 weeks with P(alive) = 0.7266."""
    model = BetaGeoModel.from_params(**PUBLISHED)
    x, t_x, big_t, t = CASES.T
    np.testing.assert_allclose(model.p_alive(x, t_x, big_t), LIFETIMES_P_ALIVE, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        model.expected_purchases(t, x, t_x, big_t), LIFETIMES_EXPECTED, rtol=1e-6, atol=1e-9
    )
    assert model.expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.2260, abs=1e-4)
    assert model.p_alive(2, 30.43, 38.86)[0] == pytest.approx(0.7266, abs=1e-4)
    ts = np.array(list(LIFETIMES_NEW_CUSTOMER))
    np.testing.assert_allclose(
        model.expected_purchases_new_customer(ts), list(LIFETIMES_NEW_CUSTOMER.values()), rtol=1e-6
    )


def test_extreme_histories_stay_finite():
    """500 purchases over an age of 5,000 would overflow (alpha+T)^(r+x) and 2F1 in the direct
    formulas; the log-space and Pfaff forms stay finite and in range."""
    model = BetaGeoModel.from_params(**PUBLISHED)
    x = np.array([500.0, 500.0, 0.0, 2000.0])
    t_x = np.array([4999.0, 2500.0, 0.0, 5000.0])
    big_t = np.array([5000.0, 5000.0, 5000.0, 5000.0])
    with np.errstate(all="raise"):
        p = model.p_alive(x, t_x, big_t)
        e = model.expected_purchases(52.0, x, t_x, big_t)
        ll = model.log_likelihood(x, t_x, big_t)
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    assert p[1] < 1e-100 and p[0] > 0.5
    assert np.all(np.isfinite(e)) and np.all(e >= 0)
    # an active heavy buyer (about 0.1 per week) expects about 5 in 52 weeks
    assert 3.0 < e[0] < 6.0
    assert np.all(np.isfinite(ll))


def test_fit_with_heavy_buyers_has_no_warnings(cdnow):
    """A fit whose data include very long and very active customers (filterwarnings=error
    turns any numpy RuntimeWarning into a failure)."""
    s = cdnow.summary
    x = np.r_[s["frequency"].to_numpy(), 500, 300]
    t_x = np.r_[s["recency"].to_numpy(), 4990.0, 1200.0]
    big_t = np.r_[s["T"].to_numpy(), 5000.0, 5000.0]
    model = BetaGeoModel().fit(x, t_x, big_t)
    assert np.isfinite(model.log_likelihood_)


def test_analytic_gradient_matches_finite_differences(cdnow):
    s = cdnow.summary
    x, t_x, big_t = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    for params in ([0.3, 5.0, 0.7, 2.2], [1.5, 0.8, 3.0, 0.6]):
        p = np.array(params)
        _, grad = _bgnbd_loglik_and_grad(p, x, t_x, big_t)
        numeric = approx_fprime(p, lambda q: _bgnbd_loglik_and_grad(q, x, t_x, big_t, False)[0].sum(), 1e-7)
        np.testing.assert_allclose(grad.sum(axis=1), numeric, rtol=1e-4)


def test_weights_equal_repeated_rows(cdnow):
    s = cdnow.summary.iloc[:800]
    x, t_x, big_t = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.arange(800) % 3 + 1
    weighted = BetaGeoModel().fit(x, t_x, big_t, weights=w)
    repeated = BetaGeoModel().fit(np.repeat(x, w), np.repeat(t_x, w), np.repeat(big_t, w))
    for name in PUBLISHED:
        assert weighted.params_[name] == pytest.approx(repeated.params_[name], rel=1e-5)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-9)


def test_recovers_simulated_parameters():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 3.0}
    data = simulate_bgnbd_summary(200_000, **truth, max_age_days=730, seed=7)
    model = BetaGeoModel().fit(data["frequency"], data["recency"], data["T"])
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.10), name


def test_penalizer_shrinks_parameters(cdnow):
    s = cdnow.summary
    plain = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    shrunk = BetaGeoModel(penalizer_coef=0.1).fit(s["frequency"], s["recency"], s["T"])
    assert sum(v**2 for v in shrunk.params_.values()) < sum(v**2 for v in plain.params_.values())
    assert shrunk.penalizer_coef == 0.1  # hyperparameters are stored unchanged


def test_predicting_before_fit_raises():
    with pytest.raises(NotFittedError, match="BetaGeoModel is not fitted yet; call fit"):
        BetaGeoModel().p_alive([1], [1.0], [2.0])
    with pytest.raises(NotFittedError):
        BetaGeoModel().expected_purchases_new_customer(10)


@pytest.mark.parametrize(
    ("x", "t_x", "big_t", "message"),
    [
        ([], [], [], "no customers"),
        ([0, 0, 0], [0, 0, 0], [10, 10, 10], "none of the 3 customers has a repeat purchase"),
        ([1, -2, -1], [1, 1, 1], [5, 5, 5], r"frequency is negative in 2 of 3 row"),
        ([1, 2, 1], [6, 7, 1], [5, 5, 5], r"recency > T in 2 of 3 row"),
        ([0, 2, 1], [3, 2, 1], [5, 5, 5], r"frequency is 0 but recency > 0 in 1 of 3 row"),
        ([1, np.nan, 1], [1, 1, 1], [5, 5, 5], r"frequency is missing or infinite in 1 of 3 row"),
        ([1, 2], [1, 1, 1], [5, 5, 5], "same length"),
    ],
)
def test_fit_rejects_bad_data_with_counts(x, t_x, big_t, message):
    with pytest.raises(FitError, match=message) as info:
        BetaGeoModel().fit(x, t_x, big_t)
    assert isinstance(info.value, ChurnguardError)
