"""Use cases of measuring churn: churn rate, cohorts, retention, price–volume, before/after.

Each function is ``fn(ctx, opts)`` and returns a :class:`TableResult` whose ``to_dict()`` is
``{"data": [rows], "count": n, "definition": {…settings used…}, …}``: the shape of CLI
``--json`` and of the API.

The data is read where it lives: the workspace's store (DuckDB or PostgreSQL), or Parquet files
read by a Spark session when the context's ``records_url`` is ``spark+parquet:///DIR``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from churnguard.compute.measure import periods as P
from churnguard.compute.measure.churn_rate import churn_rate as _churn_rate
from churnguard.compute.measure.cohorts import cohorts as _cohorts
from churnguard.compute.measure.compare import compare as _compare
from churnguard.compute.measure.price_volume import price_volume as _price_volume
from churnguard.compute.measure.retention import retention as _retention
from churnguard.compute.measure.status import (
    Thresholds,
    check_group,
)
from churnguard.errors import OptionError
from churnguard.i18n import N_, Message, Translator
from churnguard.service.common import TableResult
from churnguard.service.context import Context
from churnguard.service.measure_inputs import (
    MeasureOptions,
    definition,
    measure_inputs,
    window,
)
from churnguard.store import Records


@dataclass
class ChurnRateOptions(MeasureOptions):
    """Options of :func:`churn_rate`."""

    period: str = "quarter"
    basis: str = "customers"
    by: str | None = None
    start: date | None = None
    to: date | None = None  # the window's last day: periods starting after it are left out


@dataclass
class CohortsOptions(MeasureOptions):
    """Options of :func:`cohorts`."""

    period: str = "month"
    basis: str = "customers"
    start: date | None = None
    to: date | None = None  # the window's last day: periods starting after it are left out


@dataclass
class RetentionOptions(MeasureOptions):
    """Options of :func:`retention`."""

    period: str = "quarter"
    basis: str = "value"
    start: date | None = None
    to: date | None = None  # the window's last day: periods starting after it are left out


@dataclass
class PriceVolumeOptions(MeasureOptions):
    """Options of :func:`price_volume`."""

    period: str = "quarter"
    start: date | None = None
    to: date | None = None  # the window's last day: periods starting after it are left out
    tolerance: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.tolerance < 1:
            raise OptionError("tolerance", f"must be a fraction in [0, 1); got {self.tolerance}")


@dataclass
class CompareOptions(MeasureOptions):
    """Options of :func:`compare`."""

    at: date | None = None
    window: str = "2q"

    def __post_init__(self) -> None:
        if self.at is None:
            raise OptionError("at", "give the date of the change, e.g. --at 2024-07-01")


def churn_rate(ctx: Context, opts: ChurnRateOptions) -> TableResult:
    """Churn rate per period (and group); see :mod:`churnguard.compute.measure.churn_rate`.

    Examples
    --------
    >>> with open_context("shop") as ctx:  # doctest: +SKIP
    ...     churn_rate(ctx, ChurnRateOptions(period="month")).to_dict()
    """
    P.check_period(opts.period)
    m = measure_inputs(ctx, opts)
    check_group(opts.by)
    th = m.thresholds()
    frame = _churn_rate(m.src, m.settings.churn, as_of=m.as_of, period=opts.period,
                        basis=opts.basis, by=opts.by, start=opts.start, thresholds=th)
    frame = window(frame, opts.to)
    warnings = _warm_up(m.src, th, frame)
    react = _reactivation_share(frame, m.settings.churn.return_share)
    react_warning = react.pop("warning")
    formula = ("customers_lost / customers_at_start" if opts.basis == "customers"
               else "value_lost / value_at_start")
    value = {"customers": None,
             "value": "recurring value (contractual) or trailing value_window_days revenue (non-contractual)",
             "recurring": "recurring value of contractual customers"}.get(opts.basis)
    return TableResult(frame, {"definition": definition(
        m, th, measure="churn-rate", period=opts.period, basis=opts.basis, by=opts.by,
        start=opts.start, churn_rate=formula, value=value,
        denominator="customers active at the period start; those acquired during it are left out",
    ), "warnings": warnings + ([react_warning] if react_warning else []), **react})


REACTIVATION_WARNING = N_(
    "%(share)s of the customers counted lost bought again later (more than twice churn.return_share, "
    "%(limit)s): the churn threshold is too short for how these customers buy; see 'churnguard threshold'"
)


def _reactivation_share(frame: pd.DataFrame, return_share: float) -> dict[str, Any]:
    """Reactivations as a share of losses over the periods shown, and a warning when it is high.

    A definition under which many of the lost come back is not a churn definition: with the
    threshold learned from the return curve about ``return_share`` of the lost should return,
    so more than twice that says the threshold does not fit (a number set too short, or a
    history that changed).
    """
    if frame.empty:
        return {"reactivation_share": None, "reactivation_limit": round(2 * return_share, 6),
                "warning": None, "reactivation_warning": None}
    # every loss of the period, also of customers acquired in it: start + in - end
    losses = (frame["customers_at_start"] + frame["customers_acquired"] + frame["reactivated"]
              - frame["customers_at_end"]).astype("int64")
    frame["reactivated_per_lost"] = [
        (int(r) / int(x)) if x else None for r, x in zip(frame["reactivated"], losses, strict=True)
    ]
    lost, back = int(losses.sum()), int(frame["reactivated"].sum())
    share = back / lost if lost else None
    out: dict[str, Any] = {"reactivation_share": share, "reactivation_limit": round(2 * return_share, 6),
                           "warning": None, "reactivation_warning": None}
    if share is not None and share > 2 * return_share:
        msg = Message(REACTIVATION_WARNING, share=f"{share:.0%}", limit=f"{2 * return_share:.0%}")
        out["warning"] = msg
        out["reactivation_warning"] = {"en": str(msg), "zh": Translator("zh").gettext(msg.msgid, **msg.values)}
    return out


def _warm_up(src: Records, th: Thresholds, frame) -> list[str]:
    """Flag periods too close to the start of the data to count losses fully.

    A non-contractual customer can only be found lost a threshold after its last purchase, and
    the data says nothing of purchases before it starts: in periods starting earlier than
    (first date in the data + the longest threshold) churn is undercounted. Such rows get
    ``history_complete = False`` and the result a warning, so nobody reads the low early
    figures as an improvement.
    """
    v = src.transactions.occurred_at.min().to_pandas()
    if frame.empty:
        return []
    if v is None or pd.isna(v):
        # no purchases (contracts only): losses are seen when a contract ends, never late
        frame["history_complete"] = True
        return []
    first = pd.Timestamp(v).date()
    longest = max([th.default, *th.by_segment.values()])
    ready = first + timedelta(days=longest)
    frame["history_complete"] = pd.to_datetime(frame["period_start"]).dt.date >= ready
    if frame["history_complete"].all():
        return []
    return [
        f"purchases in the data start on {first}; non-contractual losses can only be seen {longest} days after a last "
        f"purchase, so churn in periods starting before {ready} is undercounted (history_complete = false)"
    ]


def cohorts(ctx: Context, opts: CohortsOptions) -> TableResult:
    """The cohort retention triangle (long form); see :mod:`churnguard.compute.measure.cohorts`."""
    P.check_period(opts.period, ("month", "quarter"))
    m = measure_inputs(ctx, opts)
    th = m.thresholds()
    frame = _cohorts(m.src, m.settings.churn, as_of=m.as_of, period=opts.period,
                     basis=opts.basis, start=opts.start, thresholds=th)
    frame = window(frame, opts.to, "cohort_start")
    retained = ("customers of the cohort active at the end of the period"
                if opts.basis == "customers" else "the cohort's revenue in the period")
    return TableResult(frame, {"definition": definition(
        m, th, measure="cohorts", period=opts.period, basis=opts.basis, start=opts.start,
        cohort="customers acquired (first purchase or contract start) in the period",
        retained=retained,
        retention="retained / cohort_size" if opts.basis == "customers" else "retained / revenue in period 0",
    )})


def retention(ctx: Context, opts: RetentionOptions) -> TableResult:
    """GRR, NRR, expansion and contraction per period; see :mod:`churnguard.compute.measure.retention`."""
    P.check_period(opts.period)
    m = measure_inputs(ctx, opts)
    th = m.thresholds()
    frame = _retention(m.src, m.settings.churn, as_of=m.as_of, period=opts.period,
                       basis=opts.basis, start=opts.start, thresholds=th)
    frame = window(frame, opts.to)
    return TableResult(frame, {"definition": definition(
        m, th, measure="retention", period=opts.period, basis=opts.basis, start=opts.start,
        grr="(value_at_start - value_lost - contraction) / value_at_start",
        nrr="(value_at_start - value_lost - contraction + expansion) / value_at_start",
    )})


def price_volume(ctx: Context, opts: PriceVolumeOptions) -> TableResult:
    """Revenue change split into customer, volume and price effects, with false-growth warnings."""
    P.check_period(opts.period)
    m = measure_inputs(ctx, opts)
    frame = _price_volume(m.src, as_of=m.as_of, period=opts.period, start=opts.start,
                          tolerance=opts.tolerance)
    attrs = dict(frame.attrs)
    frame = window(frame, opts.to)
    frame.attrs.update(attrs)
    warnings = [
        {"period_start": r.period_start, "comparison": r.comparison, "compared_with": r.compared_with,
         "warning": r.warning}
        for r in frame.itertuples() if r.warning
    ]
    comparison = frame.attrs["comparison"]
    against = ("the same period a year before (the data are seasonal)" if comparison == "year_before"
               else "the previous period")
    fall = "fall" if opts.tolerance == 0 else f"fall by more than {opts.tolerance:.0%}"
    return TableResult(frame, {
        "definition": {
            "measure": "price-volume", "period": opts.period, "start": opts.start,
            "as_of": m.as_of, "as_of_source": m.as_of_source, "engine": m.src.engine,
            "split": "customer_effect = dN·q0·p0; volume_effect = N1·dq·p0; price_effect = N1·q1·dp; "
                     "other_effect = change in revenue of transactions without a quantity "
                     "(each against the previous period)",
            "warning": f"revenue holds or grows while units or buying customers {fall}, against {against}; "
                       "never when revenue fell",
            "comparison": comparison,
            "tolerance": opts.tolerance,
        },
        "seasonality": frame.attrs["seasonality"],
        "warnings": warnings,
    })


def compare(ctx: Context, opts: CompareOptions) -> TableResult:
    """Churn rate before vs after ``opts.at`` with a 95% interval and a p-value."""
    window = P.parse_window(opts.window)
    m = measure_inputs(ctx, opts)
    th = m.thresholds()
    frame, test = _compare(m.src, m.settings.churn, at=opts.at, window=window,
                           as_of=m.as_of, thresholds=th)
    notes = []
    if not bool(frame["complete"].iloc[1]):
        notes.append(f"the 'after' window is cut short at the as-of date {m.as_of}: "
                     "its rate covers less time than the 'before' one")
    return TableResult(frame, {
        "definition": definition(m, th, measure="compare", at=opts.at, window=str(window),
                                  churn_rate="customers_lost / customers_at_start, per window"),
        "comparison": test,
        "notes": notes,
    })
