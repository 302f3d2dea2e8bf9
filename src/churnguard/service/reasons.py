"""Why they leave: the reason table of the defectors of a period (``churnguard reasons``,
``GET /api/reasons``, the reasons page and the overview's reasons chart), and each defector's
known reason joined to the lists that show defectors and at-risk customers.

The defectors of a period ``[from, to]`` are those found as of ``to`` by the same detection
as ``churnguard defectors`` (the run stored for ``to`` when there is one, else computed
afresh): the complete defectors whose loss date falls in the window, and every defector with
no loss date as of ``to`` (the partial ones, and complete ones found by a low P(alive)). Their reasons are the newest recorded as of the context's date (an
interview some weeks after the period still explains it); without a date given, every stored
reason counts, so a reason recorded today shows at once even when the data's last purchase is
older. Default window: the twelve months up to the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from churnguard.compute.detect.lost_value import lost_value
from churnguard.compute.learn.reason_table import (
    BY_CHOICES,
    NOT_RECORDED,
    defector_reasons,
    reason_table,
    with_reasons,
)
from churnguard.errors import NotComputedError, OptionError
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.vocab import CHURN_REASONS

#: where the defectors of a reason table came from
FROM_RUN, COMPUTED = "stored by churnguard run", "computed"


@dataclass(frozen=True)
class ReasonOptions:
    """``churnguard reasons``: the window ``[start, to]`` (default: the twelve months up to the
    as-of date), a breakdown ``by`` segment, region, csm or customer_type; ``compute`` False
    refuses to detect defectors afresh when no run of ``to`` is stored (a page must answer fast)."""

    start: date | None = None
    to: date | None = None
    by: str | None = None
    compute: bool = True

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in BY_CHOICES:
            raise OptionError("by", f"{self.by!r} is not a breakdown; choose one of {', '.join(BY_CHOICES)}")
        if self.start is not None and self.to is not None and self.start > self.to:
            raise OptionError("from", f"{self.start} is after the last day {self.to}")


@dataclass
class ReasonsResult:
    """The reason table of a period; ``to_dict()`` is the ``--json`` shape and the API's answer."""

    as_of: date
    as_of_source: str
    start: date
    to: date
    table: Any  # compute.learn.reason_table.ReasonTable
    by: str | None
    defectors_source: str
    language: str = "en"
    definition: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [{reason, label, controllable, defectors, complete, partial, inferred, lost_value,
        share, lost_value_share}], "count", "as_of", "as_of_source", "from", "to", "totals":
        {"controllable" | "uncontrollable" | "unknown": {defectors, lost_value, share, lost_value_share}},
        "trend": [{quarter, reason, defectors, complete, partial}], "by": null | {"column", "data":
        [{group, reason, controllable, defectors, lost_value, share}]}, "defectors_source", "definition"}``."""
        rows = rows_of(self.table.rows)
        for r in rows:
            r["label"] = reason_label(r["reason"], self.language)
        by = None
        if self.by is not None:
            by = {"column": self.by, "data": rows_of(self.table.by)}
        return {
            "data": rows, "count": len(rows), "as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source,
            "from": self.start.isoformat(), "to": self.to.isoformat(), "totals": self.table.totals,
            "trend": rows_of(self.table.trend), "by": by, "defectors_source": self.defectors_source,
            "definition": self.definition,
        }


def reason_label(reason: str | None, language: str) -> str | None:
    """The reason as people read it in ``language`` (its key when it is no reason of the vocabulary)."""
    if reason is None:
        return None
    if reason == NOT_RECORDED:
        from churnguard.i18n import N_, Translator

        return Translator(language).gettext(N_("not recorded"))
    term = CHURN_REASONS.get(reason)
    return term.label(language) if term is not None else reason


def window_of(ctx: Context, opts: ReasonOptions) -> tuple[date, date]:
    """The window ``[from, to]`` the options name, checked against the as-of date."""
    to = opts.to or ctx.as_of
    if to > ctx.as_of:
        raise OptionError("to", f"{to} is after the as-of date {ctx.as_of}: nothing after it is known")
    start = opts.start or (pd.Timestamp(to) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    if start > to:
        raise OptionError("from", f"{start} is after the last day {to}")
    return start, to


def period_defectors(ctx: Context, to: date, compute: bool = True) -> tuple[pd.DataFrame, str]:
    """Every defector found as of ``to`` (``churnguard defectors`` of that date), and where they came
    from: the run stored for ``to``, else detected afresh (unless ``compute`` is False:
    :class:`NotComputedError`)."""
    from churnguard.service import detect

    at = ctx.with_as_of(to)
    try:
        return detect.stored_defectors(at, detect.DefectorOptions()).frame, FROM_RUN
    except NotComputedError:
        if not compute:
            raise
    return detect.defectors(at, detect.DefectorOptions()).frame, COMPUTED


def reasons(ctx: Context, opts: ReasonOptions) -> ReasonsResult:
    """The reason table of the defectors of ``[opts.start, opts.to]`` (see the module notes).

    Examples
    --------
    >>> with open_context("demo") as ctx:  # doctest: +SKIP
    ...     d = reasons(ctx, ReasonOptions(by="segment")).to_dict()
    >>> d["totals"]["controllable"]["share"]  # doctest: +SKIP
    0.41
    """
    start, to = window_of(ctx, opts)
    found, source = period_defectors(ctx, to, opts.compute)
    lost = pd.to_datetime(found["lost_at"]) if len(found) else pd.Series(dtype="datetime64[ns]")
    # partial defectors, and complete ones found by a low P(alive), have no loss date: found as of `to`
    in_window = lost.isna().to_numpy() | ((lost >= pd.Timestamp(start)) & (lost <= pd.Timestamp(to))).to_numpy()
    frame = found[in_window].reset_index(drop=True)
    records = ctx.records()
    frame["lost_value"] = lost_value(records, frame, to).to_numpy() if len(frame) else []
    if opts.by == "region" or (opts.by is not None and opts.by not in frame.columns):
        frame = _with_customer_column(ctx, frame, opts.by)
    known = defector_reasons(records, ctx.as_of_given, list(frame["customer_id"]))
    frame = with_reasons(frame, known)
    table = reason_table(frame, opts.by, found_on=to)
    definition = {
        "defectors": "complete defectors found as of 'to' whose loss date is in [from, to], and every defector "
                     "with no loss date as of 'to': partial ones and complete ones found by a low P(alive) (the "
                     "detection of 'churnguard defectors')",
        "reason": "the newest recorded churn reason (interview, survey or imported); one inferred from text only "
                  "where none is recorded",
        "reasons_known_at": ctx.as_of_given.isoformat() if ctx.as_of_given else "every stored reason",
        "lost_value": "a complete defector's last contract's recurring value, else its revenue in the 365 days up "
                      "to the loss; a partial defector's drop in revenue year on year",
        "controllable": {k: t.controllable for k, t in CHURN_REASONS.items()},
        "trend_quarter": "complete defectors by the quarter of their loss date; those with no loss date by the "
                         "quarter of 'to' (the date they were found as of)",
    }
    return ReasonsResult(ctx.as_of, ctx.as_of_source, start, to, table, opts.by, source, ctx.language, definition)


def _with_customer_column(ctx: Context, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with the customers' ``column`` (region, …) read from the customers table."""
    t = ctx.records().customers
    values = t.select("customer_id", column).to_pandas().drop_duplicates("customer_id").set_index("customer_id")
    out = frame.copy()
    mapped = out["customer_id"].astype(str).map(values[column]) if len(out) else pd.Series(dtype=object)
    out[column] = mapped.astype(object).where(mapped.notna(), None)
    return out


def join_reasons(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows with a ``customer_id``) with each customer's known ``reason``,
    ``reason_source`` and ``competitor`` (None where none), read now: a reason recorded after a
    stored run shows at once. Reasons as of the date given (every stored one without a date)."""
    if frame.empty:
        return with_reasons(frame, pd.DataFrame(columns=["customer_id", "reason", "reason_source", "competitor"]))
    ids = list(frame["customer_id"].astype(str))
    known = defector_reasons(ctx.records(), ctx.as_of_given, ids)
    return with_reasons(frame, known)


#: what the history of a customer's reasons shows of each row
HISTORY_FIELDS = ("recorded_at", "reason", "secondary_reason", "competitor", "recoverable", "kind", "source",
                  "reason_source", "confidence", "attempts", "notes")


def reason_history(ctx: Context, customer_id: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every churn-reason row of one customer recorded by ``as_of`` (None: all), newest first; each
    with ``reason_source`` (``recorded`` or ``inferred``) and ``counts`` (whether it is the reason
    the reason table uses for the customer)."""
    rows = ctx.store.customer_rows("churn_reasons", customer_id)
    if rows.empty:
        return []
    rows = rows.copy()
    rows["recorded_at"] = pd.to_datetime(rows["recorded_at"])
    if as_of is not None:
        rows = rows[rows["recorded_at"] <= pd.Timestamp(as_of)]
    source = rows["source"].map(lambda s: s.strip().lower() if isinstance(s, str) else None)
    rows["reason_source"] = ["inferred" if s == "inferred" else "recorded" for s in source]
    rows = rows.sort_values(["recorded_at", "reason_source"], ascending=[False, False], kind="stable")
    chosen = defector_reasons(ctx.records(), as_of, [customer_id])
    pick = chosen.iloc[0] if len(chosen) else None
    out = []
    for r in rows_of(rows[[c for c in HISTORY_FIELDS if c in rows.columns]]):
        r["counts"] = bool(pick is not None and r["reason"] == pick["reason"]
                           and r["recorded_at"] == pick["recorded_at"].date().isoformat()
                           and r["reason_source"] == pick["reason_source"]
                           and (r.get("competitor") or None) == (pick["competitor"] or None))
        r["label"] = reason_label(r["reason"], ctx.language)
        out.append(r)
    return out

