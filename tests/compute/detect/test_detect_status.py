"""Active or lost as of a date: hand-built cases, and agreement with measure's spells."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from detect_rows import D, contract, put, tx

from churnguard.compute.detect import Records, customer_status, lost_within
from churnguard.compute.measure import customer_spells
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.store import Workspace


def status(ws, settings, as_of):
    frame = customer_status(Records.from_store(ws.store), settings.churn, D(as_of)).to_pandas()
    frame = frame.set_index("customer_id")
    return {
        cid: (bool(r.lost), None if pd.isna(r.lost_at) else pd.Timestamp(r.lost_at).date().isoformat())
        for cid, r in frame.iterrows()
    }


def test_non_contractual_lost_when_the_gap_reaches_the_threshold(ws, settings):
    put(ws, transactions=[tx("a", "2024-01-01"), tx("a", "2024-02-01"), tx("a", "2024-02-10", amount=-5)])
    assert status(ws, settings, "2024-05-01") == {"a": (True, "2024-05-01")}
    assert status(ws, settings, "2024-04-30") == {"a": (False, None)}
    assert status(ws, settings, "2023-12-31") == {}


def test_next_day_renewal_continues_the_cover(ws, settings):
    put(ws, contracts=[contract("c1", "x", "2024-01-01", "2024-06-30"), contract("c2", "x", "2024-07-01", "2024-12-31")])
    assert status(ws, settings, "2024-07-15") == {"x": (False, None)}
    assert status(ws, settings, "2024-12-31") == {"x": (False, None)}
    assert status(ws, settings, "2025-01-01") == {"x": (True, "2024-12-31")}
    settings.churn.grace_days = 10
    assert status(ws, settings, "2025-01-10") == {"x": (False, None)}
    assert status(ws, settings, "2025-01-11") == {"x": (True, "2024-12-31")}


def test_a_cancellation_counts_from_the_day_it_happens(ws, settings):
    put(ws, contracts=[contract("c1", "x", "2024-01-01", "2024-12-31", cancelled_at=D("2024-05-01"))])
    assert status(ws, settings, "2024-04-15") == {"x": (False, None)}
    assert status(ws, settings, "2024-06-01") == {"x": (True, "2024-05-01")}


def test_lost_within_the_horizon(ws, settings):
    put(ws, transactions=[tx("a", "2024-01-10"), tx("b", "2024-01-10"), tx("b", "2024-03-20"), tx("c", "2023-06-01")])
    lab = lost_within(Records.from_store(ws.store), settings.churn, D("2024-03-01"), 90).to_pandas()
    assert dict(zip(lab["customer_id"], lab["lost"], strict=True)) == {"a": True, "b": False}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "d"
    build_demo(DemoOptions(path, customers=400, months=12, seed=11))
    return path


@pytest.mark.parametrize("as_of", ["2026-03-31", "2026-09-30"])
def test_status_agrees_with_the_latest_spell_of_measure(small_demo, as_of):
    with Workspace.open(small_demo) as ws:
        mine = customer_status(Records.from_store(ws.store), ws.settings.churn, D(as_of)).to_pandas()
        src = Records.from_store(ws.store)
        spells = customer_spells(src, ws.settings.churn, D(as_of)).to_pandas()
    latest = spells.sort_values("spell_no").groupby("customer_id").tail(1).set_index("customer_id")
    mine = mine.set_index("customer_id").loc[latest.index]
    assert (mine["lost"].to_numpy() == latest["lost_at"].notna().to_numpy()).all()
    lost = mine["lost"].to_numpy()
    assert (pd.to_datetime(mine["lost_at"])[lost] == pd.to_datetime(latest["lost_at"])[lost]).all()
    assert (mine["relationship"] == latest["relationship"]).all()
