"""The report's content, written once for both formats: headline figures, warnings, and tables
whose cells keep their kind (rate, money, count …) so HTML formats them as text and Excel
stores them as numbers with a number format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from churnguard.present.report.data import ReportData
from churnguard.present.web import charts
from churnguard.present.web.tables import group_labeller, pivot_groups
from churnguard.present.web.warnings import describe

#: Kinds of cells: how HTML writes them and which Excel number format they get.
KINDS = ("text", "period", "count", "money", "rate", "date", "number")


@dataclass
class Column:
    """A column: its header (translated) and the kind of its cells."""

    label: str
    kind: str = "text"


@dataclass
class Table:
    """A table of the report (one Excel sheet)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""
    chart: dict[str, Any] | None = None
    period: str = "quarter"


@dataclass
class Content:
    """Everything a report shows."""

    title: str
    subtitle: str
    headline: list[tuple[str, Any, str]] = field(default_factory=list)  # (label, value, kind)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (code, title, text)
    tables: list[Table] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


def content(data: ReportData) -> Content:
    """The report's content from its figures, in ``data.tr``'s language."""
    tr = data.tr
    _ = tr.gettext
    ov = data.overview
    as_of = ov.get("as_of")
    c = Content(
        title=_("Customer churn report"),
        subtitle=_("Data as of %(date)s · made %(when)s · %(workspace)s", date=tr.format_date(as_of),
                   when=tr.format_datetime(data.generated_at.replace(tzinfo=None)), workspace=data.workspace),
        problems=data.problems,
    )
    tables = (ov.get("status") or {}).get("tables", {})
    c.headline = [
        (_("Customers"), tables.get("customers", {}).get("rows"), "count"),
        (_("Transactions"), tables.get("transactions", {}).get("rows"), "count"),
        (_("Contracts"), tables.get("contracts", {}).get("rows"), "count"),
    ]
    latest = ov.get("latest") or {}
    period = ov.get("period", "quarter")
    if latest.get("churn"):
        last = latest["churn"]
        p = tr.format_period(last["period_start"], period)
        c.headline += [
            (_("Churn rate, %(period)s", period=p), last["churn_rate"], "rate"),
            (_("Value churn, %(period)s", period=p), last["value_churn_rate"], "rate"),
            (_("Customers lost, %(period)s", period=p), last["customers_lost"], "count"),
        ]
    if latest.get("retention"):
        c.headline += [(_("Gross revenue retention (GRR)"), latest["retention"]["grr"], "rate"),
                       (_("Net revenue retention (NRR)"), latest["retention"]["nrr"], "rate")]
    c.warnings = [describe(tr, w, period) for w in ov.get("warnings", [])]
    for build in (_churn, _segments, _retention, _cohorts, _price_volume):
        table = build(data)
        if table is not None:
            c.tables.append(table)
    return c


def _churn(data: ReportData) -> Table | None:
    tr, ov = data.tr, data.overview
    rows = ov.get("churn") or []
    if not rows:
        return None
    _ = tr.gettext
    x = [tr.format_period(r["period_start"], "quarter") for r in rows]
    chart = charts.rate_lines(x, {_("By customers"): [r["churn_rate"] for r in rows],
                                  _("By value"): [r["value_churn_rate"] for r in rows]},
                              [r["history_complete"] for r in rows])
    return Table(
        "churn", _("Churn rate"),
        [Column(_("Period"), "period"), Column(_("At start"), "count"), Column(_("Lost"), "count"),
         Column(_("Churn rate"), "rate"), Column(_("Value at start"), "money"), Column(_("Value lost"), "money"),
         Column(_("Value churn"), "rate"), Column(_("Fully counted"), "text")],
        [[r["period_start"], r["customers_at_start"], r["customers_lost"], r["churn_rate"], r["value_at_start"],
          r["value_lost"], r["value_churn_rate"], _("yes") if r["history_complete"] else _("no")] for r in rows],
        note=_("Churn rate = customers lost during the period ÷ customers active at its start (customers acquired during the period are not counted)."),
        chart=chart,
    )


def _segments(data: ReportData) -> Table | None:
    d = data.figures.get("segments")
    if not d or not d["data"]:
        return None
    tr = data.tr
    _ = tr.gettext
    table, shown, last = pivot_groups(d["data"], "segment", group_labeller(tr, "segment"))
    ranked = [g for g in table if g["last"] and g["last"]["churn_rate"] is not None]
    chart = charts.hbar([g["label"] for g in ranked[:25]], [g["last"]["churn_rate"] for g in ranked[:25]],
                        number_format=".1%") if ranked else None
    return Table(
        "segments", _("Churn rate by segment"),
        [Column(_("Segment")), Column(_("At start"), "count"), Column(_("Lost"), "count"),
         *[Column(tr.format_period(p, "quarter"), "rate") for p in shown]],
        [[g["label"], (g["last"] or {}).get("customers_at_start"), (g["last"] or {}).get("customers_lost"),
          *[g["rates"].get(p) for p in shown]] for g in table],
        note=_("Highest first. As of %(date)s.", date=tr.format_date(d["definition"]["as_of"])),
        chart=chart,
    )


def _retention(data: ReportData) -> Table | None:
    d = data.figures.get("retention")
    rows = [r for r in (d or {}).get("data", []) if r["value_at_start"]]
    if not rows:
        return None
    tr = data.tr
    _ = tr.gettext
    x = [tr.format_period(r["period_start"], "quarter") for r in rows]
    chart = charts.rate_lines(x, {"GRR": [r["grr"] for r in rows], "NRR": [r["nrr"] for r in rows]},
                              [r["complete"] for r in rows])
    return Table(
        "retention", _("Revenue retention"),
        [Column(_("Period"), "period"), Column(_("Customers at start"), "count"), Column(_("Value at start"), "money"),
         Column(_("Value lost"), "money"), Column(_("Contraction"), "money"), Column(_("Expansion"), "money"),
         Column("GRR", "rate"), Column("NRR", "rate")],
        [[r["period_start"], r["customers_at_start"], r["value_at_start"], r["value_lost"], r["contraction"],
          r["expansion"], r["grr"], r["nrr"]] for r in rows],
        note=_("Of the value held by the customers active at the start of a period: GRR = (value − lost − contraction) ÷ value; NRR adds their expansion. NRR above 100% means the customers kept grew more than the others shrank or left."),
        chart=chart,
    )


def _cohorts(data: ReportData) -> Table | None:
    d = data.figures.get("cohorts")
    if not d or not d["data"]:
        return None
    tr = data.tr
    _ = tr.gettext
    cohorts: dict[str, dict[str, Any]] = {}
    for r in d["data"]:
        cohorts.setdefault(r["cohort_start"], {"size": r["cohort_size"], "cells": {}})["cells"][r["period_offset"]] = r
    width = max(max(c["cells"]) for c in cohorts.values()) + 1
    z = [[c["cells"][k]["retention"] if k in c["cells"] else None for k in range(width)] for c in cohorts.values()]
    y = [f"{tr.format_period(s, 'quarter')} ({tr.format_number(c['size'])})" for s, c in cohorts.items()]
    chart = charts.heatmap([f"+{k}" for k in range(width)], y, z, x_title=_("Periods after acquisition"))
    return Table(
        "cohorts", _("Cohorts"),
        [Column(_("Cohort"), "period"), Column(_("Customers"), "count"), *[Column(f"+{k}", "rate") for k in range(width)]],
        [[s, c["size"], *row] for (s, c), row in zip(cohorts.items(), z, strict=True)],
        note=_("Each row is the customers acquired in one period (their number in brackets); each column, how many periods later. A cell is the share still active at the end of that period."),
        chart=chart,
    )


def _price_volume(data: ReportData) -> Table | None:
    d = data.figures.get("price_volume")
    if not d or not d["data"]:
        return None
    tr = data.tr
    _ = tr.gettext
    rows = d["data"]
    shown = rows[1:] if len(rows) > 1 else rows
    x = [tr.format_period(r["period_start"], "quarter") for r in shown]
    chart = charts.effect_bars(
        x, {_("Customers"): [r["customer_effect"] for r in shown], _("Volume per customer"): [r["volume_effect"] for r in shown],
            _("Price"): [r["price_effect"] for r in shown], _("Other"): [r["other_effect"] for r in shown]},
        [r["revenue_change"] for r in shown], _("Revenue change"), [bool(r["warning"]) for r in shown])
    return Table(
        "price_volume", _("Price and volume"),
        [Column(_("Period"), "period"), Column(_("Revenue"), "money"), Column(_("Units"), "number"),
         Column(_("Buying customers"), "count"), Column(_("Average price"), "money"),
         Column(_("Revenue change"), "money"), Column(_("Customers"), "money"),
         Column(_("Volume per customer"), "money"), Column(_("Price"), "money"), Column(_("Other"), "money"),
         Column(_("False growth?"), "text")],
        [[r["period_start"], r["revenue"], r["units"], r["customers"], r["avg_price"], r["revenue_change"],
          r["customer_effect"], r["volume_effect"], r["price_effect"], r["other_effect"],
          _("yes") if r["warning"] else ""] for r in rows],
        note=_("Revenue change from the period before, split into: fewer or more buying customers; fewer or more units per customer; higher or lower prices. A price rise can hide lost volume behind flat revenue.")
        + ("" if tr.language == "zh" else " ") + (_("False growth (revenue held or grew while units or buying customers fell) is judged against the same period a year before: the data are seasonal.")
                 if d.get("definition", {}).get("comparison") == "year_before"
                 else _("False growth (revenue held or grew while units or buying customers fell) is judged against the period before.")),
        chart=chart,
    )
