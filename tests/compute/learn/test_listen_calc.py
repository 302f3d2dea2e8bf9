"""The pure parts of listening: intervals, allocation, the draw, the distribution and NPS, the register."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from churnguard.compute.learn import complaints as cq
from churnguard.compute.learn import surveys as sv
from churnguard.compute.learn.proportions import newcombe, smd_proportion, welch, wilson


def test_wilson_and_newcombe_match_the_published_examples() -> None:
    # Newcombe (1998), table II: 81/263 -> 0.2553 to 0.3662; table III example (a) 56/70 - 48/80
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = newcombe(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    # 0 of 10: stays inside [0, 1]
    low, high = wilson(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    assert wilson(0, 0) == (None, None) and newcombe(1, 0, 1, 2) == (None, None)


def test_welch_and_standardised_differences() -> None:
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 8.0])
    low, high = welch(a, b)
    se = np.sqrt(np.var(a, ddof=1) / 4 + np.var(b, ddof=1) / 4)
    assert low == pytest.approx(-2.5 - 1.959964 * se) and high == pytest.approx(-2.5 + 1.959964 * se)
    assert smd_proportion(0.8, 0.4) == pytest.approx(0.4 / np.sqrt((0.16 + 0.24) / 2))
    assert smd_proportion(1.0, 1.0) == 0.0


def test_allocation_is_proportional_with_largest_remainders() -> None:
    sizes = pd.Series({"a": 20, "b": 12, "c": 8})
    assert sv.allocate(sizes, 10).to_dict() == {"a": 5, "b": 3, "c": 2}
    # 7 of 3:3:1 -> quotas 3, 3, 1 exactly; 5 -> 2.14, 2.14, 0.71: the remainder goes to c
    assert sv.allocate(pd.Series({"a": 3, "b": 3, "c": 1}), 5).to_dict() == {"a": 2, "b": 2, "c": 1}
    # equal remainders: the larger stratum, then the name
    assert sv.allocate(pd.Series({"b": 1, "a": 1}), 1).to_dict() == {"b": 0, "a": 1}
    assert sv.allocate(sizes, 100).to_dict() == sizes.to_dict()  # never more than a stratum holds
    assert int(sv.allocate(pd.Series({"a": 7, "b": 5, "c": 3}), 11).sum()) == 11


def test_the_draw_is_reproducible_and_ignores_row_order() -> None:
    pool = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(60)], "segment": ["x"] * 30 + ["y"] * 20 + [None] * 10})
    one = sv.draw_sample(pool, 12, seed=5, stratify="segment")
    two = sv.draw_sample(pool.sample(frac=1, random_state=1), 12, seed=5, stratify="segment")
    assert one["customer_id"].tolist() == two["customer_id"].tolist()
    assert one["stratum"].value_counts().to_dict() == {"x": 6, "y": 4, "": 2}
    other = sv.draw_sample(pool, 12, seed=6, stratify="segment")
    assert other["customer_id"].tolist() != one["customer_id"].tolist()
    plain = sv.draw_sample(pool, 12, seed=5)
    assert len(set(plain["customer_id"])) == 12 and set(plain["stratum"]) == {""}


def test_distribution_and_nps_by_quarter() -> None:
    answers = pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "A", "E", "F"],
        "answered_at": [date(2026, 2, 15)] * 4 + [date(2026, 5, 10)] * 3,
        "satisfaction": [5, 4, 3, 2, 5, 1, 4],
        "nps": [10, 9, 7, None, 9, 0, 6],
    })
    rows = sv.distribution(answers).to_dict(orient="records")
    q1, q2 = rows
    assert q1["period"] == "2026-Q1" and q1["answers"] == 4 and q1["nps_answers"] == 3
    assert [q1[f"level_{k}"] for k in (5, 4, 3, 2, 1)] == [1, 1, 1, 1, 0]
    assert q1["share_5"] == 0.25 and q1["nps"] == pytest.approx(200 / 3)  # 2 promoters, no detractor of 3
    assert q2["period"] == "2026-Q2" and q2["nps"] == pytest.approx(-100 / 3)  # 1 promoter, 2 detractors of 3
    assert sv.nps_points(pd.Series([], dtype=float)) is None


def test_register_days_to_resolve_and_ageing() -> None:
    raw = pd.DataFrame({
        "complaint_id": ["K1", "K2", "K3", "K4"], "customer_id": ["A", "B", "C", "A"],
        "opened_at": [date(2026, 3, 1), date(2026, 6, 1), date(2026, 6, 28), date(2026, 4, 1)],
        "category": ["delivery", "service", "delivery", "billing"], "severity": ["low", "high", "low", "low"],
        "resolved_at": [date(2026, 3, 11), date(2026, 7, 15), None, date(2026, 4, 4)],
        "resolution": ["refund", "fixed", None, "credit"],
    })
    reg = cq.register(raw, date(2026, 6, 30), ageing_days=7)
    by_id = reg.set_index("complaint_id")
    assert reg["complaint_id"].tolist() == ["K3", "K2", "K4", "K1"]  # the newest first
    assert by_id.loc["K1", "days_to_resolve"] == 10 and by_id.loc["K4", "days_to_resolve"] == 3
    # resolved after the as-of date: still open then, its resolution not yet known
    assert bool(by_id.loc["K2", "open"]) and by_id.loc["K2", "open_days"] == 29 and by_id.loc["K2", "resolution"] is None
    assert bool(by_id.loc["K2", "ageing"]) and not bool(by_id.loc["K3", "ageing"]) and by_id.loc["K3", "open_days"] == 2
    totals, by_cat = cq.summary(reg)
    assert totals == {"complaints": 4, "open": 2, "ageing": 1, "customers": 3, "median_days_to_resolve": 6.5}
    assert by_cat.iloc[0].to_dict() == {"category": "delivery", "complaints": 2, "open": 1, "median_days_to_resolve": 10.0}


def test_estimates_say_what_they_rest_on() -> None:
    e = cq.estimates(3, 0.04, 25)
    assert e["silent_majority_estimate"] == 75.0 and e["word_of_mouth_estimate"] == 1875.0
    assert e["estimates_basis"]["kind"].startswith("estimate from settings")
    assert e["estimates_basis"]["listen.complaint_share"] == 0.04
