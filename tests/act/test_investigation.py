"""Assignment, periods, the partial sample, the order of interviews and review timing (pure, no workspace)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from churnguard.act.assign import assign, people_of
from churnguard.act.investigation import (
    last_full_quarter,
    parse_period,
    reason_table,
    review_timing,
    sample_partial,
    select,
    stated_vs_reviewed,
)
from churnguard.errors import OptionError


# -- assignment -------------------------------------------------------------------------------
def test_own_csm_first_then_round_robin_in_name_order() -> None:
    f = pd.DataFrame({"customer_id": list("abcdef"), "csm": ["王芳", None, "张伟", None, None, "nobody"]})
    r = assign(f, ["王芳", "张伟", "李娜"], capacity=5)
    # sorted people: 张伟, 李娜, 王芳 (code point order); the turn moves after each round-robin hand-out
    assert sorted(["王芳", "张伟", "李娜"]) == ["张伟", "李娜", "王芳"]
    assert r.interviewer == ["王芳", "张伟", "张伟", "李娜", "王芳", "张伟"]
    assert r.counts == {"张伟": 3, "李娜": 1, "王芳": 2} and r.unassigned == 0


def test_a_full_csm_sends_its_customers_round_robin_and_beyond_capacity_nobody() -> None:
    f = pd.DataFrame({"customer_id": list("abcde"), "csm": ["A", "A", "A", "A", "A"]})
    r = assign(f, ["A", "B"], capacity=2)
    assert r.interviewer == ["A", "A", "B", "B", None]
    assert r.counts == {"A": 2, "B": 2} and r.unassigned == 1


def test_assignment_is_deterministic_whatever_order_people_come_in() -> None:
    f = pd.DataFrame({"customer_id": [f"c{i}" for i in range(20)], "csm": [None] * 20})
    a = assign(f, ["x", "y", "z"], capacity=10)
    b = assign(f, ["z", "x", "y", "x"], capacity=10)
    assert a == b
    assert a.interviewer[:6] == ["x", "y", "z", "x", "y", "z"]
    assert assign(f, [], capacity=3).unassigned == 20


def test_people_are_the_distinct_names_sorted() -> None:
    assert people_of(["王芳", None, "张伟", "王芳", float("nan"), " "], ["李娜", "张伟"]) == ["张伟", "李娜", "王芳"]


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        assign(pd.DataFrame({"csm": []}), ["a"], capacity=0)


# -- periods ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, label, start, end", [
    ("2026-Q3", "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026q1", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-07", "2026-07", date(2026, 7, 1), date(2026, 7, 31)),
    ("2024-2", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_periods(text: str, label: str, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.label, p.start, p.end) == (label, start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "Q3", "last quarter", "", "26-Q1"])
def test_a_bad_period_says_how_to_write_one(text: str) -> None:
    with pytest.raises(OptionError) as e:
        parse_period(text)
    assert e.value.field == "period" and "2026-Q3" in e.value.problem


@pytest.mark.parametrize("text", ["0000-Q1", "0-Q1", "9999", "1899-12"])
def test_a_period_outside_the_years_churnguard_takes_is_refused(text: str) -> None:
    """Year 0 made a server error on POST /api/investigations (found by the API fuzz test)."""
    with pytest.raises(OptionError) as e:
        parse_period(text)
    assert e.value.field == "period" and "1900" in e.value.problem


def test_last_full_quarter() -> None:
    assert last_full_quarter(date(2026, 9, 30)).label == "2026-Q3"
    assert last_full_quarter(date(2026, 9, 29)).label == "2026-Q2"
    assert last_full_quarter(date(2026, 2, 1)).label == "2025-Q4"


# -- the sample and the order -------------------------------------------------------------------
IDS = [f"P{i:04d}" for i in range(400)]


def test_the_partial_sample_is_reproducible_and_its_share_is_the_setting() -> None:
    a = sample_partial(IDS, 0.2, seed=7)
    assert a == sample_partial(list(reversed(IDS)), 0.2, seed=7)  # the order the ids come in does not matter
    assert a != sample_partial(IDS, 0.2, seed=8)
    assert len(a) == 80 and set(a) <= set(IDS)
    assert len(sample_partial(IDS[:13], 0.5, seed=1)) == 7  # 6.5 rounds up
    assert sample_partial(IDS, 0.0, seed=1) == [] and sample_partial(IDS, 1.0, seed=1) == sorted(IDS)


def defectors() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4", "P1", "P2", "P3", "P4"],
        "kind": ["complete"] * 4 + ["partial"] * 4,
        "lost_at": pd.to_datetime(["2026-07-01", "2026-09-30", "2026-06-30", "2026-08-15", None, None, None, None]),
        "lost_value": [100.0, 500.0, 900.0, 500.0, 50.0, 700.0, 0.0, 10.0],
        "csm": [None] * 8,
    })


def test_every_complete_defector_of_the_period_and_the_largest_loss_first() -> None:
    chosen = select(defectors(), parse_period("2026-Q3"), 1.0, seed=0)
    assert set(chosen.loc[chosen["kind"] == "complete", "customer_id"]) == {"C1", "C2", "C4"}  # C3 was lost in Q2
    # by lost value, ties by id: C2 and C4 both lost 500
    assert chosen["customer_id"].tolist() == ["P2", "C2", "C4", "C1", "P1", "P4", "P3"]
    assert chosen["position"].tolist() == list(range(1, 8))
    none = select(defectors(), parse_period("2026-Q3"), 0.0, seed=0)
    assert set(none["kind"]) == {"complete"}


# -- review timing ------------------------------------------------------------------------------
def test_a_review_falls_due_at_a_quarter_and_again_at_three_quarters() -> None:
    ms = (0.25, 0.75)
    assert review_timing(100, 24, ms, ()).due is None            # 24% done: not yet
    t = review_timing(100, 25, ms, ())                              # 25%: due
    assert t.due == 0.25 and t.to_dict()["review_due"]
    t = review_timing(100, 25, ms, (0.25,))                         # recorded: next at 75%
    assert t.due is None and t.next == 0.75 and t.needed_for(t.next) == 75
    assert review_timing(100, 74, ms, (0.25,)).due is None
    assert review_timing(100, 75, ms, (0.25,)).due == 0.75
    # both milestones passed unreviewed: one review, at the later one, covers both
    t = review_timing(100, 80, ms, ())
    assert t.due == 0.75
    assert review_timing(100, 80, ms, (0.75,)).due is None
    assert review_timing(0, 0, ms, ()).due is None
    assert review_timing(4, 1, ms, ()).due == 0.25                  # 1 of 4 is a quarter
    assert review_timing(7, 1, ms, ()).due is None and review_timing(7, 2, ms, ()).due == 0.25


def test_reason_table_and_stated_vs_reviewed() -> None:
    done = pd.DataFrame({"reason": ["price", "price", "service", "closure", "other"],
                         "reviewed_reason": [None, "service", None, None, None],
                         "lost_value": [10.0, 20.0, 30.0, 5.0, 1.0]})
    settled = done.assign(reason=done["reviewed_reason"].where(done["reviewed_reason"].notna(), done["reason"]))
    t = reason_table(settled[["reason", "lost_value"]])
    assert t.to_dict(orient="records")[0] == {"reason": "service", "interviews": 2, "lost_value": 50.0, "share": 0.4,
                                              "controllable": True}
    assert dict(zip(t["reason"], t["controllable"], strict=True)) == {"service": True, "price": True,
                                                                      "closure": False, "other": None}
    s = stated_vs_reviewed(done)
    changed = s[s["changed"]]
    assert changed[["stated", "reviewed", "interviews"]].values.tolist() == [["price", "service", 1]]
    assert int(s["interviews"].sum()) == 5
