"""The one boundary of the churn definition, on every engine and in every place it is used.

docs/measure.md decides it once: a non-contractual customer is lost on ``last purchase +
threshold``; a purchase on that very day keeps it, a purchase one day later is a
reactivation. The spells (churn rate, cohorts), the per-customer status (defectors, model
labels) and the plain-pandas reference in ``bench/bench_measure.py`` must agree on it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from measure_rows import D, contract, load_store, tx

from churnguard.compute.detect import Records, customer_status
from churnguard.compute.measure import churn_rate, customer_spells
from churnguard.settings import ChurnSettings
from churnguard.store import Store

# a keeps buying exactly on the threshold day; b buys one day too late (lost, then reactivated)
ROWS = [
    tx("a", "2024-01-01"), tx("a", "2024-03-31"), tx("a", "2024-06-29"),  # gaps 90, 90
    tx("b", "2024-01-01"), tx("b", "2024-04-01"),  # gap 91
]
CHURN = ChurnSettings(threshold_days=90)


def _spells(src) -> list[tuple]:
    f = customer_spells(src, CHURN, D("2024-12-31")).to_pandas().sort_values(["customer_id", "spell_no"])
    return [(r.customer_id, int(r.spell_no), pd.Timestamp(r.active_from).date().isoformat(),
             None if pd.isna(r.lost_at) else pd.Timestamp(r.lost_at).date().isoformat())
            for r in f.itertuples()]


def test_spells_keep_a_purchase_on_the_threshold_day(engine):
    src = engine(transactions=ROWS)
    assert _spells(src) == [
        ("a", 1, "2024-01-01", "2024-09-27"),  # 2024-06-29 + 90
        ("b", 1, "2024-01-01", "2024-03-31"),  # 2024-01-01 + 90: lost the day before it bought
        ("b", 2, "2024-04-01", "2024-06-30"),  # the purchase a day late is a reactivation
    ]


def test_churn_rate_counts_the_boundary_once(engine):
    src = engine(transactions=ROWS)
    f = churn_rate(src, CHURN, as_of=D("2024-12-31"), period="quarter")
    got = {pd.Timestamp(r.period_start).date().isoformat():
           (int(r.customers_at_start), int(r.customers_lost), int(r.reactivated)) for r in f.itertuples()}
    # b is acquired and lost in Q1 (not active at its start); a buying on its threshold days
    # stays until 2024-09-27 (Q3); b's purchase a day late is Q2's reactivation
    assert got == {
        "2024-01-01": (0, 0, 0),
        "2024-04-01": (1, 0, 1),
        "2024-07-01": (1, 1, 0),
        "2024-10-01": (0, 0, 0),
    }


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """A store holding ``ROWS``: a DuckDB file, or the session's PostgreSQL database."""
    if request.param == "duckdb":
        s = Store(f"duckdb:///{tmp_path / 'b.duckdb'}")
        s.ensure_tables()
        load_store(s, {"customers": [], "transactions": ROWS, "contracts": []})
        yield s
        s.close()
    else:
        s = request.getfixturevalue("measure_pg_store")
        load_store(s, {"customers": [], "transactions": ROWS, "contracts": []})
        yield s


@pytest.mark.parametrize(("as_of", "expected"), [
    ("2024-03-30", {"a": (False, None), "b": (False, None)}),
    ("2024-03-31", {"a": (False, None), "b": (True, "2024-03-31")}),  # a bought on its threshold day
    ("2024-06-28", {"a": (False, None), "b": (False, None)}),  # b came back on 04-01
    ("2024-06-30", {"a": (False, None), "b": (True, "2024-06-30")}),
    ("2024-09-27", {"a": (True, "2024-09-27"), "b": (True, "2024-06-30")}),
])
def test_status_agrees_with_the_spells_on_the_boundary(store, as_of, expected):
    st = customer_status(Records.from_store(store), CHURN, D(as_of)).to_pandas()
    got = {r.customer_id: (bool(r.lost), None if pd.isna(r.lost_at) else pd.Timestamp(r.lost_at).date().isoformat())
           for r in st.itertuples()}
    assert got == expected


def test_the_bench_reference_decides_the_boundary_the_same_way(duck):
    """``bench/bench_measure.py``'s plain-pandas spells give the engine's spells on these rows."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    try:
        import bench_measure
    finally:
        sys.path.pop(0)
    # and the contractual boundary: a renewal the day after the end continues the cover; a
    # loss on the end day is known only once the as-of date is past end + grace
    contracts = [contract("c1", "x", "2024-01-01", "2024-06-30"), contract("c2", "x", "2024-07-01", "2024-12-30"),
                 contract("c3", "y", "2024-01-01", "2024-12-31")]
    src = duck(transactions=ROWS, contracts=contracts)
    frames = {"transactions": src.transactions.to_pandas(), "contracts": src.contracts.to_pandas()}
    for f in frames.values():
        for c in f.columns:
            if c.endswith("_at"):
                f[c] = pd.to_datetime(f[c])
    ref = bench_measure.pd_spells(frames["transactions"], frames["contracts"], 90, 0)
    ref = ref.sort_values(["customer_id", "spell_no"])
    got = [(r.customer_id, int(r.spell_no), r.active_from.date().isoformat(),
            None if pd.isna(r.lost_at) else r.lost_at.date().isoformat()) for r in ref.itertuples()]
    assert got == _spells(src)
    assert ("x", 1, "2024-01-01", "2024-12-30") in got and ("y", 1, "2024-01-01", None) in got
