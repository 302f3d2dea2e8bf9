"""The worklist: living customers at risk, ranked, narrowed and paged for the people who call them.

Pure functions over the stored scores of one run (see ``churnguard run``): they read nothing
and open nothing. The filters and the page are built on the scores as a lazy table (an Ibis
expression), so the engine narrows and sorts where the rows are — a worklist page of a million
scored customers reads 20 rows, not 700,000; the page that comes back is a pandas DataFrame.

Order: the riskiest value first (``value_at_risk``, ties by customer id), the rank the run
stored; the early warnings (customers not yet overdue) by their own value at risk
(``early_rank``). Filter values are compared by the engine as values, never pasted into SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pandas as pd

from churnguard.compute.detect.words import in_language
from churnguard.compute.predict import split_reasons
from churnguard.compute.predict.early import EARLY

#: a customer's reasons as stored with its scores (JSON text): all, what changed, the likely cause
REASON_LISTS = ("reasons", "changes", "causes")
#: the worklist's columns, in this order (those the run stored)
WORKLIST_COLUMNS = ("rank", "customer_id", "name", "probability", "expected_value", "value_source", "value_at_risk",
                    "warning", "early_probability", "early_value_at_risk", "expected_days_to_churn", "reasons",
                    "changes", "causes", "signals", "relationship", "segment", "customer_type", "csm")


@dataclass(frozen=True)
class WorklistFilter:
    """What narrows the worklist: a least expected value, a segment, a CSM's customers, a
    warning-signal rule that fired, the early warnings only."""

    min_value: float | None = None
    segment: str | None = None
    csm: str | None = None
    signal: str | None = None
    early: bool = False

    @property
    def values(self) -> tuple:
        """The narrowing values (not ``early``), e.g. as a key of remembered counts."""
        return (self.min_value, self.segment, self.csm, self.signal)

    @property
    def narrows(self) -> bool:
        """Whether any value narrows the list (``early`` aside)."""
        return self.values != (None,) * 4


def narrow(scores: ibis.Table, f: WorklistFilter) -> ibis.Table:
    """The scored customers that pass ``f``."""
    if f.min_value is not None:
        scores = scores.filter(scores.expected_value >= f.min_value)
    if f.segment is not None:
        scores = scores.filter(scores.segment == f.segment)
    if f.csm is not None:
        scores = scores.filter(scores.csm == f.csm)
    if f.signal is not None:
        fired = ibis.literal(",") + scores.signals.fill_null("") + ibis.literal(",")
        scores = scores.filter(fired.contains(ibis.literal(f",{f.signal},")))
    if f.early:
        scores = scores.filter(scores.warning == EARLY)
    return scores


def page(scores: ibis.Table, f: WorklistFilter, top: int, offset: int = 0) -> ibis.Table:
    """``top`` rows of the narrowed worklist in its order, from ``offset``.

    ``scores`` is :func:`narrow`'s table. A run stores its scores with their ``rank``: a page
    of the whole list is then a range of ranks, not a sort of every row; scores stored before
    ranks were are sorted by value at risk (ties by customer id).
    """
    if f.early:  # the early warnings' own order
        return scores.order_by([scores["early_rank"], scores.customer_id]).limit(top, offset=offset)
    if "rank" in scores.columns:
        if not f.narrows:
            return scores.filter((scores["rank"] > offset) & (scores["rank"] <= offset + top)).order_by(scores["rank"])
        return scores.order_by(scores["rank"]).limit(top, offset=offset)
    return scores.order_by([scores.value_at_risk.desc(), scores.customer_id]).limit(top, offset=offset)


def numbered(rows: pd.DataFrame, offset: int = 0) -> pd.DataFrame:
    """A page's rows with their place in this list (``rank``, from ``offset + 1``), filtered or
    not, in place of the places the run stored."""
    out = rows.drop(columns=["rank", "early_rank"], errors="ignore")
    out.insert(0, "rank", np.arange(offset + 1, offset + len(out) + 1))
    return out


def with_reasons(rows: pd.DataFrame, language: str | None, stored_language: str) -> pd.DataFrame:
    """The reasons of a page as lists (the run stores them as JSON text), in ``language`` (None:
    as stored, in ``stored_language``); a run stored before reasons came in two lists has its
    ``changes`` and ``causes`` split from its reasons here."""
    out = rows.copy()
    for col in REASON_LISTS:
        if col in out.columns:
            out[col] = out[col].map(
                lambda t: in_language(json.loads(t), language) if isinstance(t, str) and t else [])
    if "changes" not in out.columns:
        split = [split_reasons(r, language or stored_language) for r in out["reasons"]]
        out["changes"] = [c for c, _ in split]
        out["causes"] = [c for _, c in split]
    return out


def worklist_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """The worklist's columns (:data:`WORKLIST_COLUMNS`) that ``rows`` has, in their order."""
    return rows[[c for c in WORKLIST_COLUMNS if c in rows.columns]]


def choices(present: pd.DataFrame, rules: Any) -> dict[str, list[str]]:
    """What a worklist can be narrowed to: ``{"segments", "csms", "signals"}`` from the distinct
    ``segment, csm, signals`` rows of its scores; signals in the order of ``rules``."""
    fired = {s for text in present["signals"].dropna() for s in text.split(",") if s}
    return {
        "segments": sorted(present["segment"].dropna().unique().tolist()),
        "csms": sorted(present["csm"].dropna().unique().tolist()),
        "signals": [s for s in rules if s in fired],
    }


def summary(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """A few worklist rows said briefly (a demo's summary): ``{"customer_id", "probability",
    "value_at_risk", "reasons": [text, …], "causes": [text, …]}``."""
    return [
        {"customer_id": r["customer_id"], "probability": round(float(r["probability"]), 3),
         "value_at_risk": round(float(r["value_at_risk"]), 2), "reasons": [x["text"] for x in r["reasons"]],
         "causes": [x["text"] for x in r.get("causes") or []]}
        for r in rows.to_dict(orient="records")
    ]
