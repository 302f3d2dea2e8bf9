"""The worklist's ranking and narrowing on a few scored customers (no workspace needed)."""

from __future__ import annotations

import json

import ibis
import pandas as pd

from churnguard.act import worklist
from churnguard.act.worklist import WorklistFilter

REASON = [{"code": "spend_drop", "family": "spend", "text": "消费下降", "values": {}}]


def scores() -> pd.DataFrame:
    """Stored as a run stores them: riskiest value first with its rank; early warnings ranked apart."""
    return pd.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "value_at_risk": [500.0, 400.0, 300.0, 200.0, 100.0],
        "expected_value": [5000.0, 800.0, 3000.0, 400.0, 2000.0],
        "segment": ["key", "small", "key", None, "key"],
        "csm": ["Li", "Wang", "Li", "Li", None],
        "signals": ["complaint,contact_drop", "", "contact_drop", None, "complaint"],
        "warning": ["overdue", "early", "early", "overdue", "early"],
        "early_rank": [None, 2.0, 1.0, None, 3.0],
        "rank": [1, 2, 3, 4, 5],
        "reasons": [json.dumps(REASON)] * 5,
    })


def page(f: WorklistFilter, top: int = 10, offset: int = 0) -> list[str]:
    t = ibis.memtable(scores())
    return worklist.page(worklist.narrow(t, f), f, top, offset).to_pandas()["customer_id"].tolist()


def test_whole_list_pages_are_ranges_of_the_stored_rank() -> None:
    assert page(WorklistFilter()) == ["C1", "C2", "C3", "C4", "C5"]
    assert page(WorklistFilter(), top=2, offset=2) == ["C3", "C4"]


def test_filters_narrow_by_value_segment_csm_and_signal() -> None:
    assert page(WorklistFilter(min_value=1000)) == ["C1", "C3", "C5"]
    assert page(WorklistFilter(segment="key", csm="Li")) == ["C1", "C3"]
    # a rule fired is a whole name in the comma-joined list, never a part of one
    assert page(WorklistFilter(signal="complaint")) == ["C1", "C5"]
    assert page(WorklistFilter(signal="contact")) == []
    assert page(WorklistFilter(segment="key"), top=1, offset=1) == ["C3"]


def test_early_warnings_in_their_own_order() -> None:
    assert page(WorklistFilter(early=True)) == ["C3", "C2", "C5"]
    assert WorklistFilter(early=True).narrows is False and WorklistFilter(csm="Li").narrows


def test_a_page_is_numbered_from_its_offset_and_its_reasons_read_in_a_language() -> None:
    rows = worklist.numbered(scores().iloc[2:4].reset_index(drop=True), offset=2)
    assert rows["rank"].tolist() == [3, 4] and "early_rank" not in rows.columns
    said = worklist.with_reasons(rows, "en", "zh")
    assert isinstance(said.loc[0, "reasons"], list) and {"changes", "causes"} <= set(said.columns)
    assert list(worklist.worklist_columns(said).columns)[:2] == ["rank", "customer_id"]


def test_choices_are_the_values_present() -> None:
    found = worklist.choices(scores()[["segment", "csm", "signals"]], ["contact_drop", "complaint", "chain"])
    assert found == {"segments": ["key", "small"], "csms": ["Li", "Wang"], "signals": ["contact_drop", "complaint"]}
