"""Satisfaction surveys (满意度调查): draw a sample of living customers to ask (and record the
send), and report what the answers say — the five levels and NPS by quarter and segment, the
churn rate after each level, and whom to call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from churnguard.compute.detect.status import customer_status
from churnguard.compute.learn import surveys as calc
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.store import survey_sends

#: customer columns a sample may be stratified by
STRATA = ("segment", "region", "customer_type")
#: customer columns the report may be broken down by
GROUPS = ("segment", "region", "customer_type", "csm")
#: what a drawn customer is listed with
SAMPLE_COLUMNS = ("customer_id", "name", "segment", "region", "customer_type", "csm", "email", "phone", "stratum")
_CUSTOMER_COLUMNS = ("customer_id", "name", "segment", "region", "customer_type", "csm", "email", "phone")


def _customers(ctx: Context) -> pd.DataFrame:
    cu = ctx.records().known_at(ctx.as_of).customers
    return cu.select(*_CUSTOMER_COLUMNS).to_pandas()


def _status(ctx: Context) -> pd.DataFrame:
    """``customer_id, lost, lost_at`` of every customer with a purchase or contract, as of ``ctx.as_of``."""
    st = customer_status(ctx.records(), ctx.settings.churn, ctx.as_of)
    frame = st.select("customer_id", "lost", "lost_at").to_pandas()
    frame["lost"] = frame["lost"].astype(bool)
    return frame


# -- the sample -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurveySampleOptions:
    """``churnguard survey sample``: ``size`` customers, optionally stratified by a customer
    column, drawn with ``seed``; ``dry_run`` only shows them (nothing recorded)."""

    size: int
    stratify: str | None = None
    seed: int = 0
    dry_run: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.size, int) or self.size < 1:
            raise OptionError("size", f"must be at least 1 (got {self.size})")
        if self.size > 1_000_000:
            raise OptionError("size", f"must be at most 1,000,000 (got {self.size})")
        if self.stratify is not None and self.stratify not in STRATA:
            raise OptionError("stratify", f"choose {', '.join(STRATA)} (got {self.stratify!r})")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise OptionError("seed", f"must be a whole number ≥ 0 (got {self.seed})")


@dataclass
class SurveySampleResult:
    """The drawn customers and how they were drawn; ``to_dict()`` is the ``--json`` shape."""

    as_of: date
    as_of_source: str
    frame: pd.DataFrame
    sample_id: str | None
    recorded: bool
    seed: int
    stratify: str | None
    living: int
    cooled_down: int
    eligible: int
    cooldown_days: int
    strata: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The drawn customers."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "as_of_source", "data": [{customer_id, name, segment, region, customer_type, csm,
        email, phone, stratum}], "count", "sample_id", "recorded", "seed", "stratify", "strata": [{stratum,
        eligible, drawn}], "living", "cooled_down", "eligible", "cooldown_days"}``."""
        rows = rows_of(self.frame)
        return {"as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "data": rows,
                "count": len(rows), "sample_id": self.sample_id, "recorded": self.recorded, "seed": self.seed,
                "stratify": self.stratify, "strata": self.strata, "living": self.living,
                "cooled_down": self.cooled_down, "eligible": self.eligible, "cooldown_days": self.cooldown_days}


def recently_asked(ctx: Context, days: int) -> set[str]:
    """Customers sent a survey or answering one within ``days`` days up to ``ctx.as_of``."""
    if days <= 0:
        return set()
    first = ctx.as_of - timedelta(days=days - 1)
    sent = set(survey_sends.sent_between(ctx.store, first, ctx.as_of))
    s = ctx.records().known_at(ctx.as_of).surveys
    answered = s.filter(s.answered_at >= first).select("customer_id").distinct().to_pandas()
    return sent | set(answered["customer_id"])


def survey_sample(ctx: Context, opts: SurveySampleOptions) -> SurveySampleResult:
    """Draw ``opts.size`` living customers as of ``ctx.as_of`` (not lost by the churn definition),
    leaving out those sent or answering a survey within ``survey.cooldown_days``; record the sends
    (one ``sample_id``, one transaction) unless ``opts.dry_run``.

    The same data, date, size, stratification and seed draw the same customers. Fewer eligible
    customers than ``size`` is an :class:`OptionError` naming ``size``.
    """
    cooldown = int(ctx.settings.survey.cooldown_days)
    status = _status(ctx)
    living_ids = set(status.loc[~status["lost"], "customer_id"])
    customers = _customers(ctx)
    living = customers[customers["customer_id"].isin(living_ids)]
    # a living customer missing from the customers table (records only) is still a customer
    missing = sorted(living_ids - set(living["customer_id"]))
    if missing:
        living = pd.concat([living, pd.DataFrame({"customer_id": missing})], ignore_index=True)
    asked = recently_asked(ctx, cooldown)
    pool = living[~living["customer_id"].isin(asked)]
    if len(pool) < opts.size:
        raise OptionError("size", f"only {len(pool)} living customers may be asked as of {ctx.as_of} "
                                  f"({len(living)} living, {len(living) - len(pool)} asked within "
                                  f"survey.cooldown_days = {cooldown}); got {opts.size}")
    drawn = calc.draw_sample(pool, opts.size, opts.seed, opts.stratify)
    strata: list[dict[str, Any]] = []
    if opts.stratify:
        sizes = pool[opts.stratify].where(pool[opts.stratify].notna(), calc.NO_STRATUM).astype(str).value_counts()
        got = drawn["stratum"].value_counts()
        strata = [{"stratum": k, "eligible": int(sizes[k]), "drawn": int(got.get(k, 0))} for k in sorted(sizes.index)]
    frame = drawn[list(SAMPLE_COLUMNS)].reset_index(drop=True)
    sample_id = None
    if not opts.dry_run:
        sample_id = f"S{ctx.as_of:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        survey_sends.insert_sample(ctx.store, [
            {"sample_id": sample_id, "customer_id": r.customer_id, "sent_at": ctx.as_of,
             "stratum": r.stratum if opts.stratify else None, "seed": opts.seed}
            for r in frame.itertuples(index=False)])
        from churnguard.service import audit

        audit.record(ctx.workspace, "survey_sample_drawn", sample_id,
                     {"customers": len(frame), "stratify": opts.stratify, "seed": opts.seed})
    return SurveySampleResult(ctx.as_of, ctx.as_of_source, frame, sample_id, not opts.dry_run, opts.seed,
                              opts.stratify, len(living), len(living) - len(pool), len(pool), cooldown, strata)


# -- the report -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurveyReportOptions:
    """``churnguard survey report``: answers from ``start`` to ``to`` (default: all known),
    broken down by a customer column ``by``."""

    start: date | None = None
    to: date | None = None
    by: str | None = None

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in GROUPS:
            raise OptionError("by", f"choose {', '.join(GROUPS)} (got {self.by!r})")
        if self.start is not None and self.to is not None and self.start > self.to:
            raise OptionError("from", f"{self.start} is after the end of the window ({self.to})")


@dataclass
class SurveyReportResult:
    """The survey report; ``to_dict()`` is the ``--json`` shape."""

    as_of: date
    as_of_source: str
    start: date | None
    to: date
    by: str | None
    frame: pd.DataFrame
    overall: dict[str, Any]
    churn: pd.DataFrame
    churn_left_out: dict[str, int]
    horizon_days: int
    calls: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The distribution rows."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "data": [{period, period_start, [by], answers, level_5 … level_1, share_5 … share_1,
        nps_answers, promoters, detractors, nps}], "count", "overall", "churn_by_level": [{level, label,
        customers, lost, churn_rate, ci}], "churn_left_out", "horizon_days", "call_list": [rows], "definition"}``."""
        rows = rows_of(self.frame)
        return {
            "as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source,
            "from": self.start.isoformat() if self.start else None, "to": self.to.isoformat(), "by": self.by,
            "data": rows, "count": len(rows), "overall": self.overall,
            "churn_by_level": rows_of(self.churn), "churn_left_out": self.churn_left_out,
            "horizon_days": self.horizon_days, "call_list": rows_of(self.calls),
            "definition": {
                "levels": "5 very satisfied (高度满意) … 1 very dissatisfied (极不满意)",
                "nps": "share of promoters (9–10) minus share of detractors (0–6), in points",
                "churn_by_level": (f"each customer's latest answer in the window; lost when the churn definition "
                                   f"has it lost within {self.horizon_days} days after the answer "
                                   "(survey.horizon_days); answers whose horizon ends after the as-of date are "
                                   "left out (churn_left_out.too_recent); interval: Wilson 95%"),
                "call_list": "living customers whose latest answer in the window is 1 or 2",
            },
        }


def survey_report(ctx: Context, opts: SurveyReportOptions) -> SurveyReportResult:
    """The five-level distribution and NPS by quarter (and ``opts.by``), the churn rate within
    ``survey.horizon_days`` after each customer's latest answer by its level, and the living
    customers whose latest answer was 1–2, as of ``ctx.as_of``."""
    to = min(opts.to or ctx.as_of, ctx.as_of)
    if opts.start is not None and opts.start > to:
        raise OptionError("from", f"{opts.start} is after the end of the window ({to})")
    s = ctx.records().known_at(ctx.as_of).surveys
    s = s.filter(s.answered_at <= to)
    if opts.start is not None:
        s = s.filter(s.answered_at >= opts.start)
    answers = s.select("customer_id", "answered_at", "satisfaction", "nps", "comment").to_pandas()
    answers["answered_at"] = pd.to_datetime(answers["answered_at"]).dt.date
    customers = _customers(ctx)
    if opts.by:
        answers = answers.merge(customers[["customer_id", opts.by]], on="customer_id", how="left")
    frame = calc.distribution(answers, opts.by)
    whole = calc.distribution(answers.assign(answered_at=to), None)  # every answer in one group: the totals
    overall = ({k: v for k, v in rows_of(whole)[0].items() if k not in ("period", "period_start")}
               if len(whole) else {"answers": 0, "nps": None})
    latest = calc.latest_answers(answers)
    status = _status(ctx)
    horizon = int(ctx.settings.survey.horizon_days)
    churn, left_out = calc.churn_by_level(latest, status, ctx.as_of, horizon, ctx.language)
    calls = calc.call_list(latest, status, customers)
    return SurveyReportResult(ctx.as_of, ctx.as_of_source, opts.start, to, opts.by, frame, overall, churn,
                              left_out, horizon, calls)
