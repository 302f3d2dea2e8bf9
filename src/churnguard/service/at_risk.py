"""The worklist use cases: living customers ranked by value at risk (``churnguard at-risk``, the
at-risk page and ``/api/at-risk``), what the list can be narrowed to, and a demo's top few.

They read the ``scores`` snapshot a run stored; the ranking and narrowing are the worklist's
(:mod:`churnguard.act.worklist`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from churnguard.act import worklist
from churnguard.errors import InputError, OptionError
from churnguard.service.context import Context
from churnguard.service.detect import name_list
from churnguard.service.jsonable import rows_of
from churnguard.service.reasons import join_reasons
from churnguard.service.scoring import SCORES
from churnguard.store import read_snapshot, snapshot_date, snapshot_dates

AT_RISK_COLUMNS = worklist.WORKLIST_COLUMNS


def check_signal(signal: str | None, field_name: str = "signal") -> None:
    """Refuse a name that is not a warning-signal rule (:class:`OptionError` naming ``field_name``)."""
    from churnguard.compute.detect import RULE_HELP

    if signal is not None and signal not in RULE_HELP:
        raise OptionError(field_name, f"unknown rule {signal!r}; rules: {', '.join(RULE_HELP)}")


@dataclass
class AtRiskOptions:
    """``churnguard at-risk``: living customers ranked by value at risk, as the run of the
    context's as-of date (default: the latest run) scored them.

    ``segment``, ``csm`` and ``signal`` (a warning-signal rule that fired) narrow the list;
    ``offset`` skips that many of the ranked rows (pages of a worklist); ``language`` says the
    reasons in that language (default: as stored, in the workspace's language); ``early`` keeps
    the early warnings only (customers not yet overdue), ranked by the early-warning model's
    value at risk.
    """

    top: int = 20
    min_value: float | None = None
    segment: str | None = None
    csm: str | None = None
    signal: str | None = None
    offset: int = 0
    language: str | None = None
    early: bool = False  # only customers not yet overdue, ranked by their early-warning value at risk

    def __post_init__(self) -> None:
        if self.top < 1:
            raise OptionError("top", f"must be at least 1 (got {self.top})")
        if self.offset < 0:
            raise OptionError("offset", f"must be at least 0 (got {self.offset})")
        check_signal(self.signal)

    @property
    def filter(self) -> worklist.WorklistFilter:
        """What narrows the list."""
        return worklist.WorklistFilter(self.min_value, self.segment, self.csm, self.signal, self.early)


@dataclass
class AtRiskResult:
    """The riskiest value first; ``to_dict()`` is the ``--json`` shape."""

    as_of: date
    frame: pd.DataFrame
    total_value_at_risk: float
    customers_scored: int
    matching: int = 0
    offset: int = 0
    #: the feature families the run's model went without for want of records (``run``'s own list)
    features_left_out: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The rows."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "data": [rows], "count", "matching", "offset", "total_value_at_risk",
        "customers_scored", "features_left_out"}``; ``matching`` is how many customers pass the
        filters (``count`` of them are listed, from ``offset``); ``features_left_out`` is what the
        run that scored them said it left out (``{family, needs, features}``)."""
        rows = rows_of(self.frame)
        for r in rows:  # a list, as reasons are
            if "signals" in r:
                r["signals"] = name_list(r["signals"])
        return {"as_of": self.as_of.isoformat(), "data": rows, "count": len(rows), "matching": self.matching,
                "offset": self.offset, "total_value_at_risk": round(self.total_value_at_risk, 2),
                "customers_scored": self.customers_scored, "features_left_out": self.features_left_out}


def at_risk(ctx: Context, opts: AtRiskOptions) -> AtRiskResult:
    """The ``top`` living customers by value at risk (probability × expected value), with reasons.

    Reads the ``scores`` snapshot of ``ctx.as_of_given`` (default: the latest run). Filters are
    values compared by the engine (never pasted into SQL text).
    """
    store = ctx.store
    when = snapshot_date(store, SCORES, ctx.as_of_given)
    snap = read_snapshot(store, SCORES, when)
    total = store.memo(("at_risk_total", when), lambda: snap.aggregate(
        v=snap.value_at_risk.sum(), n=snap.count()).to_pandas().iloc[0].to_dict())
    f = opts.filter
    if f.early and "early_rank" not in snap.columns:
        raise InputError(f"the scores of {when} were computed before early warnings were; "
                         "run 'churnguard run' again to mark them")
    narrowed = worklist.narrow(snap, f)
    matching = store.memo(("at_risk_matching", when, f.values, f.early), lambda: int(narrowed.count().execute()))
    rows = worklist.page(narrowed, f, opts.top, opts.offset).to_pandas()
    rows = worklist.with_reasons(worklist.numbered(rows, opts.offset), opts.language, ctx.settings.language)
    rows = join_reasons(ctx, worklist.worklist_columns(rows))  # a partial defection the team recorded
    return AtRiskResult(when, rows, float(total["v"] or 0.0), int(total["n"]), matching,
                        opts.offset, _left_out_of(ctx, when))


def _left_out_of(ctx: Context, when: date) -> list[dict[str, Any]]:
    """What the model of the run of ``when`` left out, as its saved description says ([] when it
    has none: a run before this was recorded, or a model that had every table)."""
    path = ctx.path / "models" / f"churn-{when.isoformat()}.json"
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).get("features_left_out", []))
    except (OSError, ValueError):
        return []


@dataclass
class ChoicesOptions:
    """What the worklist can be narrowed to; ``csm``: among that CSM's customers only."""

    csm: str | None = None


def at_risk_choices(ctx: Context, opts: ChoicesOptions | None = None) -> dict[str, Any]:
    """What the worklist can be narrowed to: ``{"as_of", "segments", "csms", "signals"}`` (the
    values present in the scores of ``ctx.as_of_given``, default the latest run; those of one
    CSM's customers when ``opts.csm``)."""
    from churnguard.compute.detect import RULE_HELP

    csm = (opts or ChoicesOptions()).csm
    store = ctx.store
    when = snapshot_date(store, SCORES, ctx.as_of_given)
    snap = read_snapshot(store, SCORES, when)
    if csm is not None:
        snap = snap.filter(snap.csm == csm)
    # 80 ms on a million customers: kept while the data stays (Store.memo)
    frame = store.memo(("at_risk_choices", when, csm),
                       lambda: snap.select("segment", "csm", "signals").distinct().to_pandas())
    return {"as_of": when.isoformat(), **worklist.choices(frame, RULE_HELP)}


@dataclass
class TopOptions:
    """A demo's summary: the ``n`` customers with the most value at risk."""

    n: int = 5

    def __post_init__(self) -> None:
        if self.n < 1:
            raise OptionError("n", f"must be at least 1 (got {self.n})")


def top_at_risk(ctx: Context, opts: TopOptions | None = None) -> list[dict[str, Any]]:
    """The ``n`` customers with the most value at risk and their reasons, for a demo's summary.

    Runs the pipeline first when the workspace has no scores yet. Each item:
    ``{"customer_id", "probability", "value_at_risk", "reasons": [text, …], "causes": [text, …]}``.
    """
    from churnguard.service.run import run

    opts = opts or TopOptions()
    if not snapshot_dates(ctx.store, SCORES):
        run(ctx)
    return worklist.summary(at_risk(ctx, AtRiskOptions(top=opts.n)).frame)
