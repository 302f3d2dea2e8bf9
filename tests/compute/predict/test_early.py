"""Early warnings: who is not yet overdue, what became of them, and the lead time (hand-built cases)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from tests.compute.detect.detect_rows import contract, customer, put, tx

from churnguard.compute.detect import Records
from churnguard.compute.predict.early import (
    EARLY,
    OVERDUE,
    decidable,
    early_outcome,
    lead_time_days,
    warning_kind,
)
from churnguard.compute.predict.features import against_own_usual, features_as_of
from churnguard.settings import Settings

AS_OF = date(2024, 6, 30)


def every(cid: str, start: str, end: str, step: int = 10) -> list[dict]:
    d, last, rows = date.fromisoformat(start), date.fromisoformat(end), []
    while d <= last:
        rows.append(tx(cid, d))
        d += timedelta(days=step)
    return rows


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.churn.threshold_days = 60
    s.churn.grace_days = 0
    return s


@pytest.fixture
def records(workspace):
    put(workspace,
        customers=[customer(c, segment="s") for c in ("a", "b", "c", "k", "m")],
        transactions=[*every("a", "2024-01-01", "2024-07-20"),   # early on the date, last order in the horizon
                      *every("b", "2024-01-01", "2024-12-31"),   # buys on
                      *every("c", "2024-01-01", "2024-06-29"),   # its last order was before the date
                      tx("k", "2024-02-01"), tx("m", "2024-02-01")],
        contracts=[contract("k1", "k", "2024-01-01", "2024-07-15"),   # ends 15 days after the date: overdue
                   contract("m1", "m", "2024-01-01", "2024-12-31")])  # half a year left: early
    return Records.from_store(workspace.store)


def test_not_yet_overdue_customers_are_early(records, settings):
    fs = features_as_of(records, settings, AS_OF)
    kind = warning_kind(fs.X)
    assert kind.to_dict() == {"a": EARLY, "b": EARLY, "c": EARLY, "k": OVERDUE, "m": EARLY}


def test_outcome_judged_a_threshold_after_the_horizon(records, settings):
    through = AS_OF + timedelta(days=30 + 60)
    out = early_outcome(records, settings.churn, AS_OF, 30, through)
    assert out["outcome"].to_dict() == {"a": "lost", "b": "kept", "c": "gone_before", "k": "lost", "m": "kept"}
    assert out.loc["a", "days_to_end"] == 19  # its last order, 2024-07-19
    assert out.loc["k", "days_to_end"] == 15
    # with the records only through mid-August, a's departure is not declared yet
    short = early_outcome(records, settings.churn, AS_OF, 30, date(2024, 8, 15))
    assert short.loc["a", "outcome"] == "undetermined" and short.loc["b", "outcome"] == "kept"


def test_decidable_by_each_customers_own_threshold(settings):
    profile = pd.DataFrame({"threshold_days": [60.0, 200.0, np.nan]}, index=["x", "y", "contract"])
    ok = decidable(profile, settings.churn, AS_OF, 30, AS_OF + timedelta(days=100))
    assert ok.to_dict() == {"x": True, "y": False, "contract": True}


def test_lead_time_is_the_median_days_to_departure_of_the_lost_among_the_top():
    ids = [f"C{i:02d}" for i in range(20)]
    score = pd.Series(np.linspace(1, 0, 20), index=ids)
    lost = pd.Series(False, index=ids)
    lost[["C00", "C01", "C05"]] = True
    days = pd.Series(np.arange(20, dtype=float) * 10 + 5, index=ids)
    # top 10% = C00, C01: both lost, 5 and 15 days ahead
    assert lead_time_days(days, lost, score) == 10.0
    assert lead_time_days(days, lost, score, share=0.3) == 15.0  # C00, C01, C05 (5, 15, 55) among the top 6
    assert lead_time_days(days, pd.Series(False, index=ids), score) is None


def test_orders_and_contacts_against_the_customers_own_usual():
    recent = pd.Series([0.0, 3.0, 2.0])
    year = pd.Series([12.0, 12.0, 2.0])
    history = pd.Series([400.0, 400.0, 60.0])
    ratio, z = against_own_usual(recent, year, 90, history)
    # 12 in the 275 days before the last 90 predict 3.93 in them; none came
    assert ratio[0] == 0 and z[0] == pytest.approx(-np.sqrt(12 * 90 / 275))
    # 3 of 12 in the last 90 days: 9 before predict 2.95
    assert ratio[1] == pytest.approx(3 / (9 * 90 / 275)) and z[1] > 0
    assert np.isnan(ratio[2]) and np.isnan(z[2])  # too short a history to have a usual rate
