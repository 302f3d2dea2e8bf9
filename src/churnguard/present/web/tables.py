"""Tables the pages and the report share: churn-rate groups side by side, codes as words."""

from __future__ import annotations

from typing import Any

from churnguard.i18n import Translator
from churnguard.present.web import labels


def group_labeller(tr: Translator, by: str | None):
    """``label(value)``: how a value of the ``by`` column reads (codes translated, blanks as —)."""
    codes = labels.GROUP_VALUES.get(by or "", {})

    def label(value: object) -> str:
        if value is None or value == "":
            return "—"
        return tr.gettext(codes[value]) if value in codes else str(value)

    return label


def pivot_groups(rows: list[dict[str, Any]], by: str, label: Any, periods: int = 6,
                 ) -> tuple[list[dict[str, Any]], list[str], str | None]:
    """Churn-rate rows of ``by`` groups as one row per group with its last ``periods`` rates.

    Returns ``(groups, period_starts, last)``: groups highest churn in the last complete,
    fully-counted period first (those without a rate then at the end), each
    ``{"value", "label", "rates": {period_start: rate}, "last": row of the last period}``.
    """
    starts = list(dict.fromkeys(r["period_start"] for r in rows))
    done = [s for s in starts if all(r["complete"] and r["history_complete"] for r in rows if r["period_start"] == s)]
    shown = (done or starts)[-periods:]
    last = shown[-1] if shown else None
    groups: dict[Any, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(r[by], {"value": r[by], "label": label(r[by]), "rates": {}, "last": None})
        if r["period_start"] in shown:
            g["rates"][r["period_start"]] = r["churn_rate"]
        if r["period_start"] == last:
            g["last"] = r

    def last_rate(g: dict[str, Any]) -> float | None:
        return g["last"]["churn_rate"] if g["last"] else None

    table = sorted(groups.values(), key=lambda g: (last_rate(g) is None, -(last_rate(g) or 0), g["label"]))
    return table, shown, last
