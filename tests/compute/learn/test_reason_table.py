"""The reason of each defector and the reason table, on hand-built records in a real workspace."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from churnguard.compute.learn.reason_table import (
    NOT_RECORDED,
    defector_reasons,
    reason_table,
    with_reasons,
)
from churnguard.schema import TABLES
from churnguard.store import Records, Workspace

TYPES = {"string": pa.string(), "date": pa.date32(), "float64": pa.float64(), "int64": pa.int64(),
         "boolean": pa.bool_()}


def put_reasons(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """Replace the stored churn reasons with ``rows`` (dates as ISO text)."""
    table = TABLES["churn_reasons"]
    rows = [{**r, "recorded_at": date.fromisoformat(r["recorded_at"])} for r in rows]
    data = {c.name: pa.array([r.get(c.name) for r in rows], TYPES[c.type]) for c in table.columns}
    ws.store.replace_rows(table, pa.table(data))


def R(cid: str, day: str, reason: str, source: str | None = "interview", **kw: Any) -> dict[str, Any]:
    return {"customer_id": cid, "recorded_at": day, "reason": reason, "source": source, **kw}


ROWS = [
    # A: an older interview, then a newer one: the newer counts
    R("A", "2026-01-10", "service"), R("A", "2026-03-01", "price", competitor="对手甲", recoverable=True),
    # B: recorded (no source: an imported file) and a newer inferred one: the recorded one counts
    R("B", "2026-02-01", "closure", None), R("B", "2026-05-01", "price", "inferred", confidence=0.9),
    # C: only inferred: the most confident of the newest day
    R("C", "2026-04-01", "product", "inferred", confidence=0.55),
    R("C", "2026-04-01", "technology", "inferred", confidence=0.8),
    # D: two recorded on one day: the interview beats the survey
    R("D", "2026-02-02", "market", "survey"), R("D", "2026-02-02", "business_change", "interview"),
    # E: recorded after the date asked for: not known then
    R("E", "2026-07-15", "promotion"),
]


def test_newest_recorded_wins_inferred_only_without_one(workspace: Workspace) -> None:
    put_reasons(workspace, ROWS)
    got = defector_reasons(Records.from_store(workspace.store), date(2026, 6, 30)).set_index("customer_id")
    assert list(got.index) == ["A", "B", "C", "D"]  # E recorded after the date
    assert got.loc["A", "reason"] == "price" and got.loc["A", "competitor"] == "对手甲"
    assert bool(got.loc["A", "recoverable"]) is True
    assert (got.loc["B", "reason"], got.loc["B", "reason_source"]) == ("closure", "recorded")
    assert (got.loc["C", "reason"], got.loc["C", "reason_source"]) == ("technology", "inferred")
    assert got.loc["C", "confidence"] == pytest.approx(0.8)
    assert got.loc["D", "reason"] == "business_change"
    # without a date every stored row counts; stored order never decides
    put_reasons(workspace, list(reversed(ROWS)))
    later = defector_reasons(Records.from_store(workspace.store), None).set_index("customer_id")
    assert later.loc["E", "reason"] == "promotion"
    assert later.loc[["A", "B", "C", "D"], "reason"].tolist() == ["price", "closure", "technology", "business_change"]
    only = defector_reasons(Records.from_store(workspace.store), None, ["C", "Z"])
    assert only["customer_id"].tolist() == ["C"]


def test_a_reason_recorded_after_the_date_is_not_used(duck_workspace: Workspace) -> None:
    put_reasons(duck_workspace, [R("A", "2026-01-10", "service"), R("A", "2026-08-01", "price")])
    records = Records.from_store(duck_workspace.store)
    assert defector_reasons(records, date(2026, 7, 31))["reason"].tolist() == ["service"]
    assert defector_reasons(records, date(2026, 8, 1))["reason"].tolist() == ["price"]
    assert defector_reasons(records, date(2026, 1, 9)).empty


def _defectors() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["A", "B", "C", "D", "P", "Q", "X"],
        "kind": ["complete", "complete", "complete", "complete", "partial", "partial", "complete"],
        "lost_at": pd.to_datetime(["2026-02-15", "2026-01-20", "2026-04-10", "2025-12-31", None, None, "2026-05-05"]),
        "lost_value": [100.0, 300.0, 50.0, 250.0, 80.0, 20.0, 200.0],
        "segment": ["零售", "零售", "制造业", "制造业", "零售", None, "零售"],
    })


def test_reason_table_counts_shares_and_controllable_split(duck_workspace: Workspace) -> None:
    put_reasons(duck_workspace, ROWS + [R("P", "2026-06-01", "price"), R("Q", "2026-06-02", "other")])
    known = defector_reasons(Records.from_store(duck_workspace.store), date(2026, 6, 30))
    frame = with_reasons(_defectors(), known)
    assert frame.loc[frame["customer_id"] == "X", "reason"].tolist() == [None]
    t = reason_table(frame, by="segment", found_on=date(2026, 6, 30))
    rows = t.rows.set_index("reason")
    # A price 100, P price 80; B closure 300; C technology (inferred) 50; D business change 250;
    # Q other 20; X no reason 200
    assert rows.loc["price", "defectors"] == 2 and rows.loc["price", "lost_value"] == 180.0
    assert rows.loc["price", "complete"] == 1 and rows.loc["price", "partial"] == 1
    assert rows.loc["technology", "inferred"] == 1 and rows.loc["closure", "inferred"] == 0
    assert rows.loc[NOT_RECORDED, "defectors"] == 1 and rows.loc[NOT_RECORDED, "lost_value"] == 200.0
    assert rows.loc["price", "controllable"] is True and rows.loc["closure", "controllable"] is False
    assert rows.loc["other", "controllable"] is None and rows.loc[NOT_RECORDED, "controllable"] is None
    assert rows["share"].sum() == pytest.approx(1.0) and rows["lost_value_share"].sum() == pytest.approx(1.0)
    assert rows["defectors"].sum() == 7 and rows.loc["closure", "share"] == pytest.approx(1 / 7)
    assert t.rows["reason"].iloc[0] == "price"  # most defectors first
    tot = t.totals
    assert (tot["controllable"]["defectors"], tot["uncontrollable"]["defectors"], tot["unknown"]["defectors"]) == (3, 2, 2)
    assert (tot["controllable"]["lost_value"], tot["uncontrollable"]["lost_value"], tot["unknown"]["lost_value"]) == (
        230.0, 550.0, 220.0)
    assert sum(v["defectors"] for v in tot.values()) == 7
    assert sum(v["share"] for v in tot.values()) == pytest.approx(1.0)
    assert tot["controllable"]["share_of_known"] == pytest.approx(3 / 5)
    # trend: complete by the quarter of the loss, partial by the quarter of the date found
    trend = {(r.quarter, r.reason): r.defectors for r in t.trend.itertuples()}
    assert trend == {("2025-Q4", "business_change"): 1, ("2026-Q1", "price"): 1, ("2026-Q1", "closure"): 1,
                     ("2026-Q2", "technology"): 1, ("2026-Q2", "price"): 1, ("2026-Q2", "other"): 1,
                     ("2026-Q2", NOT_RECORDED): 1}
    by = t.by
    retail = by[by["group"] == "零售"].set_index("reason")
    assert retail.loc["price", "defectors"] == 2 and retail.loc["price", "share"] == pytest.approx(2 / 4)
    assert retail["share"].sum() == pytest.approx(1.0)
    assert by[by["group"].isna()]["reason"].tolist() == ["other"]
    assert by["defectors"].sum() == 7


def test_no_defectors_no_rows() -> None:
    empty = _defectors().head(0).assign(reason=[], reason_source=[])
    t = reason_table(empty, by="segment")
    assert t.rows.empty and t.trend.empty and t.by is not None and t.by.empty
    assert t.totals["controllable"] == {"defectors": 0, "lost_value": 0.0, "share": None, "lost_value_share": None,
                                        "share_of_known": None}
    with pytest.raises(ValueError, match="by must be one of"):
        reason_table(empty, by="colour")


def test_missing_text_is_none_not_na(duck_workspace: Workspace) -> None:
    put_reasons(duck_workspace, [R("A", "2026-01-10", "service", competitor="  "), R("B", "2026-01-10", "price")])
    got = defector_reasons(Records.from_store(duck_workspace.store), None)
    assert got["competitor"].tolist() == [None, None] and got["notes"].tolist() == [None, None]
