"""Evidence said again in another language from its code and values (what the pages show)."""

from __future__ import annotations

import math

from churnguard.compute.detect.words import FORMATS, TEMPLATES, fmt_share, reword, say


def test_formatted_values_read_as_when_they_were_said() -> None:
    item = say("share_of_wallet", "zh", {"before": 0.62, "after": 0.31, "z": 2.345},
               before=fmt_share(0.62), after=fmt_share(0.31), z="2.3")
    assert reword(item, "zh") == item["text"] == "荷包占有率从 62% 降到 31%（低于自身常态 2.3 个标准误）"
    assert reword(item, "en") == "share of wallet fell from 62% to 31% (2.3 standard errors below its usual)"
    item = say("renewal_silence", "en", {"days": 61.0, "end": "2026-11-30"})
    assert reword(item, "zh") == "合同 61 天后（2026-11-30）到期，尚无续约咨询"
    item = say("recency", "zh", {"days": 40.0, "usual": math.nan})
    assert reword(item, "en") == "no purchase for 40 days (usually every ?)"


def test_unknown_or_broken_evidence_keeps_its_text() -> None:
    assert reword({"code": "no_such_code", "text": "as stored", "values": {}}, "en") == "as stored"
    assert reword({"code": "recency", "text": "as stored", "values": {"days": 3}}, "en") == "as stored"
    assert reword({"text": "no code"}, "zh") == "no code"


def test_every_format_names_a_known_code() -> None:
    assert set(FORMATS) <= set(TEMPLATES)


def test_a_known_complaint_category_reads_in_the_sentence_language() -> None:
    item = say("complaint_open", "zh", {"days": 21, "category": "delivery"})
    assert item["text"] == "投诉已 21 天未解决（交付）"
    assert item["values"]["category"] == "delivery"  # the stored value stays the code
    assert reword(item, "en") == "complaint open 21 days (delivery)"
    assert reword(say("complaint_past", "en", {"days": 5, "category": "outage"}), "zh") == "5 天前有投诉（故障）"
    # a company's own word is shown as written, in either language
    own = say("complaint_new", "zh", {"days": 3, "category": "发票错误"})
    assert own["text"] == "3 天前新投诉（发票错误）" and reword(own, "en") == "new complaint 3 days ago (发票错误)"


def test_a_sentence_is_said_from_its_stored_numbers() -> None:
    """A figure on a rounding edge reads the same when said and when said again from what was
    stored (the stored values keep 4 decimals): 5.98504 is 599% but its stored 5.985 is 598%."""
    item = say("share_of_wallet", "zh", {"before": 5.98504, "after": 1.4712, "z": 0.55},
               before=fmt_share(5.98504), after=fmt_share(1.4712), z="0.6")
    assert reword(item, "zh") == item["text"]
    item = say("recency", "en", {"days": 40.0, "usual": 2.50004})
    assert reword(item, "en") == item["text"]


def test_a_share_of_wallet_that_rose_is_not_said_to_have_fallen() -> None:
    from churnguard.compute.predict.reasons import _wallet

    # a share that rose argues against the risk: it is no reason at all
    assert _wallet({}, {"share_of_wallet": 0.81, "share_of_wallet_change": 0.36, "share_of_wallet_z": 0.6}, "en") is None
    fell = _wallet({}, {"share_of_wallet": 0.31, "share_of_wallet_change": -0.31, "share_of_wallet_z": -2.3}, "zh")
    assert fell["text"] == "荷包占有率从 62% 降到 31%（低于自身常态 2.3 个标准误）"
