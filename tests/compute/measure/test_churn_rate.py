"""Churn rate per period: exact figures on hand-built cases, every boundary."""

from __future__ import annotations

import pytest
from measure_rows import D, contract, customer, tx

from churnguard.compute.measure import churn_rate
from churnguard.errors import InputError
from churnguard.settings import ChurnSettings


def rate(src, as_of, period="quarter", **kw):
    settings = {k: kw.pop(k) for k in ("threshold_days", "grace_days", "value_window_days") if k in kw}
    frame = churn_rate(src, ChurnSettings(**settings), as_of=D(as_of), period=period, **kw)
    frame["period_start"] = frame["period_start"].map(str)
    return frame.set_index("period_start")


def test_worked_example_400_at_start_20_lost_is_5_percent(duck):
    """DESIGN.md §2: 400 customers at the start of the quarter, 20 lost during it -> 5.0%."""
    contracts = [contract(f"c{i}", f"x{i}", "2023-06-01", "2024-05-15" if i < 20 else "2025-12-31")
                 for i in range(400)]
    row = rate(duck(contracts=contracts), "2024-06-30", start=D("2024-04-01")).loc["2024-04-01"]
    assert (row.customers_at_start, row.customers_lost) == (400, 20)
    assert row.churn_rate == 0.05


def test_customers_acquired_mid_period_are_not_in_the_denominator(duck):
    src = duck(contracts=[
        contract("c1", "old", "2023-01-01", "2024-05-31"),   # at start, lost in Q2
        contract("c2", "keep", "2023-01-01", "2025-12-31"),  # at start, kept
        contract("c3", "new", "2024-05-01", "2024-06-15"),   # acquired and lost in Q2
        contract("c4", "new2", "2024-04-01", "2025-12-31"),  # acquired on the first day of Q2
    ])
    row = rate(src, "2024-06-30", start=D("2024-04-01")).loc["2024-04-01"]
    assert row.customers_at_start == 2
    assert row.customers_lost == 1  # 'new' is lost too, but was not in the start base
    assert row.customers_acquired == 2
    assert row.customers_at_end == 2  # keep, new2
    assert row.churn_rate == 0.5


def test_loss_on_the_first_day_of_a_period_belongs_to_that_period(duck):
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-04-01")])
    frame = rate(src, "2024-06-30")
    assert frame.loc["2024-01-01", "customers_lost"] == 0
    assert frame.loc["2024-04-01", ["customers_at_start", "customers_lost"]].tolist() == [1, 1]


def test_same_day_renewal_and_grace(duck):
    src = duck(contracts=[
        contract("a1", "a", "2023-01-01", "2024-04-30"), contract("a2", "a", "2024-04-30", "2025-04-30"),
        contract("b1", "b", "2023-01-01", "2024-04-30"), contract("b2", "b", "2024-05-10", "2025-05-10"),
    ])
    q2 = rate(src, "2024-06-30", start=D("2024-04-01")).loc["2024-04-01"]
    assert (q2.customers_lost, q2.reactivated) == (1, 1)  # b: lost 04-30, back 05-10
    q2 = rate(src, "2024-06-30", start=D("2024-04-01"), grace_days=10).loc["2024-04-01"]
    assert (q2.customers_lost, q2.reactivated) == (0, 0)


def test_reactivations_are_reported_separately(duck):
    src = duck(transactions=[tx("a", "2023-12-01"), tx("a", "2024-05-01"), tx("b", "2023-12-01")])
    frame = rate(src, "2024-06-30", threshold_days=90)
    q1 = frame.loc["2024-01-01"]  # both lost on 2024-02-29 (2023-12-01 + 90)
    assert (q1.customers_at_start, q1.customers_lost, q1.churn_rate) == (2, 2, 1.0)
    q2 = frame.loc["2024-04-01"]
    assert (q2.customers_at_start, q2.customers_lost, q2.reactivated, q2.customers_acquired) == (0, 0, 1, 0)
    assert q2.customers_at_end == 1


def test_zero_customers_at_start_gives_no_rate_and_empty_periods_are_listed(duck):
    src = duck(transactions=[tx("a", "2024-01-15"), tx("a", "2024-12-01")])
    frame = rate(src, "2024-12-31", threshold_days=30)
    assert list(frame.index) == ["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"]
    assert frame.loc["2024-01-01", "churn_rate"] is None  # nobody at the start: no division
    assert frame.loc["2024-04-01", "customers_at_start"] == 0  # lost 02-14, empty until Q4
    assert frame.loc["2024-07-01"].tolist()[2:7] == [0, 0, 0, 0, 0]
    assert frame.loc["2024-10-01", "reactivated"] == 1


def test_a_purchase_after_the_period_does_not_unchurn_it(duck):
    src = duck(transactions=[tx("a", "2024-01-31"), tx("a", "2024-07-10"), tx("b", "2023-12-01"),
                             tx("b", "2024-03-01"), tx("b", "2024-05-01")])
    early = rate(src, "2024-06-30", threshold_days=90)
    late = rate(src, "2024-09-30", threshold_days=90)
    assert early.loc["2024-04-01", "customers_lost"] == 1  # a: lost 2024-04-30
    assert late.loc["2024-04-01"].drop("complete").equals(early.loc["2024-04-01"].drop("complete"))
    assert late.loc["2024-07-01", "reactivated"] == 1


def test_last_period_is_cut_at_the_as_of_date(duck):
    src = duck(transactions=[tx("a", "2024-01-15")])
    frame = rate(src, "2024-05-10", threshold_days=30)
    last = frame.loc["2024-04-01"]
    assert (str(last.period_end), bool(last.complete)) == ("2024-05-10", False)
    assert bool(frame.loc["2024-01-01", "complete"]) is True


def test_value_basis(duck):
    src = duck(
        transactions=[tx("a", "2024-01-10", 100.0), tx("a", "2024-02-10", 50.0), tx("b", "2024-03-01", 30.0),
                      tx("b", "2024-05-01", 20.0), tx("b", "2023-03-01", 999.0)],
        contracts=[contract("c1", "x", "2024-01-01", "2024-05-31", value=1200.0),
                   contract("c2", "y", "2024-02-01", "2025-01-31", value=600.0)],
    )
    row = rate(src, "2024-06-30", basis="value", threshold_days=90, start=D("2024-04-01")).loc["2024-04-01"]
    # a: 150 (lost 05-10), b: 30 (window [2023-04-02, 2024-04-01) excludes the 2023-03-01 purchase),
    # x: 1200 (lost 05-31), y: 600
    assert (row.value_at_start, row.value_lost) == (1980.0, 1350.0)
    assert row.churn_rate == pytest.approx(1350.0 / 1980.0)
    assert (row.customers_at_start, row.customers_lost) == (4, 2)
    rec = rate(src, "2024-06-30", basis="recurring", start=D("2024-04-01")).loc["2024-04-01"]
    assert (rec.customers_at_start, rec.value_at_start, rec.value_lost) == (2, 1800.0, 1200.0)


def test_by_group_and_relationship(duck):
    src = duck(
        customers=[customer("a", "s"), customer("b", "t"), customer("x", "s")],
        transactions=[tx("a", "2023-12-01"), tx("b", "2023-12-01"), tx("b", "2024-02-01")],
        contracts=[contract("c1", "x", "2023-06-01", "2024-03-15")],
    )
    frame = churn_rate(src, ChurnSettings(threshold_days=90), as_of=D("2024-03-31"), by="segment")
    got = {r.segment: (r.customers_at_start, r.customers_lost) for r in frame.itertuples()
           if str(r.period_start) == "2024-01-01"}
    assert got == {"s": (2, 2), "t": (1, 0)}
    frame = churn_rate(src, ChurnSettings(threshold_days=90), as_of=D("2024-03-31"), by="relationship")
    assert set(frame["relationship"]) == {"contractual", "non_contractual"}


def test_unknown_group_column_lists_the_allowed_ones(duck):
    src = duck(transactions=[tx("a", "2024-01-01")])
    with pytest.raises(InputError, match="allowed: segment, region, customer_type, csm"):
        churn_rate(src, ChurnSettings(), as_of=D("2024-12-31"), by="email")


def test_month_and_year_periods(duck):
    src = duck(contracts=[contract("c1", "x", "2023-01-01", "2024-02-15"),
                          contract("c2", "y", "2023-01-01", "2025-02-15")])
    months = rate(src, "2024-03-31", period="month", start=D("2024-01-01"))
    assert list(months.index) == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert months["customers_lost"].tolist() == [0, 1, 0]
    years = rate(src, "2024-12-31", period="year")
    assert years.loc["2024-01-01", ["customers_at_start", "customers_lost"]].tolist() == [2, 1]
