"""Every message exists in Chinese; formats and language negotiation follow each language."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from churnguard.i18n import Translator, catalog_path, negotiate, translate_message, translations
from churnguard.schema import KINDS
from churnguard.service.users import ROLES
from churnguard.settings import documented_fields

ROOT = Path(__file__).resolve().parents[2]


def extracted() -> set[str | tuple[str, ...]]:
    """What ``make messages`` extracts, read with babel.cfg as pybabel reads it."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(ROOT), method_map, options_map):
        found.add(message)
    return found


@pytest.fixture(scope="module")
def zh_catalog():
    with catalog_path("zh").open("rb") as f:
        return read_po(f, locale="zh")


def test_every_message_has_a_chinese_translation(zh_catalog) -> None:
    """A new ``_()`` in code or a template, a new setting or a new row-error reason fails here until
    ``make messages`` has run and the Chinese is written."""
    messages = extracted()
    assert len(messages) > 100
    by_id = {m.id: m for m in zh_catalog if m.id}
    missing = [m for m in messages if m not in by_id]
    untranslated = [
        m.id for m in by_id.values()
        if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    stale = [k for k in by_id if k not in messages]
    assert missing == [], "run 'make messages' and translate"
    assert untranslated == []
    assert stale == [], "run 'make messages' to drop messages no longer used"


def test_placeholders_match(zh_catalog) -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in zh_catalog.check()]
    assert problems == []


def test_every_kind_table_role_and_setting_has_a_label() -> None:
    from churnguard.present.web import labels

    assert set(labels.KINDS) == set(KINDS)
    assert set(labels.ROLES) == set(ROLES)
    assert set(labels.SETTINGS) == set(documented_fields())
    assert {k.split(".")[0] for k in documented_fields() if "." in k} | {""} == set(labels.SECTIONS)


def test_messages_and_plurals() -> None:
    zh, en = Translator("zh"), Translator("en")
    assert zh.gettext("Sign in") == "登录" and en.gettext("Sign in") == "Sign in"
    assert zh.gettext("User %(name)s added.", name="王芳") == "已添加用户 王芳。"
    assert en.ngettext("Saved %(n)s setting.", "Saved %(n)s settings.", 1) == "Saved 1 setting."
    assert en.ngettext("Saved %(n)s setting.", "Saved %(n)s settings.", 1200) == "Saved 1,200 settings."
    assert zh.ngettext("Saved %(n)s setting.", "Saved %(n)s settings.", 2) == "已保存 2 项设置。"
    assert translations("zh") is translations("zh")  # compiled once per process
    with pytest.raises(ValueError, match="choose one of zh, en"):
        translations("fr")


def test_row_error_reasons_are_translated() -> None:
    from churnguard.ingest.checks import DATE_HELP

    zh = Translator("zh")
    assert translate_message(zh, DATE_HELP).startswith("不是日期")
    assert translate_message(zh, "amount is required but empty") == "amount 为必填项，但此处为空"
    assert translate_message(zh, "duplicate customer_id (first on line 2)") == "customer_id 重复（首次出现在第 2 行）"
    assert translate_message(zh, "something new") == "something new"
    assert translate_message(Translator("en"), DATE_HELP) == DATE_HELP


def test_numbers_and_dates_follow_the_language() -> None:
    zh, en = Translator("zh", "Asia/Shanghai"), Translator("en", "Asia/Shanghai")
    assert zh.format_date(date(2024, 1, 5)) == "2024年1月5日"
    assert en.format_date("2024-01-05") == "Jan 5, 2024"
    assert en.format_number(1234567) == "1,234,567" and zh.format_number(1234567.891, 1) == "1,234,567.9"
    assert zh.format_percent(0.0523) == "5.2%"
    assert zh.format_currency(1234.5, "CNY") == "¥1,234.50"
    # stored timestamps are UTC; shown in the workspace's zone
    assert zh.format_datetime(datetime(2024, 1, 5, 13, 4)) == "2024年1月5日 21:04:00"
    assert "9:04:00\u202fPM" in en.format_datetime("2024-01-05 13:04:00") or "9:04:00 PM" in en.format_datetime(
        "2024-01-05 13:04:00")
    assert zh.format_number(None) == zh.format_date(None) == "—"
    assert Translator("zh", "Not/AZone").tz.key == "UTC"


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9,en;q=0.5,zh;q=0.7", "zh"),
    ("zh-TW", "zh"),
    ("de", None),
    ("", None),
    (None, None),
    ("en;q=0, zh;q=0.1", "zh"),
    ("*;q=0.5, en;q=abc", None),
    ("garbage;;;,,,", None),
])
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize("language", ["zh", "en"])
def test_fast_number_formats_are_babels(language: str) -> None:
    """Numbers are formatted by Python where the language writes them as Babel would; same text."""
    from babel import numbers as bn

    tr = Translator(language)
    locale = tr.locale
    for v in (-0.0004, 0.0, 1234567.891, -12.5, 0.1234, 2.25, 0.05, 1e-9, 0.99994, 98765, -3):
        assert tr.format_percent(v) == bn.format_percent(v, format="#,##0.0%", locale=locale)
        assert tr.format_percent(v, 0) == bn.format_percent(v, format="#,##0%", locale=locale)
        assert tr.format_number(v, 0) == bn.format_decimal(v, format="#,##0", locale=locale)
        assert tr.format_number(v, 2) == bn.format_decimal(v, format="#,##0.00", locale=locale)
    assert tr.format_number(1234567) == bn.format_decimal(1234567, locale=locale) == "1,234,567"
