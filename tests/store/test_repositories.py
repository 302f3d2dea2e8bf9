"""The store's repositories of login failures, the audit log and stored results answer alike on
DuckDB and PostgreSQL (their SQL is parameterised: placeholders differ by engine)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from churnguard.store import Workspace, write_snapshot
from churnguard.store import audit as audit_repo
from churnguard.store import logins as logins_repo
from churnguard.store.snapshots import customer_snapshot_rows, snapshot_names, stored_state

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
T0 = datetime(2026, 3, 1, 9, 0, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_login_failures(workspace: Workspace) -> None:
    store = workspace.store

    def step(failures: int | None, last: object) -> tuple[int, datetime | None]:
        n = (failures or 0) + 1
        return n, T0 + timedelta(seconds=n) if n > 1 else None

    assert logins_repo.record_failures(store, ["user:a", "address:1.2.3.4"], T0, step) == [
        ("user:a", 1, None), ("address:1.2.3.4", 1, None)]
    assert logins_repo.record_failures(store, ["user:a"], T0, step) == [("user:a", 2, T0 + timedelta(seconds=2))]
    assert [r[:2] for r in logins_repo.rows(store)] == [("address:1.2.3.4", 1), ("user:a", 2)]
    until = logins_repo.locked_until(store, ["user:a", "address:1.2.3.4", "user:nobody"])
    assert sorted(pd.Timestamp(v).to_pydatetime() for v in until if v is not None) == [T0 + timedelta(seconds=2)]
    assert logins_repo.clear(store, ["user:a", "user:nobody"]) == 1
    assert [r[0] for r in logins_repo.rows(store)] == ["address:1.2.3.4"]


@pytest.mark.parametrize("engine", ENGINES)
def test_audit_events(workspace: Workspace) -> None:
    store = workspace.store
    for n, (action, actor) in enumerate([("sign_in", "web:a"), ("import", "cli:b"), ("sign_in", "web:b")]):
        audit_repo.insert_event(store, {"event_id": f"e{n}", "at": T0 + timedelta(days=n), "actor": actor,
                                        "action": action, "subject": "x'; DROP TABLE users; --", "details": None,
                                        "address": None})
    cols = ("event_id", "action", "subject")
    assert [r[0] for r in audit_repo.event_rows(store, cols, limit=10)] == ["e2", "e1", "e0"]
    assert [r[0] for r in audit_repo.event_rows(store, cols, limit=2)] == ["e2", "e1"]
    assert [r[0] for r in audit_repo.event_rows(store, cols, limit=10, action="sign_in")] == ["e2", "e0"]
    assert [r[0] for r in audit_repo.event_rows(store, cols, limit=10, actor="cli:b")] == ["e1"]
    assert [r[0] for r in audit_repo.event_rows(store, cols, limit=10, since=T0 + timedelta(days=1))] == ["e2", "e1"]
    assert store.has_table("users")


@pytest.mark.parametrize("engine", ENGINES)
def test_stored_state_and_snapshot_rows(workspace: Workspace) -> None:
    store = workspace.store
    assert stored_state(store) == [("imports", 0, None, None), ("churn_reasons", 0, None, None)]
    for day, p in ((date(2024, 6, 30), 0.5), (date(2024, 9, 30), 0.25)):
        write_snapshot(store, "scores", day, pd.DataFrame({"customer_id": ["a", "b"], "p": [p, 0.1]}))
    assert snapshot_names(store) == ["scores"]
    state = sorted(stored_state(store), key=str)
    assert [tuple(map(str, r)) for r in state] == [("churn_reasons", "0", "None", "None"),
                                                   ("imports", "0", "None", "None"),
                                                   ("scores", "4", "2024-06-30", "2024-09-30")]
    rows = customer_snapshot_rows(store, "scores", "a", date(2024, 9, 30))
    assert rows["p"].tolist() == [0.25]
    typed = customer_snapshot_rows(store, "scores", "a", date(2024, 6, 30), typed=True)
    assert typed["p"].tolist() == [0.5] and typed["p"].dtype == float
