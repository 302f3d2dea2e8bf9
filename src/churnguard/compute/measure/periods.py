"""Calendar periods (month, quarter, year) as integer indexes, in Ibis and in Python.

A period is numbered so that consecutive periods differ by one: month ``year*12 + month-1``,
quarter ``year*4 + quarter-1``, year ``year``. Grouping by the index is portable across
engines (no engine-specific ``date_trunc``) and the few period bounds are built in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

from churnguard.errors import InputError

PERIODS = ("month", "quarter", "year")


def check_period(period: str, allowed: tuple[str, ...] = PERIODS) -> str:
    """Return ``period`` or raise an error listing the allowed ones."""
    if period not in allowed:
        raise InputError(f"--period: {period!r} is not one of: {', '.join(allowed)}")
    return period


def period_index(d: date, period: str) -> int:
    """Index of the period that holds ``d``."""
    if period == "month":
        return d.year * 12 + d.month - 1
    if period == "quarter":
        return d.year * 4 + (d.month - 1) // 3
    return d.year


def period_index_expr(d: ir.DateValue, period: str) -> ir.IntegerValue:
    """Ibis expression of :func:`period_index` over a date column."""
    if period == "month":
        return (d.year() * 12 + d.month() - 1).cast("int64")
    if period == "quarter":
        return (d.year() * 4 + d.quarter() - 1).cast("int64")
    return d.year().cast("int64")


def period_start(k: int, period: str) -> date:
    """First day of period ``k``."""
    if period == "month":
        return date(k // 12, k % 12 + 1, 1)
    if period == "quarter":
        return date(k // 4, (k % 4) * 3 + 1, 1)
    return date(k, 1, 1)


def period_end(k: int, period: str) -> date:
    """Last day of period ``k``."""
    return period_start(k + 1, period) - timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """A length of time such as ``2q`` (two quarters), ``6m``, ``1y`` or ``90d``."""

    count: int
    unit: str  # d, m, q, y

    def before(self, at: date) -> date:
        """The day that lies one window before ``at``."""
        return self._shift(at, -1)

    def after(self, at: date) -> date:
        """The day that lies one window after ``at``."""
        return self._shift(at, 1)

    def _shift(self, at: date, sign: int) -> date:
        if self.unit == "d":
            return at + timedelta(days=sign * self.count)
        months = self.count * {"m": 1, "q": 3, "y": 12}[self.unit]
        k = at.year * 12 + at.month - 1 + sign * months
        y, m = divmod(k, 12)
        last = (date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - timedelta(days=1)).day
        return date(y, m + 1, min(at.day, last))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


_WINDOW = re.compile(r"^\s*(\d+)\s*([dmqy])\s*$", re.IGNORECASE)


def parse_window(text: str) -> Window:
    """Parse ``2q``, ``6m``, ``1y`` or ``90d``."""
    m = _WINDOW.match(text or "")
    if not m or int(m.group(1)) <= 0:
        raise InputError(
            f"--window: {text!r} is not a length; write a positive number and a unit: "
            "d (days), m (months), q (quarters) or y (years), e.g. 2q"
        )
    return Window(int(m.group(1)), m.group(2).lower())


def periods_frame(k_from: int, k_to: int, period: str, as_of: date):
    """Small table of periods ``k_from..k_to``: index, start, end (clipped to ``as_of``), complete."""
    import pandas as pd

    rows = []
    for k in range(k_from, k_to + 1):
        end = period_end(k, period)
        rows.append(
            {
                "k": k,
                "period_start": period_start(k, period),
                "period_end": min(end, as_of),
                "complete": end <= as_of,
            }
        )
    return pd.DataFrame(rows, columns=["k", "period_start", "period_end", "complete"])


def memtable(frame, types: dict[str, str]) -> ir.Table:
    """An Ibis memtable of a small pandas frame with the column ``types`` given."""
    return ibis.memtable(frame[list(types)], schema=ibis.schema(types))
