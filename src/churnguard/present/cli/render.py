"""One renderer for result tables: headers in the reader's language, numbers written for people.

A column is ``(key, label)`` or ``(key, label, format)``; the label is an English message
(marked with ``N_``) shown through the translator. Formats:

- ``auto`` (default): a whole number grouped (``12,345``), a fraction with two decimals, a
  list joined with ``; `` (a dict in it by its ``text``), yes/no for a truth value;
- ``count``, ``amount`` (no decimals), ``number`` (two decimals), ``ratio`` (three significant
  digits), ``pct`` (a share as ``5.2%``), ``text``.

A missing value is ``—``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from churnguard.i18n import N_

if TYPE_CHECKING:
    from rich.table import Table

    from churnguard.i18n import Translator

Column = tuple[str, str] | tuple[str, str, str]

_RIGHT = {"count", "amount", "number", "ratio", "pct"}


def cell(value: Any, fmt: str, tr: Translator) -> str:
    """One value as the table shows it."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if fmt == "text":
        return str(value)
    if fmt == "pct":
        return tr.format_percent(float(value))
    if fmt == "count":
        return tr.format_number(int(value))
    if fmt == "amount":
        return tr.format_number(round(float(value)))
    if fmt == "number":
        return tr.format_number(float(value), 2)
    if fmt == "ratio":
        return f"{float(value):.3g}"
    if isinstance(value, bool):
        return tr.gettext(N_("yes") if value else N_("no"))
    if isinstance(value, int):
        return tr.format_number(value)
    if isinstance(value, float):
        return tr.format_number(int(value)) if value.is_integer() else tr.format_number(value, 2)
    if isinstance(value, list | tuple):
        return "; ".join(str(x.get("text", x)) if isinstance(x, dict) else str(x) for x in value)
    return str(value)


def _parts(col: Column) -> tuple[str, str, str]:
    return (col[0], col[1], col[2]) if len(col) == 3 else (col[0], col[1], "auto")


def render_table(rows: Iterable[dict], columns: Sequence[Column], tr: Translator, *,
                 title: str | None = None, limit: int | None = None) -> Table:
    """A Rich table of ``rows`` (dicts) with ``columns``; ``title`` is translated too."""
    from rich.table import Table

    t = Table(title=tr.gettext(title) if title else None, show_header=True)
    specs = [_parts(c) for c in columns]
    for _key, label, fmt in specs:
        t.add_column(tr.gettext(label) if label else "", justify="right" if fmt in _RIGHT else "left")
    for i, row in enumerate(rows):
        if limit is not None and i >= limit:
            break
        t.add_row(*[cell(row.get(key), fmt, tr) for key, _label, fmt in specs])
    return t
