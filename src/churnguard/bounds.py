"""What churnguard accepts at its edges (CLI options, query parameters, form fields).

Dates: the engines count time in pandas/NumPy nanosecond timestamps, which end on 2262-04-11,
and add periods and horizons to the dates they are given; a date far outside any business's
records (0001-01-01, 9999-12-31) is a typing mistake. Dates outside
:data:`EARLIEST_DATE` .. :data:`LATEST_DATE` are refused with a message naming the option.

Text: NUL and the other control characters are refused wherever text comes in from a person
(PostgreSQL cannot store NUL at all; nobody types one on purpose). Tab, line feed and carriage
return are allowed in form fields (a text area holds lines) but not in query parameters.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from churnguard.errors import InputError

#: The first and last dates churnguard accepts as an option or parameter.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)

#: Control characters a multi-line form field may hold.
LINE_CONTROLS = frozenset("\t\n\r")


def check_date(value: date | None, name: str) -> date | None:
    """``value`` when it is within :data:`EARLIEST_DATE` .. :data:`LATEST_DATE` (or None).

    Raises
    ------
    InputError
        Naming ``name`` (the option or parameter) and the dates accepted.
    """
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise InputError(f"{name}: {value.isoformat()} is outside the dates churnguard handles "
                         f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})")
    return value


def bad_character(text: str, *, lines: bool = False) -> str | None:
    """The first control character (or lone surrogate) in ``text``, or None when there is none.

    Parameters
    ----------
    text
        The value to check.
    lines
        Allow tab, line feed and carriage return (a multi-line form field).
    """
    for ch in text:
        if (ch < " " or "\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff") and not (
                lines and ch in LINE_CONTROLS):
            return ch
    return None


def describe_character(ch: str) -> str:
    """``U+0000 (NUL)``: how a refused character is named in a message."""
    name = {"\x00": "NUL", "\t": "TAB", "\n": "LF", "\r": "CR", "\x7f": "DEL"}.get(ch) or unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")
