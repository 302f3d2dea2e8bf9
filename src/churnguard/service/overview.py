"""The overview: the headline figures of a workspace in one result (the dashboard's first page,
the report, ``churnguard overview --json`` and ``GET /api/overview``).

It is assembled from the other use cases, never computed differently: churn rate by customers
and by value and revenue retention come from :mod:`churnguard.service.measure`, the false-growth
warnings from its price–volume split, the counts from the workspace status. Warnings carry a
``code`` and their values, so a page can say them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from churnguard.compute.measure import periods as P
from churnguard.errors import ChurnguardError, InputError, OptionError
from churnguard.service import measure
from churnguard.service.context import Context
from churnguard.service.jsonable import jsonable
from churnguard.service.workspace import status_of

#: ``source(name, options)`` -> the JSON of a use case (``churn-rate``, ``retention``,
#: ``price-volume``, ``status``); :mod:`churnguard.service.results` passes its stored figures.
Source = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass
class OverviewOptions:
    """Options of :func:`overview`.

    The as-of date is the context's (default: the last date in the data).

    Attributes
    ----------
    period : {"month", "quarter", "year"}
        Length of the periods of the trends.
    """

    period: str = "quarter"

    def __post_init__(self) -> None:
        try:
            P.check_period(self.period)
        except InputError as exc:
            raise OptionError("period", str(exc)) from None


@dataclass
class OverviewResult:
    """The overview's figures; ``to_dict()`` is the JSON of ``churnguard overview --json``.

    ``{"as_of", "period", "status", "churn": [rows], "retention": [rows], "latest": {…},
    "warnings": [{"code", "message", …}], "snapshots": {name: [dates]}}``
    """

    as_of: date | None
    period: str
    status: dict[str, Any]
    churn: list[dict[str, Any]] = field(default_factory=list)
    retention: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    snapshots: dict[str, list[date]] = field(default_factory=dict)
    definition: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (see the class docstring)."""
        churn = list(self.churn or [])
        return {
            "data": churn, "count": len(churn),  # the churn rows: the list every --json has
            "as_of": self.as_of, "period": self.period, "status": self.status, "churn": self.churn,
            "retention": self.retention, "latest": self.latest, "warnings": self.warnings,
            "snapshots": self.snapshots, "definition": self.definition,
        }


_USE_CASES: dict[str, tuple[Callable[..., Any], type]] = {
    "churn-rate": (measure.churn_rate, measure.ChurnRateOptions),
    "retention": (measure.retention, measure.RetentionOptions),
    "price-volume": (measure.price_volume, measure.PriceVolumeOptions),
}


def compute_source(ctx: Context) -> Source:
    """A :data:`Source` that computes each use case afresh (in the context's workspace)."""

    def source(name: str, options: dict[str, Any]) -> dict[str, Any]:
        if name == "status":
            return jsonable(status_of(ctx.workspace))
        options = dict(options)
        fn, options_type = _USE_CASES[name]
        return jsonable(fn(ctx.with_as_of(options.pop("as_of", ctx.as_of_given)), options_type(**options)))

    return source


def overview(ctx: Context, opts: OverviewOptions | None = None, source: Source | None = None) -> OverviewResult:
    """The headline figures: churn trend by customers and value, revenue retention, warnings.

    A workspace without dated records gives the status alone (no trend, no warning).

    Parameters
    ----------
    ctx : Context
        The workspace and the as-of date (``ctx.as_of_given``; None: the last date in the data).
    opts : OverviewOptions
    source : callable, optional
        Where the figures come from (default: computed afresh); the figures are the same.
    """
    opts = opts or OverviewOptions()
    get = source or compute_source(ctx)
    status = get("status", {})
    base = {"as_of": ctx.as_of_given, "period": opts.period}
    try:
        by_count = get("churn-rate", {**base, "basis": "customers"})
    except ChurnguardError:  # nothing dated yet: the status is all there is
        return OverviewResult(None, opts.period, status, snapshots=stored_runs(ctx))
    definition = by_count["definition"]
    as_of = definition["as_of"]
    by_value = get("churn-rate", {**base, "basis": "value"})["data"]
    value_rate = {r["period_start"]: r for r in by_value}
    churn = []
    for r in by_count["data"]:
        v = value_rate.get(r["period_start"], {})
        churn.append({
            "period_start": r["period_start"], "period_end": r["period_end"], "complete": r["complete"],
            "history_complete": r.get("history_complete", True),
            "customers_at_start": r["customers_at_start"], "customers_lost": r["customers_lost"],
            "churn_rate": r["churn_rate"],
            "value_at_start": v.get("value_at_start"), "value_lost": v.get("value_lost"),
            "value_churn_rate": v.get("churn_rate"),
        })
    retention = [
        {k: r[k] for k in ("period_start", "period_end", "complete", "value_at_start", "value_lost",
                            "contraction", "expansion", "grr", "nrr")}
        for r in get("retention", {**base, "basis": "value"})["data"]
    ]
    warnings = _history_warning(churn, definition, status)
    pv = get("price-volume", base)["data"]
    warnings += false_growth_warnings(pv)
    result = OverviewResult(as_of, opts.period, status, churn, retention, warnings=warnings,
                            definition={"as_of": as_of, "as_of_source": definition["as_of_source"],
                                        "non_contractual": definition["non_contractual"]})
    result.latest = _latest(churn, retention)
    result.snapshots = stored_runs(ctx)
    return result


#: the snapshots of ``churnguard run`` the overview says are there
RUN_SNAPSHOTS = ("value", "signals", "defectors", "scores")


def stored_runs(ctx: Context) -> dict[str, list[date]]:
    """Dates of the snapshots ``churnguard run`` stored, by snapshot (only those that have any)."""
    from churnguard.store import snapshot_dates

    found = {name: snapshot_dates(ctx.store, name) for name in RUN_SNAPSHOTS}
    return {name: dates for name, dates in found.items() if dates}


def _latest(churn: list[dict], retention: list[dict]) -> dict[str, Any]:
    """The last complete, fully-counted period's figures, and the one before it for the change."""
    done = [r for r in churn if r["complete"] and r["history_complete"] and r["churn_rate"] is not None]
    out: dict[str, Any] = {}
    if done:
        last = done[-1]
        prev = done[-2] if len(done) > 1 else None
        out["churn"] = {**last, "previous_churn_rate": prev["churn_rate"] if prev else None,
                        "previous_value_churn_rate": prev["value_churn_rate"] if prev else None}
    kept = [r for r in retention if r["complete"] and r["grr"] is not None]
    if kept:
        out["retention"] = kept[-1]
    return out


def _history_warning(churn: list[dict], definition: dict, status: dict) -> list[dict[str, Any]]:
    short = [r for r in churn if not r["history_complete"]]
    if not short:
        return []
    first = status["tables"]["transactions"]["date_from"]
    nc = definition.get("non_contractual", {})
    days = [nc.get("threshold_overall_days"), nc.get("threshold_days"),
            *[s.get("threshold_days") for s in nc.get("thresholds_by_segment", [])]]
    longest = max((d for d in days if isinstance(d, int)), default=0)
    ready = (date.fromisoformat(first) + timedelta(days=longest)).isoformat() if first else None
    return [{
        "code": "history_short", "first_date": first, "ready_date": ready, "threshold_days": longest,
        "periods": len(short),
        "message": f"purchases in the data start on {first}; a non-contractual customer is seen as lost only "
                   f"{longest} days after a last purchase, so churn in periods starting before {ready} is "
                   "undercounted",
    }]


def false_growth_warnings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The false-growth warnings of price-volume rows, with the changes that raised them (for wording).

    The changes are against the period the row was judged against (``comparison``: the same
    period a year before where the data are seasonal, else the previous one) and say which.
    """
    out = []
    for r in rows:
        if not r["warning"]:
            continue
        out.append({
            "code": "false_growth", "period_start": r["period_start"], "message": r["warning"],
            "comparison": r.get("comparison"), "compared_with": r.get("compared_with"),
            "revenue_change": r.get("revenue_growth"),
            "units_change": r.get("units_growth"),
            "customers_change": r.get("customers_growth"),
        })
    return out


def reasons_summary(ctx: Context) -> dict[str, Any] | None:
    """The reason table of the last twelve months for the overview's reasons chart, from the run
    stored for the as-of date (None when there is none, or no dated records: a page does not
    detect defectors afresh). Read when asked, never stored with the overview's figures: reasons
    are recorded between imports."""
    from churnguard.service.reasons import ReasonOptions, reasons

    try:
        return reasons(ctx, ReasonOptions(compute=False)).to_dict()
    except ChurnguardError:
        return None
