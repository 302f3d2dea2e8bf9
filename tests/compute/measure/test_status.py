"""Spells: when a customer is acquired, lost and reactivated, on hand-built cases."""

from __future__ import annotations

import pytest
from measure_rows import D, contract, tx

from churnguard.compute.measure import customer_spells
from churnguard.settings import ChurnSettings


def spells(src, as_of, **settings):
    frame = customer_spells(src, ChurnSettings(**settings), D(as_of)).to_pandas()
    frame = frame.sort_values(["customer_id", "spell_no"]).reset_index(drop=True)
    return [
        (r.customer_id, int(r.spell_no), r.active_from.date().isoformat(),
         None if r.lost_at is None or r.lost_at != r.lost_at else r.lost_at.date().isoformat())
        for r in frame.itertuples()
    ]


def test_noncontractual_lost_on_last_purchase_plus_threshold(duck):
    src = duck(transactions=[tx("a", "2024-01-01"), tx("a", "2024-02-01")])
    assert spells(src, "2024-12-31", threshold_days=90) == [("a", 1, "2024-01-01", "2024-05-01")]


def test_purchase_on_the_threshold_day_keeps_the_customer(duck):
    # 2024-01-01 + 90 days = 2024-03-31: buying that very day is not a loss (like a same-day renewal)
    src = duck(transactions=[tx("a", "2024-01-01"), tx("a", "2024-03-31")])
    assert spells(src, "2024-12-31", threshold_days=90) == [("a", 1, "2024-01-01", "2024-06-29")]


def test_buying_after_the_loss_is_a_reactivation(duck):
    src = duck(transactions=[tx("a", "2024-01-01"), tx("a", "2024-04-01")])
    assert spells(src, "2024-12-31", threshold_days=90) == [
        ("a", 1, "2024-01-01", "2024-03-31"),
        ("a", 2, "2024-04-01", "2024-06-30"),
    ]


def test_not_lost_before_the_gap_reaches_the_threshold_by_the_as_of_date(duck):
    src = duck(transactions=[tx("a", "2024-01-01")])
    assert spells(src, "2024-03-30", threshold_days=90) == [("a", 1, "2024-01-01", None)]
    assert spells(src, "2024-03-31", threshold_days=90) == [("a", 1, "2024-01-01", "2024-03-31")]


def test_nothing_after_the_as_of_date_is_read(duck):
    src = duck(transactions=[tx("a", "2024-01-01"), tx("a", "2024-03-01"), tx("b", "2024-03-01")])
    assert spells(src, "2024-02-15", threshold_days=90) == [("a", 1, "2024-01-01", None)]


def test_returns_are_not_purchases(duck):
    src = duck(transactions=[tx("a", "2024-01-01"), tx("a", "2024-03-01", amount=-10.0)])
    assert spells(src, "2024-12-31", threshold_days=90) == [("a", 1, "2024-01-01", "2024-03-31")]


def test_contract_lost_on_its_end_day(duck):
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-06-30")])
    assert spells(src, "2024-12-31") == [("x", 1, "2024-01-01", "2024-06-30")]
    assert spells(src, "2024-06-29") == [("x", 1, "2024-01-01", None)]
    # end_at is the last day covered: on it a renewal starting tomorrow is still possible
    assert spells(src, "2024-06-30") == [("x", 1, "2024-01-01", None)]
    assert spells(src, "2024-07-01") == [("x", 1, "2024-01-01", "2024-06-30")]


def test_same_day_renewal_is_no_loss(duck):
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-06-30"),
                          contract("c2", "x", "2024-06-30", "2024-12-31")])
    assert spells(src, "2025-03-31") == [("x", 1, "2024-01-01", "2024-12-31")]


def test_next_day_renewal_continues_and_a_gap_needs_a_grace_period(duck):
    """end_at is inclusive (2024-01-01 … 2024-06-30 is half a year): a renewal starting on
    2024-07-01 continues the relationship; one starting later needs grace days to bridge."""
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-06-30"),
                          contract("c2", "x", "2024-07-01", "2024-12-31")])
    assert spells(src, "2025-03-31", grace_days=0) == [("x", 1, "2024-01-01", "2024-12-31")]
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-06-30"),
                          contract("c2", "x", "2024-07-02", "2024-12-31")])
    assert spells(src, "2025-03-31", grace_days=0) == [
        ("x", 1, "2024-01-01", "2024-06-30"),
        ("x", 2, "2024-07-02", "2024-12-31"),
    ]
    assert spells(src, "2025-03-31", grace_days=1) == [("x", 1, "2024-01-01", "2024-12-31")]


@pytest.mark.parametrize(("renewal", "expected_spells"), [("2024-07-31", 1), ("2024-08-01", 2)])
def test_grace_period_boundary(duck, renewal, expected_spells):
    # ends 2024-06-30; the next day plus 30 grace days reaches 2024-07-31 inclusive
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-06-30"),
                          contract("c2", "x", renewal, "2025-06-30")])
    got = spells(src, "2024-12-31", grace_days=30)
    assert len(got) == expected_spells
    assert got[0][3] == (None if expected_spells == 1 else "2024-06-30")


def test_loss_is_pending_until_the_grace_period_has_passed(duck):
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-12-20")])
    assert spells(src, "2024-12-31", grace_days=30) == [("x", 1, "2024-01-01", None)]
    # a renewal could start up to 2025-01-19 (end + 1 + 30 days): the loss is known after it
    assert spells(src, "2025-01-19", grace_days=30) == [("x", 1, "2024-01-01", None)]
    assert spells(src, "2025-01-20", grace_days=30) == [("x", 1, "2024-01-01", "2024-12-20")]


def test_cancellation_ends_the_contract_once_known(duck):
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-12-31", cancelled="2024-05-10")])
    assert spells(src, "2024-12-31") == [("x", 1, "2024-01-01", "2024-05-10")]
    # a cancellation dated after the as-of date is not known yet
    assert spells(src, "2024-05-09") == [("x", 1, "2024-01-01", None)]


def test_overlapping_contracts_keep_the_customer_until_the_last_ends(duck):
    src = duck(contracts=[contract("c1", "x", "2024-01-01", "2024-12-31"),
                          contract("c2", "x", "2024-03-01", "2024-06-30"),
                          contract("c3", "x", "2024-06-01", "2025-02-28")])
    assert spells(src, "2025-06-30") == [("x", 1, "2024-01-01", "2025-02-28")]


def test_customers_with_a_contract_are_contractual_only(duck):
    # purchases of a contractual customer do not make non-contractual spells
    src = duck(transactions=[tx("x", "2023-01-01")],
               contracts=[contract("c1", "x", "2024-01-01", "2024-06-30")])
    assert spells(src, "2024-12-31") == [("x", 1, "2024-01-01", "2024-06-30")]
