"""Warnings of the figures in the reader's language: a warning is a dict with a ``code`` and its
values (see :mod:`churnguard.service.overview`), worded here."""

from __future__ import annotations

from typing import Any

from churnguard.i18n import Translator, translate_message


def describe(tr: Translator, w: dict[str, Any], period: str = "quarter") -> tuple[str, str, str]:
    """``(code, title, text)`` of warning ``w``."""
    return (str(w.get("code", "")), *_words(tr, w, period))


def _words(tr: Translator, w: dict[str, Any], period: str) -> tuple[str, str]:
    if w.get("code") == "false_growth":
        when = tr.format_period(w["period_start"], period)
        values = {"period": when, "revenue": _pct(tr, w.get("revenue_change")),
                  "units": _pct(tr, w.get("units_change")), "customers": _pct(tr, w.get("customers_change"))}
        units_fell = (w.get("units_change") or 0) < 0
        customers_fell = (w.get("customers_change") or 0) < 0
        title = tr.gettext("False growth in %(period)s?", period=when)
        if units_fell and customers_fell:
            text = tr.gettext("Revenue %(revenue)s while units %(units)s and buying customers %(customers)s: "
                              "revenue is holding up on a shrinking base. Check prices.", **values)
        elif units_fell:
            text = tr.gettext("Revenue %(revenue)s while units %(units)s: revenue is holding up on a shrinking "
                              "base. Check prices.", **values)
        elif customers_fell:
            text = tr.gettext("Revenue %(revenue)s while buying customers %(customers)s: revenue is holding up "
                              "on a shrinking base. Check prices.", **values)
        else:
            text = translate_message(tr, w.get("message", ""))
        if w.get("compared_with"):
            compared = tr.format_period(w["compared_with"], period)
            sep = "" if tr.language == "zh" else " "
            if w.get("comparison") == "year_before":
                text += sep + tr.gettext("Compared with %(compared)s, the same period a year before (the data are "
                                         "seasonal).", compared=compared)
            else:
                text += sep + tr.gettext("Compared with the previous period, %(compared)s.", compared=compared)
        return title, text
    if w.get("code") == "history_short":
        return (tr.gettext("History too short"),
                tr.gettext("Purchases in the data start on %(first)s, and a customer without a contract is seen "
                           "as lost only %(days)s days after a last purchase: churn in periods starting before "
                           "%(ready)s is undercounted (open circles in the charts).",
                           first=tr.format_date(w.get("first_date")), days=tr.format_number(w.get("threshold_days")),
                           ready=tr.format_date(w.get("ready_date"))))
    return tr.gettext("Warning"), translate_message(tr, str(w.get("message", "")))


def _pct(tr: Translator, v: float | None) -> str:
    if v is None:
        return "—"
    text = tr.format_percent(v)
    return text if v < 0 else "+" + text
