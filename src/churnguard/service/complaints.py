"""The complaint register (投诉登记): complaints with their resolution time, open ones ageing into
risk, whether complainers churn more than the rest, and the silent-majority and word-of-mouth
estimates (labelled as estimates from settings wherever they appear)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from churnguard.compute.detect.status import customer_status
from churnguard.compute.learn import complaints as calc
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of

#: the comparison window when ``--from`` is not given: a year up to ``--to``
DEFAULT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class ComplaintOptions:
    """``churnguard complaints``: only ``open`` ones; complaints opened from ``start`` to ``to``;
    churn compared over ``horizon_days`` after the window (default ``churn.horizon_days``)."""

    open: bool = False
    start: date | None = None
    to: date | None = None
    horizon_days: int | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.to is not None and self.start > self.to:
            raise OptionError("from", f"{self.start} is after the end of the window ({self.to})")
        if self.horizon_days is not None and not 1 <= self.horizon_days <= 3650:
            raise OptionError("horizon", f"must be from 1 to 3650 days (got {self.horizon_days})")


@dataclass
class ComplaintResult:
    """The register and its figures; ``to_dict()`` is the ``--json`` shape."""

    as_of: date
    as_of_source: str
    frame: pd.DataFrame
    summary: dict[str, Any]
    by_category: pd.DataFrame
    churn: dict[str, Any]
    estimates: dict[str, Any]
    window: dict[str, Any]
    ageing_days: int

    def to_frame(self) -> pd.DataFrame:
        """The register rows."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "data": [{complaint_id, customer_id, name, csm, opened_at, category, severity, resolved_at,
        days_to_resolve, resolution, open, open_days, ageing}], "count", "summary", "by_category",
        "complainer_churn", "silent_majority_estimate", "word_of_mouth_estimate", "estimates_basis",
        "estimates_note", "window", "ageing_days"}``."""
        rows = rows_of(self.frame)
        return {"as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "data": rows,
                "count": len(rows), "summary": self.summary, "by_category": rows_of(self.by_category),
                "complainer_churn": self.churn, **self.estimates,
                "estimates_note": ("silent_majority_estimate and word_of_mouth_estimate are estimates from the "
                                   "settings listen.complaint_share and listen.word_of_mouth (rules of thumb), "
                                   "not measurements"),
                "window": self.window, "ageing_days": self.ageing_days}


def complaints(ctx: Context, opts: ComplaintOptions) -> ComplaintResult:
    """The register as of ``ctx.as_of`` and the figures of the window.

    The register lists the complaints opened from ``start`` to ``to`` (default: every one known
    by the as-of date) — with ``open`` only those unresolved at ``ctx.as_of``. The summary counts
    the same rows (before the ``open`` filter). The complainer comparison and the estimates use
    the window ``start`` … ``to``; given neither, it is the year ending a horizon before the as-of
    date (so every outcome is known); given one, it runs from ``start`` (default: a year before
    ``to``) to ``to`` (default: the as-of date): customers active
    at its start, complainers those who opened a complaint in it, lost when the churn
    definition has them lost by the window's end + the horizon (or the as-of date, if sooner).
    """
    as_of = ctx.as_of
    to = min(opts.to or as_of, as_of)
    if opts.start is not None and opts.start > to:
        raise OptionError("from", f"{opts.start} is after the end of the window ({to})")
    settings = ctx.settings
    ageing = int(settings.signals.complaint_open_days)
    q = ctx.records().known_at(as_of).complaints
    raw = q.select("complaint_id", "customer_id", "opened_at", "category", "severity", "resolved_at",
                   "resolution").to_pandas()
    reg = calc.register(raw, as_of, ageing)
    opened = pd.to_datetime(reg["opened_at"])
    keep = opened <= pd.Timestamp(to)
    if opts.start is not None:
        keep &= opened >= pd.Timestamp(opts.start)
    shown = reg[keep]
    names = ctx.records().known_at(as_of).customers.select("customer_id", "name", "csm").to_pandas()
    shown = shown.merge(names, on="customer_id", how="left")
    shown = shown[[*shown.columns[:2], "name", "csm", *[c for c in shown.columns[2:] if c not in ("name", "csm")]]]
    totals, by_cat = calc.summary(shown)
    if opts.open:
        shown = shown[shown["open"]]

    horizon = int(opts.horizon_days or settings.churn.horizon_days)
    # by default the comparison ends a horizon before the as-of date: every outcome is known
    cmp_to = to if opts.to or opts.start else as_of - timedelta(days=horizon)
    start = opts.start or (cmp_to - timedelta(days=DEFAULT_WINDOW_DAYS - 1))
    to_reg, to = to, cmp_to
    outcome_at = min(to + timedelta(days=horizon), as_of)
    records = ctx.records()
    base = customer_status(records, settings.churn, start).select("customer_id", "lost").to_pandas()
    base_ids = pd.Index(sorted(base.loc[~base["lost"].astype(bool), "customer_id"]))
    later = customer_status(records, settings.churn, outcome_at).select("customer_id", "lost", "lost_at").to_pandas()
    later = later.set_index("customer_id")
    lost = later["lost"].astype(bool) & (pd.to_datetime(later["lost_at"]) >= pd.Timestamp(start))
    in_window = (opened >= pd.Timestamp(start)) & (opened <= pd.Timestamp(to))
    who = set(reg.loc[in_window, "customer_id"])
    complained = pd.Series(base_ids.isin(list(who)), index=base_ids)
    churn = calc.complainer_churn(complained, lost.reindex(base_ids).fillna(False))
    churn.update({"from": start.isoformat(), "to": to.isoformat(), "outcome_at": outcome_at.isoformat(),
                  "horizon_days": horizon, "horizon_cut": outcome_at < to + timedelta(days=horizon),
                  "definition": "customers active at the window's start; complainers opened a complaint in the window; "
                                "lost by outcome_at; difference = complainers' churn minus the others', interval: "
                                "Newcombe's hybrid score (95%)"})
    est = calc.estimates(len(who), settings.listen.complaint_share, settings.listen.word_of_mouth)
    window = {"register_from": opts.start.isoformat() if opts.start else None, "register_to": to_reg.isoformat(),
              "from": start.isoformat(), "to": to.isoformat()}
    return ComplaintResult(as_of, ctx.as_of_source, shown.reset_index(drop=True), totals, by_cat, churn, est, window,
                           ageing)
