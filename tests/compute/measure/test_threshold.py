"""The 'auto' churn threshold learned from the return curve, on hand-built customers.

Group A (30 customers, segment s) buys on 2024-01-01 and 2024-01-31, then never again; group B
(10, segment s) bought once, on 2024-12-21, ten days before the as-of date; group T (5,
segment t) buys on 2024-01-01 and 2024-07-19 (a gap of 200 days); C has no segment.
With a 100-day return window: every A customer once inactive for g < 30 days came back, none
after 30 days, so the smallest curve gap with at most 10% returning is 35 days.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from measure_rows import D, customer, tx

from churnguard.compute.measure import customer_spells, purchase_thresholds
from churnguard.compute.measure.status import OVERALL, return_curve, return_events, return_window
from churnguard.settings import ChurnSettings

AS_OF = D("2024-12-31")
WINDOW = 100


def rows():
    customers, txs = [], []
    for i in range(30):
        customers.append(customer(f"a{i:02}", "s"))
        txs += [tx(f"a{i:02}", "2024-01-01"), tx(f"a{i:02}", "2024-01-31")]
    for i in range(10):
        customers.append(customer(f"b{i:02}", "s"))
        txs.append(tx(f"b{i:02}", "2024-12-21"))
    for i in range(5):
        customers.append(customer(f"t{i}", "t"))
        txs += [tx(f"t{i}", "2024-01-01"), tx(f"t{i}", "2024-07-19")]
    customers.append(customer("c", None))
    txs += [tx("c", "2024-01-01"), tx("c", "2024-02-15")]
    return {"customers": customers, "transactions": txs}


def churn(**kw) -> ChurnSettings:
    base = {"threshold_days": "auto", "return_share": 0.10, "return_window_days": WINDOW,
            "threshold_min_customers": 20}
    return ChurnSettings(**{**base, **kw})


def curve_of(src, segment=None) -> pd.DataFrame:
    ev = return_events(src, AS_OF, WINDOW)
    if segment is not None:
        ev = ev[ev["segment"] == segment]
    return return_curve(ev, WINDOW).set_index("gap_days")


def test_return_curve_counts_customers_and_handles_censoring(engine):
    src = engine(**rows())
    c = curve_of(src, "s")
    # g = 7: the 30 A customers reach it and all return within 23 days; the 10 B customers reach
    # it too, but are followed 3 days only: censored, they do not dilute the share (a plain
    # count would give 30 / 40 = 75%)
    assert c.loc[7, "customers_reached"] == 40
    assert c.loc[7, "return_share"] == pytest.approx(1.0)
    assert c.loc[7, "customers_observed"] == 0 and not c.loc[7, "judged"]
    # g = 35: only A reaches it (B's open gap is 10 days), none returns, all followed 100+ days
    assert c.loc[35, "customers_reached"] == 30
    assert c.loc[35, "return_share"] == 0.0
    assert c.loc[35, "customers_observed"] == 30 and c.loc[35, "judged"]
    # a customer counts once per gap: the first time it is that long inactive
    assert c["customers_reached"].max() == 40


def test_auto_threshold_is_the_smallest_gap_with_few_returns(engine):
    src = engine(**rows())
    th = purchase_thresholds(src, churn(), AS_OF)
    assert th.mode == "auto"
    assert th.by_segment == {"s": 35, "t": 35, None: 35}
    # t has 5 customers (< 20): the overall curve; customers without a segment: overall too
    assert th.sources == {"s": "curve", "t": "overall", None: "overall"}
    d = th.describe()
    assert d["threshold_days"] == "auto" and d["threshold_overall_days"] == 35
    assert {r["segment"]: r["source"] for r in d["thresholds_by_segment"]} == {
        "s": "curve", "t": "overall", "(no segment)": "overall"}
    # and the spells use it: A is lost 35 days after its last purchase
    sp = customer_spells(src, churn(), AS_OF).to_pandas().set_index("customer_id")
    assert pd.Timestamp(sp.loc["a00", "lost_at"]).date() == date(2024, 1, 31) + timedelta(days=35)


def test_a_number_per_segment_overrides_and_a_number_overall_overrides_everything(engine):
    src = engine(**rows())
    th = purchase_thresholds(src, churn(threshold_by_segment={"t": 250}), AS_OF)
    assert th.by_segment["t"] == 250 and th.sources["t"] == "setting"
    sp = customer_spells(src, churn(threshold_by_segment={"t": 250}), AS_OF).to_pandas()
    assert (sp["customer_id"] == "t0").sum() == 1  # gap 200 <= 250: one spell
    fixed = purchase_thresholds(src, churn(threshold_days=60), AS_OF)
    assert fixed.mode == "fixed" and fixed.default == 60


def test_a_stricter_return_share_needs_a_longer_gap(duck):
    # A customers come back after 30..59 days (one each): the curve falls gradually
    customers, txs = [], []
    for i in range(30):
        customers.append(customer(f"a{i:02}", "s"))
        back = D("2024-01-01") + timedelta(days=30 + i)
        txs += [tx(f"a{i:02}", "2024-01-01"), tx(f"a{i:02}", back.isoformat())]
    for i in range(40):
        customers.append(customer(f"z{i:02}", "s"))
        txs.append(tx(f"z{i:02}", "2024-01-01"))
    src = duck(customers=customers, transactions=txs)
    loose = purchase_thresholds(src, churn(return_share=0.30), AS_OF)
    strict = purchase_thresholds(src, churn(return_share=0.05), AS_OF)
    assert loose.default < strict.default
    c = curve_of(src).loc[[28, 42, 56, 63]]
    assert list(c["return_share"]) == sorted(c["return_share"], reverse=True)


def test_too_little_history_falls_back_and_says_so(duck):
    src = duck(transactions=[tx("a", "2024-01-01"), tx("a", "2024-01-21"), tx("b", "2024-01-05")])
    th = purchase_thresholds(src, churn(auto_fallback_days=90), D("2024-03-01"))
    assert th.mode == "fallback" and th.default == 90  # the 95% percentile of one 20-day gap is less
    assert "too little history" in th.describe()["threshold_source"]
    th = purchase_thresholds(src, churn(auto_fallback_days=10), D("2024-03-01"))
    assert th.default == 20
    assert OVERALL in th.curves


def test_the_automatic_return_window_fits_the_history(duck):
    src = duck(**rows())  # purchases from 2024-01-01: 365 days of history by 2024-12-31
    assert return_window(src, churn(return_window_days="auto"), AS_OF) == 121  # a third of it
    assert return_window(src, churn(return_window_days="auto"), D("2028-01-01")) == 365  # at most a year
    assert return_window(src, churn(return_window_days=60), AS_OF) == 60
    th = purchase_thresholds(src, churn(return_window_days="auto"), AS_OF)
    assert th.return_window_days == 121 and "within 121 days" in th.describe()["threshold_source"]


def test_a_number_per_segment_overrides_the_fallback_too(duck):
    src = duck(customers=[customer("a", "s"), customer("b", "t")],
               transactions=[tx("a", "2024-01-01"), tx("a", "2024-01-21"), tx("b", "2024-01-01"), tx("b", "2024-02-20")])
    th = purchase_thresholds(src, churn(auto_fallback_days=90, threshold_by_segment={"t": 30}), D("2024-03-01"))
    assert th.mode == "fallback" and th.default == 90 and th.by_segment == {"t": 30}
    sp = customer_spells(src, churn(auto_fallback_days=90, threshold_by_segment={"t": 30}), D("2024-12-31"))
    sp = sp.to_pandas().sort_values(["customer_id", "spell_no"])
    # b (segment t, 30 days): the 50-day gap is a loss and a reactivation; a keeps the fallback
    assert list(zip(sp["customer_id"], sp["spell_no"], strict=True)) == [("a", 1), ("b", 1), ("b", 2)]
