"""Suggested reasons as stored and as listed: never over a recorded reason, never twice, nothing
after the date read, the same on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from churnguard.schema import CHURN_REASONS, DATE_COLUMN
from churnguard.service.reason_suggestions import SuggestOptions, suggest_reasons
from churnguard.simulate import simulate
from churnguard.store import Workspace
from churnguard.store.reason_suggestions import insert_inferred
from tests.conftest import call
from tests.simulated import load_tables

AS_OF = date(2026, 6, 30)


def _reasons(ws: Workspace, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows, columns=["record_key", *CHURN_REASONS.column_names])
    ws.store.replace_rows(CHURN_REASONS, pa.Table.from_pandas(frame, preserve_index=False))


def _stored(ws: Workspace) -> list[tuple]:
    rows = ws.store.raw.execute("SELECT record_key, customer_id, recorded_at, reason, kind, notes, source, confidence "
                                "FROM churn_reasons ORDER BY record_key").fetchall()
    return [tuple(r) for r in rows]


def test_saving_never_overwrites_a_recorded_reason_and_twice_adds_nothing(workspace):
    _reasons(workspace, [
        {"record_key": "r1", "customer_id": "A", "recorded_at": date(2026, 1, 5), "reason": "price",
         "source": "interview", "notes": "涨价"},
        {"record_key": "r2", "customer_id": "D", "recorded_at": date(2026, 8, 1), "reason": "closure",
         "source": "interview", "notes": "倒闭"},  # recorded after the date: not known then
        {"record_key": "r3", "customer_id": "E", "recorded_at": date(2026, 2, 1), "reason": "service",
         "source": None, "notes": None},  # an imported reason without a source is recorded too
    ])
    rows = [{"customer_id": c, "reason": "promotion", "kind": "complete", "notes": f"{c} 对方促销", "confidence": 0.8}
            for c in ("A", "B", "C", "D", "E")]
    assert insert_inferred(workspace.store, AS_OF, rows) == 3
    first = _stored(workspace)
    assert insert_inferred(workspace.store, AS_OF, rows) == 0  # the same date again: nothing new
    assert _stored(workspace) == first
    inferred = [r for r in first if r[6] == "inferred"]
    assert [(r[0], r[1], r[2], r[3], r[7]) for r in inferred] == [
        (f"inferred:{c}:2026-06-30", c, AS_OF, "promotion", pytest.approx(0.8)) for c in ("B", "C", "D")]
    # the recorded rows are as they were
    assert [(r[0], r[3], r[6]) for r in first if r[6] != "inferred"] == [("r1", "price", "interview"),
                                                                         ("r2", "closure", "interview"),
                                                                         ("r3", "service", None)]
    # a later date is a new suggestion (the newest counts), still never for a recorded customer
    assert insert_inferred(workspace.store, date(2026, 9, 30), rows) == 2  # B and C; D is recorded by then


@pytest.fixture(scope="module")
def sim():
    return simulate(customers=1500, months=24, seed=5)


def _cut(tables: dict[str, pd.DataFrame], day: date) -> dict[str, pd.DataFrame]:
    """Every table with only the rows dated on or before ``day`` (and no later facts)."""
    out = {}
    for kind, frame in tables.items():
        name = kind.replace("-", "_")
        col = DATE_COLUMN.get(name) if name != "customers" else None
        out[kind] = frame[pd.to_datetime(frame[col]) <= pd.Timestamp(day)] if col else frame
    return out


def test_suggestions_read_nothing_after_the_date_and_save_once(sim, tmp_path):
    full, cut = tmp_path / "full", tmp_path / "cut"
    for path, tables in ((full, sim.tables), (cut, _cut(sim.tables, AS_OF))):
        ws = Workspace.init(path)
        with ws:
            load_tables(ws, tables)
    opts = SuggestOptions()
    a = call(full, suggest_reasons, opts, as_of=AS_OF).to_dict()
    assert a["trained_on"]["texts"] >= 20 and a["count"] > 0 and a["candidates"] > a["with_text"] > 0
    assert all(r["text_at"] <= AS_OF.isoformat() for r in a["data"])
    assert all(r["confidence"] >= a["min_confidence"] for r in a["data"])
    assert a["count"] == a["suggested"] and a["count"] + a["abstained"] == a["with_text"]
    # the same answers from records that end at the date
    b = call(cut, suggest_reasons, opts, as_of=AS_OF).to_dict()
    assert [(r["customer_id"], r["reason"], r["confidence"]) for r in a["data"]] == \
           [(r["customer_id"], r["reason"], r["confidence"]) for r in b["data"]]

    saved = call(full, suggest_reasons, SuggestOptions(save=True, limit=3), as_of=AS_OF).to_dict()
    assert saved["saved"] == a["count"] and saved["count"] == 3  # the limit shortens the list, not the save
    again = call(full, suggest_reasons, SuggestOptions(save=True), as_of=AS_OF).to_dict()
    assert again["saved"] == 0
    from churnguard.service import audit

    with Workspace.open(full) as ws:
        logged = audit.events(ws, action="reasons_inferred").to_dict()["data"]
    assert [e["details"]["saved"] for e in logged] == [saved["saved"]]  # the empty save logs nothing
    # training reads recorded reasons only: saved suggestions do not teach the next model
    assert again["trained_on"] == a["trained_on"] and again["data"] == a["data"]
    ws = Workspace.open(full)
    with ws:
        rows = ws.store.raw.execute("SELECT customer_id, recorded_at, reason, confidence, notes FROM churn_reasons "
                                    "WHERE source = 'inferred' ORDER BY customer_id").fetchall()
        recorded = {r[0] for r in ws.store.raw.execute(
            "SELECT customer_id FROM churn_reasons WHERE source <> 'inferred' AND recorded_at <= ?", (AS_OF,)).fetchall()}
    assert len(rows) == a["count"] and all(r[1] == AS_OF for r in rows)
    assert not {r[0] for r in rows} & recorded
    listed = {r["customer_id"]: r["reason"] for r in a["data"]}
    assert {r[0]: r[2] for r in rows} == listed


def test_too_little_to_learn_from_says_so_and_suggests_nothing(sim, tmp_path):
    tables = dict(sim.tables)
    tables["churn-reasons"] = sim.tables["churn-reasons"].head(5)
    ws = Workspace.init(tmp_path / "few")
    with ws:
        load_tables(ws, tables)
    d = call(tmp_path / "few", suggest_reasons, SuggestOptions(save=True), as_of=AS_OF).to_dict()
    assert d["data"] == [] and d["count"] == 0 and d["saved"] == 0
    assert d["message"].startswith("可供学习的文字太少：带备注的已记录流失原因只有 5 条")  # the workspace reads Chinese


@pytest.mark.postgres
def test_the_same_suggestions_on_postgresql(sim, tmp_path, pg_url):
    answers = []
    for name, url in (("duck", None), ("pg", pg_url)):
        ws = Workspace.init(tmp_path / name, database_url=url)
        with ws:
            load_tables(ws, sim.tables)
        d = call(tmp_path / name, suggest_reasons, SuggestOptions(save=True), as_of=AS_OF).to_dict()
        again = call(tmp_path / name, suggest_reasons, SuggestOptions(save=True), as_of=AS_OF).to_dict()
        assert d["saved"] == d["count"] > 0 and again["saved"] == 0
        answers.append([(r["customer_id"], r["reason"], r["confidence"], r["text"]) for r in d["data"]])
    assert answers[0] == answers[1]
