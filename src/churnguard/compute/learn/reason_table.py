"""Why defectors left: each defector's reason as of a date, and the reason table of a period.

The reason of a customer
    The newest *recorded* churn-reason row known at the date counts: any source but
    ``inferred`` (an interview, a survey, an imported file with no source). A reason
    ``inferred`` from free text counts only where the customer has no recorded one, and is
    marked so (``reason_source = inferred``). Rows of the same date are ordered by source
    (interview, then survey, then the rest), then, for inferred ones, by confidence (highest
    first), then by reason, secondary reason and competitor, so the choice never depends on the
    order rows were stored in.

The reason table
    One row per reason of the given defectors (defectors without a known reason under
    ``not_recorded``): how many, the value they took with them, their shares, and whether the
    reason is one the company controls (``vocab.CHURN_REASONS``: price, product, service,
    promotion, market and technology are; business change and closure are not; ``other`` and
    ``not_recorded`` are unknown). Totals by controllability; a trend by calendar quarter
    (complete defectors by the quarter of their loss date; partial ones, and complete ones found
    by a low P(alive), by the quarter of the date they were found as of: they have no loss date); an optional breakdown by segment,
    region, CSM or customer type.

Pure: the functions read :class:`~churnguard.store.records.Records` or take data frames, and
write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from churnguard.store.records import Records
from churnguard.vocab import CHURN_REASONS

#: the bucket of defectors with no known reason
NOT_RECORDED = "not_recorded"
#: what a reason table can be broken down by (columns of the defectors frame)
BY_CHOICES = ("segment", "region", "csm", "customer_type")
#: ``reason_source`` of a reason someone recorded, and of one suggested from text
RECORDED, INFERRED = "recorded", "inferred"
#: the columns of :func:`defector_reasons`
REASON_COLUMNS = ("customer_id", "reason", "secondary_reason", "competitor", "recoverable", "recorded_at", "kind",
                  "source", "reason_source", "confidence", "notes")
#: a page of ids is asked for by value (``IN``); more are filtered after reading every reason:
#: a long ``IN`` list costs more than the whole table (DuckDB, 2,000-customer demo: 500 ids
#: 0.26 s, every reason row 0.06 s)
FEW_IDS = 100
#: rows of one date: which source wins (lower first); any other source after these
_SOURCE_ORDER = {"interview": 0, "survey": 1}
#: controllability classes, in the order totals list them
CLASSES = ("controllable", "uncontrollable", "unknown")
#: the columns of a reason table's rows, its trend and its breakdown
ROW_COLUMNS = ("reason", "controllable", "defectors", "complete", "partial", "inferred", "lost_value", "share",
               "lost_value_share")
TREND_COLUMNS = ("quarter", "reason", "defectors", "complete", "partial")
BY_COLUMNS = ("group", "reason", "controllable", "defectors", "lost_value", "share")


def controllable(reason: str) -> bool | None:
    """Whether the company controls ``reason`` (None: unknown — ``other``, ``not_recorded`` or a
    word outside the vocabulary)."""
    term = CHURN_REASONS.get(reason)
    return term.controllable if term is not None else None


def class_of(reason: str) -> str:
    """``controllable``, ``uncontrollable`` or ``unknown``."""
    c = controllable(reason)
    return "unknown" if c is None else ("controllable" if c else "uncontrollable")


def _text(values: pd.Series) -> pd.Series:
    """Trimmed text, None where empty."""
    out = values.astype("string").str.strip()
    keep = (out.notna() & (out != "")).fillna(False).to_numpy(dtype=bool)
    return pd.Series([v if k else None for v, k in zip(out.astype(object), keep, strict=True)], index=values.index,
                     dtype=object)


def defector_reasons(records: Records, as_of: date | None, customer_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per customer with a reason known at the end of ``as_of`` (None: every stored row).

    Parameters
    ----------
    records : Records
        The stored records (a cut at ``as_of`` is applied here).
    as_of : date or None
        Rows recorded after it are not read.
    customer_ids : list of str, optional
        Only these customers (a page of a list); default every customer with a reason.

    Returns
    -------
    pandas.DataFrame
        :data:`REASON_COLUMNS`, one row per customer, in customer order; ``reason_source`` is
        ``recorded`` or ``inferred``.
    """
    t = records.churn_reasons
    if as_of is not None:
        t = t.filter(t.recorded_at <= as_of)
    ids = None
    if customer_ids is not None:
        ids = sorted({str(c) for c in customer_ids if c is not None})
        if not ids:
            return pd.DataFrame(columns=list(REASON_COLUMNS))
        if len(ids) <= FEW_IDS:
            t = t.filter(t.customer_id.isin(ids))
    cols = ["customer_id", "recorded_at", "reason", "secondary_reason", "competitor", "recoverable", "kind", "source",
            "confidence", "notes"]
    frame = t.select(*cols).to_pandas()
    if ids is not None and len(ids) > FEW_IDS:
        frame = frame[frame["customer_id"].isin(ids)]
    if frame.empty:
        return pd.DataFrame(columns=list(REASON_COLUMNS))
    for col in ("reason", "secondary_reason", "competitor", "kind", "notes"):
        frame[col] = _text(frame[col])
    source = _text(frame["source"]).map(lambda s: s.lower() if isinstance(s, str) else s)
    frame["source"] = source
    frame = frame[frame["reason"].notna()].copy()
    inferred = (source == INFERRED).reindex(frame.index).fillna(False).astype(bool)
    frame["reason_source"] = np.where(inferred, INFERRED, RECORDED)
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"])
    frame["confidence"] = pd.to_numeric(frame["confidence"], errors="coerce")
    keys = pd.DataFrame({
        "customer_id": frame["customer_id"].astype(str),
        "inferred": inferred.astype(int),  # recorded (0) before inferred (1)
        "day": -frame["recorded_at"].astype("int64"),  # newest first
        "source": frame["source"].map(lambda s: _SOURCE_ORDER.get(s, 2)),
        "confidence": -frame["confidence"].fillna(-1.0),  # most confident first
        "reason": frame["reason"].fillna(""),
        "secondary": frame["secondary_reason"].fillna(""),
        "competitor": frame["competitor"].fillna(""),
        "notes": frame["notes"].fillna(""),
    }, index=frame.index)
    order = keys.sort_values(list(keys.columns), kind="stable").index
    chosen = frame.loc[order].drop_duplicates("customer_id", keep="first")
    chosen = chosen.sort_values("customer_id", kind="stable").reset_index(drop=True)
    chosen["recoverable"] = chosen["recoverable"].astype(object).where(chosen["recoverable"].notna(), None)
    return chosen[list(REASON_COLUMNS)]


def with_reasons(defectors: pd.DataFrame, reasons: pd.DataFrame) -> pd.DataFrame:
    """``defectors`` with the ``reason``, ``reason_source`` and ``competitor`` of each (None where
    there is no known reason), in their order."""
    known = reasons.drop_duplicates("customer_id").set_index("customer_id") if len(reasons) else None
    out = defectors.copy()
    ids = out["customer_id"].astype(str)
    for col in ("reason", "reason_source", "competitor"):
        values = ids.map(known[col]) if known is not None else pd.Series(None, index=out.index, dtype=object)
        out[col] = values.astype(object).where(values.notna(), None)
    return out


def quarter_of(day: Any) -> str | None:
    """``2026-Q3`` for a date (None for none)."""
    if day is None or pd.isna(day):
        return None
    ts = pd.Timestamp(day)
    return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"


@dataclass
class ReasonTable:
    """The reason table of some defectors.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per reason, most defectors first: ``reason, controllable, defectors, complete,
        partial, inferred, lost_value, share, lost_value_share``.
    totals : dict
        ``{"controllable" | "uncontrollable" | "unknown": {defectors, lost_value, share,
        lost_value_share, share_of_known}}``; ``share_of_known`` is the share among the
        defectors whose reason is controllable or not (None for unknown).
    trend : pandas.DataFrame
        ``quarter, reason, defectors, complete, partial``, by quarter then reason.
    by : pandas.DataFrame or None
        ``group, reason, controllable, defectors, lost_value, share`` (share within the group).
    """

    rows: pd.DataFrame
    totals: dict[str, dict[str, Any]]
    trend: pd.DataFrame
    by: pd.DataFrame | None = None


def _share(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


def _reason_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Most defectors first, then most value, then the vocabulary's order (not_recorded last)."""
    rank = {k: i for i, k in enumerate([*CHURN_REASONS, NOT_RECORDED])}
    keys = pd.DataFrame({"n": -rows["defectors"], "v": -rows["lost_value"],
                         "r": rows["reason"].map(lambda r: rank.get(r, len(rank))), "k": rows["reason"]})
    return rows.loc[keys.sort_values(["n", "v", "r", "k"], kind="stable").index].reset_index(drop=True)


def reason_table(defectors: pd.DataFrame, by: str | None = None, found_on: date | None = None) -> ReasonTable:
    """The reason table of ``defectors``.

    Parameters
    ----------
    defectors : pandas.DataFrame
        One row per defector: ``customer_id``, ``kind`` (complete or partial), ``lost_at`` (the
        loss date of a complete defector), ``lost_value``, ``reason`` (None: not known) and
        ``reason_source`` (``recorded`` or ``inferred``); and the ``by`` column when given.
    by : {"segment", "region", "csm", "customer_type"}, optional
        Break the table down by this column too (a missing value is its own group, None).
    found_on : date, optional
        The date the defectors were found as of: the quarter in the trend of a defector with no
        loss date (partial, or complete by a low P(alive)); default: such defectors are left out
        of the trend.
    """
    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"by must be one of {', '.join(BY_CHOICES)} (got {by!r})")
    if defectors.empty:
        return _empty(by)
    f = defectors.copy()
    f["reason"] = f["reason"].astype(object).where(f["reason"].notna(), NOT_RECORDED)
    f["lost_value"] = pd.to_numeric(f["lost_value"], errors="coerce").fillna(0.0).astype(float)
    f["inferred"] = f["reason_source"] == INFERRED
    f["complete"] = f["kind"] == "complete"
    f["partial"] = f["kind"] == "partial"
    n_all, v_all = len(f), float(f["lost_value"].sum())

    rows = f.groupby("reason", sort=False).agg(
        defectors=("customer_id", "size"), complete=("complete", "sum"), partial=("partial", "sum"),
        inferred=("inferred", "sum"), lost_value=("lost_value", "sum")).reset_index()
    rows = rows.astype({"defectors": "int64", "complete": "int64", "partial": "int64", "inferred": "int64"})
    rows.insert(1, "controllable", rows["reason"].map(controllable).astype(object))
    rows["share"] = [_share(n, n_all) for n in rows["defectors"]]
    rows["lost_value_share"] = [_share(v, v_all) for v in rows["lost_value"]]
    rows["lost_value"] = rows["lost_value"].round(2)
    rows = _reason_order(rows)[list(ROW_COLUMNS)]

    totals: dict[str, dict[str, Any]] = {}
    cls = f["reason"].map(class_of)
    for c in CLASSES:
        part = f[cls == c]
        n, v = int(len(part)), float(part["lost_value"].sum())
        totals[c] = {"defectors": n, "lost_value": round(v, 2), "share": _share(n, n_all),
                     "lost_value_share": _share(v, v_all)}
    known = totals["controllable"]["defectors"] + totals["uncontrollable"]["defectors"]
    for c in CLASSES:  # of the defectors whose reason says whether the company controls it
        totals[c]["share_of_known"] = _share(totals[c]["defectors"], known) if c != "unknown" else None

    quarter = pd.Series([quarter_of(d) for d in f["lost_at"]], index=f.index, dtype=object)
    quarter = quarter.where(quarter.notna(), quarter_of(found_on))  # no loss date: when found
    dated = f.assign(quarter=quarter)
    dated = dated[dated["quarter"].notna()]
    trend = pd.DataFrame({c: [] for c in TREND_COLUMNS})
    if len(dated):
        trend = dated.groupby(["quarter", "reason"]).agg(
            defectors=("customer_id", "size"), complete=("complete", "sum"), partial=("partial", "sum")).reset_index()
        trend = trend.astype({"defectors": "int64", "complete": "int64", "partial": "int64"})
        trend = trend.sort_values(["quarter", "defectors", "reason"], ascending=[True, False, True],
                                  kind="stable").reset_index(drop=True)

    breakdown = None
    if by is not None:
        g = f.assign(group=f[by].astype(object).where(f[by].notna(), None))
        g["group_key"] = g["group"].map(lambda x: "" if x is None else str(x))
        sizes = g.groupby("group_key").size()
        breakdown = g.groupby(["group_key", "reason"]).agg(
            group=("group", "first"), defectors=("customer_id", "size"), lost_value=("lost_value", "sum")).reset_index()
        breakdown["defectors"] = breakdown["defectors"].astype("int64")
        breakdown["lost_value"] = breakdown["lost_value"].round(2)
        breakdown["share"] = breakdown["defectors"] / breakdown["group_key"].map(sizes)
        breakdown["controllable"] = breakdown["reason"].map(controllable).astype(object)
        breakdown = breakdown.sort_values(["group_key", "defectors", "reason"], ascending=[True, False, True],
                                          kind="stable")
        breakdown = breakdown[list(BY_COLUMNS)].reset_index(drop=True)
    return ReasonTable(rows, totals, trend, breakdown)


def _empty(by: str | None) -> ReasonTable:
    """The table of no defectors: no rows, zero totals."""
    totals = {c: {"defectors": 0, "lost_value": 0.0, "share": None, "lost_value_share": None, "share_of_known": None}
              for c in CLASSES}
    return ReasonTable(pd.DataFrame({c: [] for c in ROW_COLUMNS}), totals, pd.DataFrame({c: [] for c in TREND_COLUMNS}),
                       None if by is None else pd.DataFrame({c: [] for c in BY_COLUMNS}))
