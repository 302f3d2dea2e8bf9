"""Shifted-beta-geometric model against Fader & Hardie (2007, 2010)."""

from __future__ import annotations

import numpy as np
import pytest

from churnguard.compute.value import ShiftedBetaGeometricModel
from churnguard.errors import FitError, InputError, NotFittedError

# Fader & Hardie (2007), "How to Project Customer Retention", Table 1: customers still active
# at the start and after each of 12 years, per 1,000 acquired.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(
    ("counts", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
    ids=["regular", "high-end"],
)
def test_fader_hardie_2007_parameters(counts, alpha, beta):
    """Fader & Hardie (2007), section 3: fitted on years 1-7, alpha = 0.704, beta = 1.182
    ("regular") and alpha = 0.668, beta = 3.806 ("high end"); the projection through year 12
    stays close to the actual counts (paper, Figure 4; computed here: 170 vs 173 and 378 vs 394)."""
    model = ShiftedBetaGeometricModel().fit(counts[:8])
    assert model.alpha_ == pytest.approx(alpha, rel=0.01)
    assert model.beta_ == pytest.approx(beta, rel=0.01)
    projected = 1000 * model.survival(np.arange(13))
    assert projected[0] == pytest.approx(1000)
    np.testing.assert_allclose(projected[8:], counts[8:], rtol=0.05)


def test_survival_retention_and_churn_are_consistent():
    model = ShiftedBetaGeometricModel.from_params(alpha=0.704, beta=1.182)
    t = np.arange(1, 30)
    s = model.survival(np.arange(30))
    np.testing.assert_allclose(model.retention_rate(t), s[1:] / s[:-1], rtol=1e-12)
    np.testing.assert_allclose(model.churn_probability(t), s[:-1] - s[1:], rtol=1e-10)
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # retention rises as the weak leave


def test_derl_equals_the_direct_sum():
    """Fader & Hardie (2010), eq. 6: DERL(d | alpha, beta, n renewals) as 2F1 equals the
    discounted sum of S(n + 1 + k) / S(n) / (1 + d)^k, k >= 0; undiscounted it is
    (beta + n) / (alpha - 1) when alpha > 1."""
    model = ShiftedBetaGeometricModel.from_params(alpha=0.704, beta=1.182)
    k = np.arange(0, 4000)
    for n in (0, 1, 4, 10):
        for d in (0.05, 0.10, 0.25):
            s = model.survival(n + 1 + k) / model.survival(n)
            assert model.derl(n, d)[0] == pytest.approx(np.sum(s * np.exp(-k * np.log1p(d))), rel=1e-9)
    assert model.expected_remaining_lifetime(3)[0] == np.inf  # alpha <= 1: mean lifetime diverges
    light = ShiftedBetaGeometricModel.from_params(alpha=3.0, beta=5.0)
    s = light.survival(2 + 1 + np.arange(0, 200000)) / light.survival(2)
    assert light.expected_remaining_lifetime(2)[0] == pytest.approx((5 + 2) / 2.0)
    assert light.expected_remaining_lifetime(2)[0] == pytest.approx(s.sum(), rel=1e-4)
    assert model.derl(5, 0.1)[0] > model.derl(0, 0.1)[0]  # survivors are the loyal ones


def test_errors():
    with pytest.raises(NotFittedError, match="ShiftedBetaGeometricModel is not fitted yet"):
        ShiftedBetaGeometricModel().survival(3)
    with pytest.raises(FitError, match="must not increase.*1 period"):
        ShiftedBetaGeometricModel().fit([100, 80, 90])
    with pytest.raises(FitError, match="at least one later count"):
        ShiftedBetaGeometricModel().fit([100])
    with pytest.raises(FitError, match="no customer was lost"):
        ShiftedBetaGeometricModel().fit([100, 100, 100])
    with pytest.raises(FitError, match=r"finite and >= 0; 1 of 3"):
        ShiftedBetaGeometricModel().fit([100, -1, 50])
    with pytest.raises(InputError, match="whole numbers"):
        ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0).survival(1.5)


def test_life_table_of_one_cohort_equals_the_cohort_fit():
    """A single cohort's counts, written as lost per period plus the survivors censored at the
    end, give the same likelihood and the same estimates as ``fit``."""
    counts = np.array(REGULAR[:8], dtype=float)
    by_cohort = ShiftedBetaGeometricModel().fit(counts)
    censored = np.zeros(counts.size)
    censored[-1] = counts[-1]
    by_table = ShiftedBetaGeometricModel().fit_life_table(-np.diff(counts), censored)
    assert by_table.alpha_ == pytest.approx(by_cohort.alpha_, rel=1e-6)
    assert by_table.beta_ == pytest.approx(by_cohort.beta_, rel=1e-6)
    assert by_table.log_likelihood_ == pytest.approx(by_cohort.log_likelihood_, rel=1e-9)


def test_life_table_pools_cohorts_of_different_ages():
    """Seeded sBG customers who signed 1 to 8 periods before the end of observation: the
    censored life table recovers alpha and beta (a cohort fit of the youngest would not)."""
    rng = np.random.default_rng(3)
    n, alpha, beta = 40_000, 0.7, 1.2
    theta = rng.beta(alpha, beta, n)
    lifetime = rng.geometric(theta)  # the period in which each customer cancels
    periods_seen = rng.integers(1, 9, n)  # periods each customer could have been observed
    ended = lifetime <= periods_seen
    lost = np.bincount(lifetime[ended], minlength=9)[1:]
    censored = np.bincount(periods_seen[~ended], minlength=9)  # renewed periods_seen times
    m = ShiftedBetaGeometricModel().fit_life_table(lost, censored)
    assert m.alpha_ == pytest.approx(alpha, rel=0.08)
    assert m.beta_ == pytest.approx(beta, rel=0.08)


def test_life_table_errors():
    with pytest.raises(FitError, match="no customer was lost"):
        ShiftedBetaGeometricModel().fit_life_table([0, 0], [5, 3])
    with pytest.raises(FitError, match="nobody has renewed yet"):
        ShiftedBetaGeometricModel().fit_life_table([10], [40])
    with pytest.raises(FitError, match=r"censored must be finite and >= 0; 1 of 2"):
        ShiftedBetaGeometricModel().fit_life_table([10, 3], [40, -1])
