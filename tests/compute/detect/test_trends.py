"""The tests behind partial defection and spend trends: calibrated under no change, sensitive to a drop."""

from __future__ import annotations

from datetime import date

import numpy as np
from scipy import stats

from churnguard.compute.detect import SeasonalIndex
from churnguard.compute.detect.trends import compound_poisson_z, order_count_z, order_size_z


def simulate_spend(rng, rate_r, rate_b, e_r, e_b, n, sigma=0.8):
    """Spend of ``n`` customers: Poisson orders of lognormal size in two windows."""
    k_r = rng.poisson(rate_r * e_r, n)
    k_b = rng.poisson(rate_b * e_b, n)
    s_r, s_b, sq = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        a, b = rng.lognormal(5, sigma, k_r[i]), rng.lognormal(5, sigma, k_b[i])
        s_r[i], s_b[i], sq[i] = a.sum(), b.sum(), (a**2).sum() + (b**2).sum()
    return s_r, s_b, sq, k_r, k_b


def test_compound_poisson_z_is_standard_normal_when_nothing_changed():
    rng = np.random.default_rng(0)
    s_r, s_b, sq, _, _ = simulate_spend(rng, 0.1, 0.1, 180, 365, 3000)
    z, _ = compound_poisson_z(s_r, 180, s_b, 365, sq)
    z = z[np.isfinite(z)]
    assert abs(z.mean()) < 0.1
    assert 0.85 < z.std() < 1.15
    assert (z < -2.5).mean() < 0.02


def test_compound_poisson_z_sees_a_halving_of_a_steady_buyer():
    rng = np.random.default_rng(1)
    # about two orders a week of steady size, then half
    s_r, s_b, sq, _, _ = simulate_spend(rng, 0.15, 0.3, 180, 365, 300, sigma=0.3)
    z, drop = compound_poisson_z(s_r, 180, s_b, 365, sq)
    assert np.median(z) < -3
    assert 0.35 < np.median(drop) < 0.65


def test_order_count_z_is_the_exact_binomial_test():
    z, drop, expected = order_count_z([2], [100.0], [20], [300.0])
    p = stats.binom.cdf(2, 22, 100 / 400)
    assert np.isclose(z[0], stats.norm.ppf(p))
    assert np.isclose(expected[0], 20 / 300 * 100)
    assert np.isclose(drop[0], 1 - (2 / 100) / (20 / 300))


def test_exposure_of_a_flat_index_counts_days():
    idx = SeasonalIndex.flat(date(2024, 1, 1), date(2024, 12, 31))
    assert idx.exposure(0, 30) == 30
    assert idx.exposure(30, 90) == 60
    assert np.allclose(idx.exposure(0, np.array([10, 1000])), [10, 366])


def test_a_stored_index_reads_back_the_same_exposures():
    rng = np.random.default_rng(3)
    w_s, w_o = rng.uniform(0.5, 1.5, 366), rng.uniform(0.5, 1.5, 366)
    idx = SeasonalIndex(date(2024, 1, 1), date(2024, 12, 31), np.r_[0.0, np.cumsum(w_s)], np.r_[0.0, np.cumsum(w_o)])
    frame = idx.to_frame()
    assert len(frame) == 366 and frame["day"].iloc[-1] == date(2024, 12, 31)
    back = SeasonalIndex.from_frame(frame.sample(frac=1.0, random_state=1))  # stored rows come in any order
    assert (back.start, back.as_of) == (idx.start, idx.as_of)
    ago = np.arange(0, 366)
    assert np.allclose(back.exposure(0, ago), idx.exposure(0, ago))
    assert np.allclose(back.exposure(7, ago, orders=True), idx.exposure(7, ago, orders=True))


def test_order_size_z_keeps_its_level_on_skewed_amounts():
    # lognormal order amounts (log-sd 1), nothing changed; recent windows no larger than baselines
    rng = np.random.default_rng(3)
    for n_r, n_b in ((3, 6), (8, 17), (25, 50), (10, 10)):
        a, b = rng.lognormal(4, 1.0, (20000, n_r)), rng.lognormal(4, 1.0, (20000, n_b))
        z, _ = order_size_z(a.sum(1), n_r, b.sum(1), n_b, (a**2).sum(1) + (b**2).sum(1))
        assert (stats.norm.cdf(z) < 0.05).mean() <= 0.05
    # a baseline with fewer orders than the recent window is not judged (the test would not hold it)
    z, _ = order_size_z([500.0], [10], [300.0], [3], [60000.0])
    assert np.isnan(z[0])


def test_order_size_z_sees_orders_halve_at_an_unchanged_pace():
    # 25 recent orders of about 50 against 50 of about 100 (log-sd 0.3): a plain two-sample t-test
    rng = np.random.default_rng(4)
    a, b = rng.lognormal(np.log(50), 0.3, 25), rng.lognormal(np.log(100), 0.3, 50)
    z, drop = order_size_z([a.sum()], [25], [b.sum()], [50], [(a**2).sum() + (b**2).sum()])
    t = stats.ttest_ind(a, b, alternative="less")
    assert np.isclose(z[0], stats.norm.ppf(max(t.pvalue, 1e-12)))
    assert np.isclose(drop[0], 1 - a.mean() / b.mean())
    # the compound Poisson spend test of the same orders over 180 and 365 days sees far less
    zc, _ = compound_poisson_z([a.sum()], [180.0], [b.sum()], [365.0], [(a**2).sum() + (b**2).sum()])
    assert z[0] < -5 and zc[0] > z[0]
