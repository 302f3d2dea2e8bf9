"""Languages: Simplified Chinese and English messages (gettext catalogs) and Babel formats.

Messages are written in English in the code and templates (``_("Data")``) and translated by
the catalogs in ``locale/<lang>/LC_MESSAGES/churnguard.po``. The ``.po`` files are the only
form kept: they are compiled in memory the first time a language is used, so an installed
package, an editable install and a fresh clone all read the same text, and no compiled
``.mo`` can go stale. ``make messages`` re-extracts the catalog template and updates both
languages; ``tests/i18n`` fails when a message has no Chinese translation.

Examples
--------
>>> tr = Translator("zh")
>>> tr.gettext("Data")
'数据'
>>> tr.format_date(__import__("datetime").date(2024, 1, 5))
'2024年1月5日'
>>> Translator("en").format_number(1234567.5)
'1,234,567.5'
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "churnguard"
LANGUAGES = ("zh", "en")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
# the Babel locale that formats numbers and dates for each language
_BABEL_LOCALE = {"zh": "zh_Hans_CN", "en": "en_US"}


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (it is translated where shown)."""
    return message


class Message(str):
    """English text that can still be translated: a ``str`` that keeps its msgid and values.

    Lower layers build messages with it; the CLI and the API see plain English, a page shows
    it in the reader's language (:func:`translate_message`).

    >>> m = Message(N_("must be at least %(limit)s (got %(value)s)"), limit=0, value="-1")
    >>> str(m), m.msgid, m.values
    ('must be at least 0 (got -1)', 'must be at least %(limit)s (got %(value)s)', {'limit': 0, 'value': '-1'})
    """

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Message:
        obj = super().__new__(cls, msgid % values if values else msgid)
        obj.msgid = msgid
        obj.values = values
        return obj


def catalog_path(language: str) -> Path:
    """The ``.po`` file of ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language`` (read from its ``.po`` once per process)."""
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: choose one of {', '.join(LANGUAGES)}")
    path = catalog_path(language)
    if not path.exists():  # English is the source language: no catalog means the text as written
        return _gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=_BABEL_LOCALE[language].split("_")[0], domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def negotiate(accept_language: str | None) -> str | None:
    """The first of our languages in an ``Accept-Language`` header, by preference, or None.

    >>> negotiate("en-GB,en;q=0.9,zh-CN;q=0.8"), negotiate("zh-TW,fr;q=0.5"), negotiate("fr")
    ('en', 'zh', None)
    """
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, item in enumerate(accept_language.split(",")[:20]):
        m = _ACCEPT_ITEM.match(item)
        if not m:
            continue
        try:
            q = float(m.group(2)) if m.group(2) else 1.0
        except ValueError:
            continue
        if q > 0:
            ranked.append((-q, i, m.group(1).split("-")[0].lower()))
    for _q, _i, lang in sorted(ranked):
        if lang in LANGUAGES:
            return lang
    return None


class Translator:
    """Messages and formats of one language: what a page or a report is rendered with.

    Parameters
    ----------
    language : str
        ``zh`` or ``en``.
    timezone : str
        Time zone that stored (UTC) timestamps are shown in.
    """

    def __init__(self, language: str, timezone: str = "Asia/Shanghai"):
        self.language = language
        self.locale = _BABEL_LOCALE[language]
        self._t = translations(language)
        # Babel formats a number in 20-50 µs, and a cohort table holds ~700 of them; where the
        # language writes numbers as Python does (grouping ',' decimal '.' minus '-', percent
        # as a '%' suffix: both zh and en), numbers are formatted by Python's format()
        # instead, which tests check gives Babel's text.
        self._python_numbers = _writes_numbers_like_python(self.locale)
        try:
            self.tz = ZoneInfo(timezone)
        except (KeyError, ValueError):  # a bad zone in settings must not break every page
            self.tz = ZoneInfo("UTC")

    # -- messages -------------------------------------------------------------------------
    def gettext(self, message: str, **values: object) -> str:
        """``message`` in this language, with ``%(name)s`` placeholders filled from ``values``."""
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The singular or plural form for ``n`` (``%(n)s`` is filled with ``n`` formatted)."""
        text = self._t.ngettext(singular, plural, n)
        return text % {"n": self.format_number(n), **values}

    # -- formats --------------------------------------------------------------------------
    def format_number(self, value: float | int | None, digits: int | None = None) -> str:
        """A number with this language's grouping (``1,234,567``); ``—`` for none."""
        if value is None:
            return "—"
        if self._python_numbers and (digits is not None or isinstance(value, int)):
            return f"{value:,.{digits or 0}f}"
        if digits is not None:
            return babel_numbers.format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                                                locale=self.locale)
        return babel_numbers.format_decimal(value, locale=self.locale)

    def format_percent(self, value: float | None, digits: int = 1) -> str:
        """A share as a percentage (``0.052`` → ``5.2%``)."""
        if value is None:
            return "—"
        if self._python_numbers:
            return f"{value * 100:,.{digits}f}%"
        return babel_numbers.format_percent(value, format="#,##0" + ("." + "0" * digits if digits else "") + "%",
                                            locale=self.locale)

    def format_currency(self, value: float | None, currency: str) -> str:
        """An amount of money in ``currency`` (ISO 4217)."""
        if value is None:
            return "—"
        return babel_numbers.format_currency(value, currency, locale=self.locale)

    def format_date(self, value: date | str | None) -> str:
        """A date the way this language writes it (``2024年1月5日`` / ``Jan 5, 2024``)."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return babel_dates.format_date(value, "medium", locale=self.locale)

    def format_period(self, start: date | str | None, period: str) -> str:
        """The period that begins on ``start``: ``2024年第2季度`` / ``Q2 2024``, ``2024年4月`` / ``Apr 2024``."""
        if start is None or start == "":
            return "—"
        if isinstance(start, str):
            start = date.fromisoformat(start[:10])
        return _format_period(start, period, self.locale)

    def format_datetime(self, value: datetime | str | None) -> str:
        """A stored (UTC) timestamp in the workspace's time zone."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return babel_dates.format_datetime(value, "medium", tzinfo=self.tz, locale=self.locale)


@functools.lru_cache(maxsize=4096)
def _format_period(start: date, period: str, locale: str) -> str:
    # Babel's skeleton formatting takes ~0.1 ms; a cohort page names each period twice
    skeleton = {"month": "yMMM", "quarter": "yQQQ", "year": "y"}.get(period, "yMMMd")
    return babel_dates.format_skeleton(skeleton, start, locale=locale)


@functools.cache
def _writes_numbers_like_python(locale: str) -> bool:
    """Whether ``locale`` writes grouped decimals and percentages as Python's format() does."""
    symbols = (babel_numbers.get_decimal_symbol(locale), babel_numbers.get_group_symbol(locale),
               babel_numbers.get_minus_sign_symbol(locale))
    percent = babel_numbers.format_percent(-12.345, format="#,##0.0%", locale=locale)
    return symbols == (".", ",", "-") and percent == "-1,234.5%"


# Messages made at run time by lower layers (row-error reasons); the exact ones are looked up
# in the catalog as they are, these patterns catch the ones with a value inside.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<column>\w+) is required but empty$"), N_("%(column)s is required but empty")),
    (re.compile(r"^duplicate (?P<key>.+) \(first on line (?P<line>\d+)\)$"),
     N_("duplicate %(key)s (first on line %(line)s)")),
)


def message_of(exc: BaseException) -> str:
    """An exception's message, still a :class:`Message` when it was raised with one."""
    if exc.args and isinstance(exc.args[0], Message) and len(exc.args) == 1:
        return exc.args[0]
    return str(exc)


def translate_message(tr: Translator, text: str) -> str:
    """``text`` (a message from a lower layer) in ``tr``'s language when the catalog knows it, else as is."""
    if isinstance(text, Message):
        return tr.gettext(text.msgid, **text.values)
    translated = tr.gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _PATTERNS:
        m = pattern.match(text)
        if m:
            return tr.gettext(msgid, **m.groupdict())
    return text


__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Message",
    "N_",
    "Translator",
    "message_of",
    "negotiate",
    "translate_message",
    "translations",
]
