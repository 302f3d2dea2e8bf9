"""No look-ahead: features as of D do not change when records dated after D are added.

Two workspaces hold the same simulated company: one only what was known at the end of D
(records dated D or earlier; a complaint resolved later still open, an invoice paid later
unpaid, a later cancellation unknown), the other everything up to the end of the simulation.
Profiles, signals and features as of D must be identical.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from tests.simulated import load_tables

from churnguard.compute.detect import Records
from churnguard.compute.predict import features_as_of
from churnguard.simulate import simulate
from churnguard.store import Workspace

AS_OF = date(2026, 5, 20)
DATE_OF = {"transactions": "occurred_at", "contracts": "start_at", "interactions": "occurred_at",
           "complaints": "opened_at", "surveys": "answered_at", "churn-reasons": "recorded_at",
           "wallet-estimates": "period_start", "customers": "acquired_at"}
LATER_FACTS = {"transactions": ["paid_at"], "contracts": ["cancelled_at"], "complaints": ["resolved_at", "resolution"]}


def known_at(kind: str, frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    day = pd.Timestamp(as_of)
    frame = frame[frame[DATE_OF[kind]] <= day].copy()
    for col in LATER_FACTS.get(kind, []):
        later = frame[LATER_FACTS[kind][0]] > day
        frame.loc[later, col] = None
    return frame


@pytest.fixture(scope="module")
def two_workspaces(tmp_path_factory):
    sim = simulate(customers=400, months=18, seed=8)
    root = tmp_path_factory.mktemp("leak")
    full = Workspace.init(root / "full")
    cut = Workspace.init(root / "cut")
    load_tables(full, sim.tables)
    load_tables(cut, {k: known_at(k, f, AS_OF) for k, f in sim.tables.items()})
    for ws in (full, cut):
        ws.settings.model.observation_dates = 1
    yield full, cut
    full.close()
    cut.close()


def test_records_after_the_date_change_nothing(two_workspaces):
    full, cut = two_workspaces
    a = features_as_of(Records.from_store(full.store), full.settings, AS_OF)
    b = features_as_of(Records.from_store(cut.store), cut.settings, AS_OF)
    assert len(a.X) > 100
    pd.testing.assert_frame_equal(a.X.sort_index(), b.X.sort_index())
    pd.testing.assert_frame_equal(a.profile.sort_index(), b.profile.sort_index())
    pd.testing.assert_frame_equal(a.signals.sort_index(), b.signals.sort_index())


def test_the_full_workspace_does_hold_later_records(two_workspaces):
    full, cut = two_workspaces
    for name in ("transactions", "interactions", "complaints", "contracts"):
        assert full.store.count(name) > cut.store.count(name)
    later = Records.from_store(full.store)
    assert features_as_of(later, full.settings, date(2026, 9, 30)).X.shape != (0, 0)
