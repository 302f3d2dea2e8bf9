"""The domain vocabulary of DESIGN.md, in English and Simplified Chinese.

Code uses the English keys; people see the label of their language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A concept: its key in code, its labels, and for churn reasons whether it is controllable."""

    key: str
    en: str
    zh: str
    controllable: bool | None = None

    def label(self, language: str) -> str:
        """Return the label in ``language`` (``zh`` or ``en``)."""
        return self.zh if language == "zh" else self.en


CHURN_REASONS: dict[str, Term] = {
    t.key: t
    for t in (
        Term("price", "price", "价格", True),
        Term("product", "product", "产品", True),
        Term("service", "service", "服务", True),
        Term("promotion", "promotion (a rival's offer)", "促销", True),
        Term("market", "market (left the market)", "市场", True),
        Term("technology", "technology (switched to a substitute)", "技术", True),
        Term("business_change", "business contraction/expansion", "业务收缩/扩张", False),
        Term("closure", "closure", "倒闭", False),
        Term("other", "other", "其他", None),
    )
}

#: Chinese (and a few English) ways people write a churn reason → key.
CHURN_REASON_ALIASES: dict[str, str] = {
    **{t.zh: k for k, t in CHURN_REASONS.items()},
    "业务收缩": "business_change",
    "业务扩张": "business_change",
    "业务变化": "business_change",
    "业务变动": "business_change",
    "business contraction": "business_change",
    "business expansion": "business_change",
    "competitor promotion": "promotion",
    "closed": "closure",
    "关闭": "closure",
    "其它": "other",
}

SATISFACTION: dict[int, Term] = {
    5: Term("5", "very satisfied", "高度满意"),
    4: Term("4", "satisfied", "一般满意"),
    3: Term("3", "neutral", "无意见"),
    2: Term("2", "somewhat dissatisfied", "有些不满意"),
    1: Term("1", "very dissatisfied", "极不满意"),
}

#: Label → satisfaction level, both languages.
SATISFACTION_ALIASES: dict[str, int] = {
    **{t.zh: k for k, t in SATISFACTION.items()},
    **{t.en: k for k, t in SATISFACTION.items()},
    "满意": 4,
    "不满意": 2,
    "非常满意": 5,
    "非常不满意": 1,
    "一般": 3,
}

CUSTOMER_TYPES: dict[str, Term] = {
    "key": Term("key", "key account", "大客户"),
    "regular": Term("regular", "regular", "普通客户"),
}

CUSTOMER_TYPE_ALIASES: dict[str, str] = {
    "大客户": "key",
    "重点客户": "key",
    "关键客户": "key",
    "key account": "key",
    "普通客户": "regular",
    "普通": "regular",
    "一般客户": "regular",
}

CHURN_KINDS: dict[str, Term] = {
    "complete": Term("complete", "complete defector", "完全跳槽客户"),
    "partial": Term("partial", "partial defector", "部分跳槽客户"),
}

CHURN_KIND_ALIASES: dict[str, str] = {
    "完全跳槽": "complete",
    "完全跳槽客户": "complete",
    "完全": "complete",
    "部分跳槽": "partial",
    "部分跳槽客户": "partial",
    "部分": "partial",
}

RFM_SEGMENTS: dict[str, Term] = {
    t.key: t
    for t in (
        Term("important_value", "important value", "重要价值"),
        Term("important_development", "important development", "重要发展"),
        Term("important_retention", "important retention", "重要保持"),
        Term("important_winback", "important win-back", "重要挽留"),
        Term("general_value", "general value", "一般价值"),
        Term("general_development", "general development", "一般发展"),
        Term("general_retention", "general retention", "一般保持"),
        Term("general_winback", "general win-back", "一般挽留"),
    )
}

#: Common complaint categories (the simulator's among them); a company's own words stay as written.
COMPLAINT_CATEGORIES: dict[str, Term] = {
    t.key: t
    for t in (
        Term("delivery", "delivery", "交付"),
        Term("quality", "quality", "质量"),
        Term("billing", "billing", "账单"),
        Term("service", "service", "服务"),
        Term("outage", "outage", "故障"),
        Term("price", "price", "价格"),
    )
}

#: What surrounds a number in an amount as people write it (¥1,234.50, ￥1，234, RMB 56, 56元):
#: removed before the number is read. One regular expression valid in both DuckDB (RE2) and
#: Python, so an import and a user's own table read amounts alike.
MONEY_NOISE = r"[¥￥$€£,，\s]|RMB|CNY|元"

#: Text that a spreadsheet would run as a formula when a cell starts with it (OWASP's list for
#: CSV injection). Exports write such text inert; imports read it unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(value: object) -> object:
    """``value`` made safe to open in a spreadsheet: text starting like a formula gets a leading ``'``.

    Numbers and everything else pass unchanged, so ``-56`` stays a number; only text is touched.

    Examples
    --------
    >>> inert_text('=HYPERLINK("http://x")')
    '\'=HYPERLINK("http://x")'
    >>> inert_text(-56.0), inert_text("华东")
    (-56.0, '华东')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

INTERACTION_KINDS = (
    "visit",
    "call",
    "message",
    "email_open",
    "social_like",
    "renewal_inquiry",
    "unsubscribe",
)

INTERACTION_KIND_ALIASES: dict[str, str] = {
    "拜访": "visit",
    "电话": "call",
    "消息": "message",
    "短信": "message",
    "邮件打开": "email_open",
    "点赞": "social_like",
    "续约咨询": "renewal_inquiry",
    "续约询问": "renewal_inquiry",
    "退订": "unsubscribe",
    "email open": "email_open",
    "social like": "social_like",
    "renewal inquiry": "renewal_inquiry",
}
