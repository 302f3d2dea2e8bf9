"""Cohorts, retention, price–volume and before/after comparison on hand-built cases."""

from __future__ import annotations

import math

import pytest
from measure_rows import D, contract, tx

from churnguard.compute.measure import parse_window
from churnguard.compute.measure.cohorts import cohorts
from churnguard.compute.measure.compare import compare, two_proportion_test
from churnguard.compute.measure.price_volume import price_volume
from churnguard.compute.measure.retention import retention
from churnguard.errors import InputError
from churnguard.settings import ChurnSettings


def test_cohort_triangle_by_customers(duck):
    src = duck(
        transactions=[tx("a", "2024-01-05"), tx("a", "2024-02-20"), tx("b", "2024-01-10"),
                      tx("c", "2024-02-01"), tx("c", "2024-03-01"), tx("c", "2024-04-01")],
    )
    frame = cohorts(src, ChurnSettings(threshold_days=30), as_of=D("2024-04-30"), period="month")
    tri = {(str(r.cohort_start), r.period_offset): (r.cohort_size, r.retained) for r in frame.itertuples()}
    # a lost 03-21, b lost 02-09; c buys monthly (gaps 29, 31: lost 03-31, back 04-01)
    assert tri[("2024-01-01", 0)] == (2, 2)
    assert tri[("2024-01-01", 1)] == (2, 1)
    assert tri[("2024-01-01", 2)] == (2, 0)
    assert tri[("2024-02-01", 0)] == (1, 1)
    assert tri[("2024-02-01", 1)] == (1, 0)  # lost on 03-31, the period's last day
    assert tri[("2024-02-01", 2)] == (1, 1)  # reactivated, active at the as-of date
    assert frame[frame.period_offset == 0]["retention"].tolist() == [1.0, 1.0]


def test_cohort_triangle_by_revenue(duck):
    src = duck(transactions=[tx("a", "2024-01-05", 100.0), tx("a", "2024-04-20", 50.0), tx("b", "2024-02-10", 40.0)])
    frame = cohorts(src, ChurnSettings(), as_of=D("2024-06-30"), period="quarter", basis="revenue")
    got = [(str(r.cohort_start), r.period_offset, r.retained, r.retention) for r in frame.itertuples()]
    assert got == [("2024-01-01", 0, 140.0, 1.0), ("2024-01-01", 1, 50.0, 50.0 / 140.0)]


def test_grr_nrr_with_contraction_and_expansion(duck):
    src = duck(contracts=[
        contract("a1", "a", "2023-01-01", "2024-02-15", 1000.0),                      # lost: 1000
        contract("b1", "b", "2023-01-01", "2024-02-15", 1000.0),
        contract("b2", "b", "2024-02-15", "2025-02-15", 800.0),                       # contraction 200
        contract("c1", "c", "2023-01-01", "2025-01-01", 1000.0),
        contract("c2", "c", "2024-03-01", "2025-01-01", 500.0),                       # expansion 500
        contract("d1", "d", "2024-02-01", "2025-01-01", 700.0),                       # new: not in base
    ])
    row = retention(src, ChurnSettings(), as_of=D("2024-03-31"), start=D("2024-01-01")).iloc[0]
    assert (row.customers_at_start, row.value_at_start) == (3, 3000.0)
    assert (row.value_lost, row.contraction, row.expansion) == (1000.0, 200.0, 500.0)
    assert row.grr == pytest.approx(1800.0 / 3000.0)
    assert row.nrr == pytest.approx(2300.0 / 3000.0)


def test_retention_of_an_empty_start_is_none(duck):
    src = duck(contracts=[contract("a1", "a", "2024-01-01", "2025-01-01")])
    row = retention(src, ChurnSettings(), as_of=D("2024-03-31")).iloc[0]
    assert row.grr is None and row.nrr is None


def test_price_volume_split_adds_up_and_warns_on_false_growth(duck):
    q1 = [tx(c, "2024-02-01", 100.0, 10.0) for c in "abcd"]              # 4 customers, 40 units at 10
    q2 = [tx(c, "2024-05-01", 132.0, 10.0) for c in "abc"] + [tx("a", "2024-05-02", 13.2, 1.0)]
    src = duck(transactions=q1 + q2)
    frame = price_volume(src, as_of=D("2024-06-30"), period="quarter")
    row = frame.iloc[1]
    assert (row.revenue, row.units, row.customers) == (pytest.approx(409.2), 31.0, 3)
    assert row.revenue_change == pytest.approx(9.2)
    parts = row.customer_effect + row.volume_effect + row.price_effect + row.other_effect
    assert parts == pytest.approx(row.revenue_change)
    assert row.customer_effect == pytest.approx(-100.0)   # one customer fewer x 10 units x 10
    assert row.volume_effect == pytest.approx(10.0)       # 3 x (31/3 - 10) units x 10
    assert row.price_effect == pytest.approx(99.2)        # 31 units x (13.2 - 10)
    assert "false growth" in row.warning and "units -22.5%" in row.warning and "customers -25.0%" in row.warning
    assert frame.iloc[0].warning is None


def test_price_volume_other_effect_for_rows_without_quantity(duck):
    src = duck(transactions=[tx("a", "2024-02-01", 100.0, 10.0), tx("a", "2024-05-01", 100.0, 10.0),
                             tx("a", "2024-05-02", 25.0, None)])
    row = price_volume(src, as_of=D("2024-06-30")).iloc[1]
    assert (row.other_effect, row.customer_effect, row.volume_effect, row.price_effect) == (25.0, 0.0, 0.0, 0.0)
    assert row.warning is None


def test_two_proportion_test_matches_the_textbook_formula():
    """Pooled z-test and Wald interval, computed by hand: x1=20/400, x2=10/400."""
    r = two_proportion_test(20, 400, 10, 400)
    p = 30 / 800
    z = (0.025 - 0.05) / math.sqrt(p * (1 - p) * (2 / 400))
    assert r["z"] == pytest.approx(z)
    assert r["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    half = 1.959964 * math.sqrt(0.05 * 0.95 / 400 + 0.025 * 0.975 / 400)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(-0.025 - half, abs=1e-6), pytest.approx(-0.025 + half, abs=1e-6))
    assert two_proportion_test(0, 0, 1, 10)["p_value"] is None
    assert two_proportion_test(0, 10, 0, 10)["p_value"] == 1.0


def test_compare_before_and_after(duck):
    contracts = [contract(f"b{i}", f"b{i}", "2023-01-01", "2024-03-15" if i < 4 else "2026-01-01") for i in range(10)]
    contracts += [contract(f"a{i}", f"a{i}", "2024-06-01", "2024-09-15" if i < 1 else "2026-01-01") for i in range(10)]
    src = duck(contracts=contracts)
    frame, test = compare(src, ChurnSettings(), at=D("2024-07-01"), window=parse_window("2q"), as_of=D("2024-12-31"))
    before, after = frame.iloc[0], frame.iloc[1]
    assert (str(before.window_start), str(before.window_end)) == ("2024-01-01", "2024-06-30")
    assert (before.customers_at_start, before.customers_lost) == (10, 4)
    assert (after.customers_at_start, after.customers_lost) == (16, 1)
    assert test["difference"] == pytest.approx(1 / 16 - 4 / 10)
    assert test == {**test, **two_proportion_test(4, 10, 1, 16)}


def test_compare_refuses_a_date_after_the_as_of_date(duck):
    src = duck(transactions=[tx("a", "2024-01-01")])
    with pytest.raises(InputError, match="after the as-of date"):
        compare(src, ChurnSettings(), at=D("2025-01-01"), window=parse_window("1q"), as_of=D("2024-12-31"))


@pytest.mark.parametrize(("text", "at", "before", "after"), [
    ("2q", "2024-07-01", "2024-01-01", "2025-01-01"),
    ("1m", "2024-03-31", "2024-02-29", "2024-04-30"),
    ("90d", "2024-07-01", "2024-04-02", "2024-09-29"),
    ("1y", "2024-02-29", "2023-02-28", "2025-02-28"),
])
def test_windows(text, at, before, after):
    w = parse_window(text)
    assert (str(w.before(D(at))), str(w.after(D(at)))) == (before, after)


def test_bad_window_says_how_to_write_one():
    with pytest.raises(InputError, match="e.g. 2q"):
        parse_window("two quarters")
