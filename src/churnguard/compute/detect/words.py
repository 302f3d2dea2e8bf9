"""Evidence in words: one template per kind of evidence, in English and Simplified Chinese.

Every piece of evidence is ``{"code", "text", "values"}``: a stable code for machines, the
sentence for people in the workspace's language, and the numbers behind it.
"""

from __future__ import annotations

import math
from typing import Any

from churnguard.vocab import CHURN_REASONS, COMPLAINT_CATEGORIES, Term

TEMPLATES: dict[str, tuple[str, str]] = {
    # complete defectors
    "contract_ended": (
        "contract ended on {ended} without renewal",
        "合同于 {ended} 到期，未续约",
    ),
    "contract_cancelled": (
        "contract cancelled on {ended}",
        "合同已于 {ended} 取消",
    ),
    "inactive": (
        "no purchase for {days} days (threshold {threshold}; usually every {usual} days)",
        "已 {days} 天未购买（阈值 {threshold} 天；平时每 {usual} 天一次）",
    ),
    "inactive_no_usual": (
        "no purchase for {days} days (threshold {threshold})",
        "已 {days} 天未购买（阈值 {threshold} 天）",
    ),
    "p_alive": (
        "probability still a customer {p_alive} (BG/NBD: {orders} purchases, none for {days} days)",
        "仍为客户的概率 {p_alive}（BG/NBD：共购买 {orders} 次，已 {days} 天未购买）",
    ),
    # partial defectors
    "share_of_wallet": (
        "share of wallet fell from {before} to {after} ({z} standard errors below its usual)",
        "荷包占有率从 {before} 降到 {after}（低于自身常态 {z} 个标准误）",
    ),
    "share_of_wallet_now": (
        "share of wallet {after} now, {before} before ({z} standard errors from its usual)",
        "荷包占有率现为 {after}，此前 {before}（偏离自身常态 {z} 个标准误）",
    ),
    "spend_down": (
        "spend {after} per month in the last {recent} days vs {before} before, seasonally adjusted "
        "({drop} lower, {z} standard errors)",
        "近 {recent} 天月均消费 {after}，此前 {before}（经季节调整，下降 {drop}，{z} 个标准误）",
    ),
    "order_size_down": (
        "orders of {after} on average in the last {recent} days vs {before} before, seasonally adjusted "
        "({drop} smaller, {z} standard errors)",
        "近 {recent} 天平均每单 {after}，此前 {before}（经季节调整，减少 {drop}，{z} 个标准误）",
    ),
    "frequency_down": (
        "{orders} purchases in the last {recent} days where about {expected} were usual ({drop} fewer)",
        "近 {recent} 天购买 {orders} 次，按常态应约 {expected} 次（减少 {drop}）",
    ),
    "breadth_down": (
        "stopped buying {category}: {lines_before} of {all_before} order lines before, none of {lines_after} since",
        "不再购买 {category}：此前 {all_before} 行订单中有 {lines_before} 行，近期 {lines_after} 行中 0 行",
    ),
    "recorded_partial": (
        "your team recorded a partial defection {days} days ago ({when}): {reason}",
        "团队于 {days} 天前（{when}）记录为部分跳槽：{reason}",
    ),
    "recorded_partial_competitor": (
        "your team recorded a partial defection {days} days ago ({when}): {reason}, to {competitor}",
        "团队于 {days} 天前（{when}）记录为部分跳槽：{reason}，转向 {competitor}",
    ),
    # warning signals
    "contact_drop": (
        "{recent} contacts in the last {days} days where about {usual} were usual",
        "近 {days} 天仅接触 {recent} 次，平时约 {usual} 次",
    ),
    "no_contact": (
        "no contact for {days} days (usually every {usual})",
        "已 {days} 天无接触（平时每 {usual} 天一次）",
    ),
    "renewal_silence": (
        "contract ends in {days} days ({end}) and no renewal inquiry",
        "合同 {days} 天后（{end}）到期，尚无续约咨询",
    ),
    "unsubscribed": (
        "unsubscribed {days} days ago",
        "{days} 天前退订",
    ),
    "complaint_open": (
        "complaint open {days} days ({category})",
        "投诉已 {days} 天未解决（{category}）",
    ),
    "complaint_new": (
        "new complaint {days} days ago ({category})",
        "{days} 天前新投诉（{category}）",
    ),
    "satisfaction_low": (
        "satisfaction {level} of 5 in the survey {days} days ago",
        "{days} 天前满意度调查为 {level} 分（满分 5）",
    ),
    "satisfaction_fell": (
        "satisfaction fell from {before} to {after} of 5",
        "满意度从 {before} 分降到 {after} 分",
    ),
    "spend_trend": (
        "spend {drop} lower in the last {days} days than its usual, seasonally adjusted ({z} standard errors)",
        "近 {days} 天消费比自身常态低 {drop}（经季节调整，{z} 个标准误）",
    ),
    "frequency_trend": (
        "{orders} purchases in the last {days} days where about {expected} were usual",
        "近 {days} 天购买 {orders} 次，平时约 {expected} 次",
    ),
    "chain": (
        "{count} related customer(s) in group {group} lost in the last {days} days (latest {example} on {when})",
        "同一集团 {group} 近 {days} 天有 {count} 家关联客户流失（最近：{example}，{when}）",
    ),
    "price_exposure": (
        "prices it pays rose {rise} and it buys {units} fewer units per line (price-sensitive)",
        "其采购价格上涨 {rise}，每行采购数量减少 {units}（价格敏感）",
    ),
    # reasons of the churn model (per evidence family)
    "recency": (
        "no purchase for {days} days (usually every {usual})",
        "已 {days} 天未购买（平时每 {usual} 天一次）",
    ),
    "recency_plain": ("no purchase for {days} days", "已 {days} 天未购买"),
    "recency_typical": (
        "no purchase for {days} days (customers usually buy every {usual})",
        "已 {days} 天未购买（客户通常每 {usual} 天购买一次）",
    ),
    "share_of_wallet_fell": (
        "share of wallet fell from {before} to {after}",
        "荷包占有率从 {before} 降到 {after}",
    ),
    "wallet_elsewhere": (
        "buys less from us against its estimated needs ({z} standard errors below its usual)",
        "在我方的采购相对其估计需求下降（低于自身常态 {z} 个标准误）",
    ),
    "wallet_elsewhere_plain": (
        "buys less from us against its estimated needs",
        "在我方的采购相对其估计需求下降",
    ),
    "complaint_open_plain": ("complaint open {days} days", "投诉已 {days} 天未解决"),
    "complaint_past_plain": ("complaint {days} days ago", "{days} 天前有投诉"),
    "complaint_new_plain": ("new complaint {days} days ago", "{days} 天前新投诉"),
    "satisfaction_low_plain": ("satisfaction {level} of 5 in its last survey", "最近一次满意度调查为 {level} 分（满分 5）"),
    "region_complaints_plain": (
        "complaints in its region: {rate} per 1,000 customers in the last 60 days (usually {usual})",
        "所在地区近 60 天投诉 {rate} 件/千客户（平时 {usual}）",
    ),
    "price_rise": (
        "prices it pays rose {rise}",
        "其采购价格上涨 {rise}",
    ),
    "renewal_silence_plain": (
        "contract ends in {days} days and no renewal inquiry",
        "合同 {days} 天后到期，尚无续约咨询",
    ),
    "chain_plain": (
        "{count} related customer(s) in group {group} lost in the last {days} days",
        "同一集团 {group} 近 {days} 天有 {count} 家关联客户流失",
    ),
    "cause_unknown": ("cause unknown: call and ask", "原因不明：建议回访"),
    "no_purchase": ("no purchase on record", "无购买记录"),
    "frequency": (
        "{recent} purchases in the last 90 days, {year} in the last year ({before} the year before)",
        "近 90 天购买 {recent} 次，近一年 {year} 次（上一年 {before} 次）",
    ),
    "spend_level": (
        "spend {recent} in the last 90 days, {year} in the last year ({before} the year before)",
        "近 90 天消费 {recent}，近一年 {year}（上一年 {before}）",
    ),
    "breadth": (
        "buys {recent} product categories now vs {before} before",
        "目前购买 {recent} 个品类，此前 {before} 个",
    ),
    "contact_fewer": (
        "{recent} contacts in the last 90 days vs {before} in the 90 days before",
        "近 90 天接触 {recent} 次，之前 90 天 {before} 次",
    ),
    "contact_none": ("no contact on record", "无接触记录"),
    "contract_ends": ("contract ends in {days} days ({end})", "合同 {days} 天后（{end}）到期"),
    "contract_lapsed": (
        "contract ended {days} days ago, no renewal yet",
        "合同已于 {days} 天前到期，尚未续约",
    ),
    "contract_none": ("no contract (buys order by order)", "无合同（按单采购）"),
    "complaint_past": ("complaint {days} days ago ({category})", "{days} 天前有投诉（{category}）"),
    "complaint_none": ("no complaint on record", "无投诉记录"),
    "survey_none": ("no survey answer on record", "无满意度调查记录"),
    "region_complaints": (
        "complaints in its region {region}: {rate} per 1,000 customers in the last 60 days (usually {usual})",
        "所在地区 {region} 近 60 天投诉 {rate} 件/千客户（平时 {usual}）",
    ),
    "price_change": (
        "prices it pays changed {rise}; units per order line changed {units}",
        "采购价格变化 {rise}；每行采购数量变化 {units}",
    ),
    "group": ("one of {size} related customers in group {group}", "集团 {group} 的 {size} 家关联客户之一"),
    "no_group": ("no related customers on record", "无关联客户记录"),
    "returns": ("{count} returns in the last year", "近一年退货 {count} 次"),
    "tenure": ("customer for {days} days", "已合作 {days} 天"),
    "value": ("{value} revenue in the last 12 months", "近 12 个月收入 {value}"),
    "profile": ("{customer_type} customer, segment {segment}, region {region}", "{customer_type}，行业 {segment}，地区 {region}"),
    "late_payment": (
        "{late} of {invoices} invoices paid late in the last year",
        "近一年 {invoices} 张发票中 {late} 张逾期付款",
    ),
    # a column of a user's own table (churnguard model score)
    "column_above": ("{column} = {value} (above the median {median})", "{column} = {value}（高于中位数 {median}）"),
    "column_below": ("{column} = {value} (below the median {median})", "{column} = {value}（低于中位数 {median}）"),
    "column_value": ("{column} = {value}", "{column} = {value}"),
    "column_blank": ("{column} is blank", "{column} 为空"),
}


def fmt_number(v: Any, digits: int = 0) -> str:
    """A number for a sentence: thousands separators, no trailing noise; '?' when unknown."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "?"
    if isinstance(v, (int,)) or digits == 0:
        return f"{round(float(v)):,}"
    return f"{float(v):,.{digits}f}"


def fmt_share(v: Any) -> str:
    """A share as a percentage."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "?"
    return f"{100 * float(v):.0f}%"


def _one_decimal(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "?"
    return f"{float(v):.1f}"


def _signed_share(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "?"
    return ("+" if float(v) >= 0 else "") + fmt_share(v)


#: How the values of a code read in its sentence where they are not plain whole numbers (the
#: ``shown`` of the calls of :func:`say`); :func:`reword` says a stored piece of evidence again
#: from its code and values with these, in another language.
FORMATS: dict[str, dict[str, Any]] = {
    "p_alive": {"p_alive": fmt_share},
    "share_of_wallet": {"before": fmt_share, "after": fmt_share, "z": _one_decimal},
    "share_of_wallet_now": {"before": fmt_share, "after": fmt_share, "z": _one_decimal},
    "share_of_wallet_fell": {"before": fmt_share, "after": fmt_share},
    "wallet_elsewhere": {"z": _one_decimal},
    "price_rise": {"rise": fmt_share},
    "region_complaints_plain": {"rate": _one_decimal, "usual": _one_decimal},
    "spend_down": {"drop": fmt_share, "z": _one_decimal},
    "order_size_down": {"drop": fmt_share, "z": _one_decimal},
    "frequency_down": {"expected": _one_decimal, "drop": fmt_share},
    "spend_trend": {"drop": fmt_share, "z": _one_decimal},
    "frequency_trend": {"expected": _one_decimal},
    "price_exposure": {"rise": fmt_share, "units": fmt_share},
    "price_change": {"rise": _signed_share, "units": _signed_share},
    "region_complaints": {"rate": _one_decimal, "usual": _one_decimal},
}


#: Values of a code that are words of the vocabulary, said in the sentence's language (a
#: complaint category "delivery" reads 交付 in Chinese); other words stay as they were written.
WORDS: dict[str, dict[str, dict[str, Term]]] = {
    **{code: {"category": COMPLAINT_CATEGORIES} for code in ("complaint_open", "complaint_new", "complaint_past")},
    **{code: {"reason": CHURN_REASONS} for code in ("recorded_partial", "recorded_partial_competitor")},
}


def _words(code: str, language: str, values: dict[str, Any]) -> dict[str, str]:
    """How the vocabulary words among ``values`` read in ``language``."""
    out = {}
    for key, terms in WORDS.get(code, {}).items():
        v = values.get(key)
        if isinstance(v, str) and v in terms:
            out[key] = terms[v].label(language)
    return out


def in_language(items: list[dict[str, Any]], language: str | None) -> list[dict[str, Any]]:
    """Stored reasons or evidence (``{"code", "text", "values", …}``) with ``text`` said in
    ``language`` (:func:`reword`); as stored when ``language`` is None."""
    if language is None:
        return items
    return [{**i, "text": reword(i, language)} for i in items]


def reword(item: dict[str, Any], language: str) -> str:
    """The sentence of a stored piece of evidence (``{"code", "text", "values"}``) in ``language``.

    Evidence is stored in the workspace's language; a reader of the other language gets it said
    again from its code and values. An unknown code, or values that do not fit the template,
    keep the stored text.
    """
    code = item.get("code")
    values = item.get("values") or {}
    if code not in TEMPLATES or not isinstance(values, dict):
        return str(item.get("text", ""))
    en, zh = TEMPLATES[code]
    formats = FORMATS.get(code, {})
    shown = {k: formats[k](v) if k in formats else (v if isinstance(v, str) else fmt_number(v))
             for k, v in values.items()}
    shown.update(_words(code, language, values))
    try:
        return (zh if language == "zh" else en).format(**shown)
    except (KeyError, IndexError, ValueError):
        return str(item.get("text", ""))


def say(code: str, language: str, values: dict[str, Any], **shown: str) -> dict[str, Any]:
    """One piece of evidence: ``{"code", "text", "values"}`` with the sentence in ``language``.

    ``values`` are the raw figures (kept for machines); ``shown`` overrides how some of them
    read in the sentence (a share as a percentage, a date); the rest are formatted numbers.
    """
    en, zh = TEMPLATES[code]
    template = zh if language == "zh" else en
    clean = {k: _plain(v) for k, v in values.items()}
    # the sentence is said from the numbers as stored (rounded), so that saying it again from
    # them (reword) gives the same words: 5.98504 would read 599% and its stored 5.985 598%
    text_values = {k: v if isinstance(v, str) else fmt_number(v) for k, v in clean.items()}
    text_values.update(_words(code, language, values))
    text_values.update(shown)
    text_values.update({k: f(clean[k]) for k, f in FORMATS.get(code, {}).items() if k in clean})
    return {"code": code, "text": template.format(**text_values), "values": clean}


def _plain(v: Any) -> Any:
    """A JSON-friendly value: numpy scalars become Python numbers, NaN becomes None."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return round(v, 4) if math.isfinite(v) else None
    return v
