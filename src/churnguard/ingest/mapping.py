"""Map the headers of a user's file to canonical column names.

Headers in Chinese or English are recognised from a built-in synonym list; a TOML mapping
file (``[columns]`` table: canonical name = header in the file) overrides it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

from churnguard.errors import InputError
from churnguard.schema import Table

# canonical name -> ways people write it (compared after normalise())
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer_id", "customer id", "customer", "customer no", "customer number",
                    "cust id", "client id", "account id", "客户编号", "客户id", "客户代码", "客户号",
                    "客户编码", "会员编号", "会员id", "用户id", "账户id"),
    "name": ("name", "customer name", "company", "客户名称", "客户名", "名称", "公司名称", "姓名"),
    "segment": ("segment", "customer segment", "细分", "客户细分", "客户分群", "行业", "industry"),
    "region": ("region", "area", "区域", "地区", "大区", "省份", "province"),
    "customer_type": ("customer_type", "customer type", "type", "客户类型", "客户类别", "客户等级"),
    "acquired_at": ("acquired_at", "acquired", "acquisition date", "signup date", "created at",
                    "customer since", "获客日期", "开户日期", "注册日期", "首次合作日期", "建档日期"),
    "birthday": ("birthday", "birth date", "date of birth", "生日", "出生日期"),
    "group_id": ("group_id", "group", "group id", "parent company", "集团", "集团编号", "所属集团", "关联组"),
    "csm": ("csm", "account manager", "customer success manager", "owner", "sales rep",
            "客户经理", "客户成功经理", "大客户经理", "负责人", "销售代表"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"),
    "phone": ("phone", "telephone", "mobile", "tel", "电话", "手机", "手机号", "联系电话"),
    "occurred_at": ("occurred_at", "date", "order date", "transaction date", "purchase date",
                    "invoice date", "time", "下单日期", "交易日期", "订单日期", "购买日期", "日期",
                    "下单时间", "交易时间", "接触日期", "时间"),
    "amount": ("amount", "revenue", "sales", "total", "value", "order amount", "金额", "交易金额",
               "订单金额", "销售额", "实收金额", "总额", "实付金额"),
    "quantity": ("quantity", "qty", "units", "数量", "件数", "销量"),
    "unit_price": ("unit_price", "unit price", "price", "单价", "价格"),
    "cost": ("cost", "cogs", "成本", "成本金额"),
    "product": ("product", "sku", "item", "product name", "产品", "商品", "产品名称", "商品名称", "品名"),
    "category": ("category", "product category", "品类", "类别", "产品类别", "商品类别"),
    "order_id": ("order_id", "order", "order no", "order number", "invoice", "订单号", "订单编号", "单号"),
    "due_at": ("due_at", "due date", "payment due", "应付日期", "到期日", "付款截止日期", "应收日期"),
    "paid_at": ("paid_at", "paid date", "payment date", "付款日期", "实付日期", "回款日期", "收款日期"),
    "contract_id": ("contract_id", "contract", "contract no", "contract number", "subscription id",
                    "合同编号", "合同号", "合同id", "订阅编号"),
    "start_at": ("start_at", "start", "start date", "contract start", "开始日期", "起始日期", "合同开始日期", "生效日期"),
    "end_at": ("end_at", "end", "end date", "contract end", "结束日期", "终止日期", "合同结束日期", "到期日期"),
    "recurring_value": ("recurring_value", "recurring value", "arr", "annual value", "contract value",
                        "合同金额", "年费", "合同年金额", "经常性收入"),
    "renewed_from": ("renewed_from", "renewal of", "previous contract", "续约自", "原合同编号", "上期合同"),
    "cancelled_at": ("cancelled_at", "cancelled", "cancellation date", "canceled at", "取消日期", "解约日期"),
    "kind": ("kind", "interaction type", "activity", "类型", "接触类型", "接触方式", "跳槽类型"),
    "channel": ("channel", "渠道"),
    "direction": ("direction", "方向"),
    "complaint_id": ("complaint_id", "complaint", "complaint no", "ticket", "ticket id", "投诉编号", "工单号"),
    "opened_at": ("opened_at", "opened", "open date", "complaint date", "投诉日期", "受理日期", "提交日期"),
    "severity": ("severity", "priority", "严重程度", "级别", "优先级"),
    "text": ("text", "description", "content", "details", "投诉内容", "内容", "描述"),
    "resolved_at": ("resolved_at", "resolved", "resolution date", "closed at", "解决日期", "关闭日期", "处理完成日期"),
    "resolution": ("resolution", "outcome", "处理结果", "解决方案"),
    "answered_at": ("answered_at", "answered", "survey date", "response date", "调查日期", "填写日期", "回复日期"),
    "satisfaction": ("satisfaction", "csat", "satisfaction score", "满意度", "满意度评分", "满意程度"),
    "nps": ("nps", "recommend", "likelihood to recommend", "推荐意愿", "净推荐值", "推荐度"),
    "comment": ("comment", "comments", "feedback", "remarks", "意见", "备注", "评论", "反馈"),
    "recorded_at": ("recorded_at", "recorded", "date recorded", "interview date", "记录日期", "访谈日期"),
    "reason": ("reason", "churn reason", "流失原因", "原因", "跳槽原因"),
    "competitor": ("competitor", "rival", "竞争对手", "竞品"),
    "notes": ("notes", "note", "备注说明", "说明", "访谈记录"),
    "source": ("source", "来源", "信息来源"),
    "secondary_reason": ("secondary_reason", "secondary reason", "次要原因", "第二原因"),
    "recoverable": ("recoverable", "can win back", "可挽回", "能否挽回", "是否可挽回"),
    "attempts": ("attempts", "contact attempts", "联系次数", "尝试次数"),
    "confidence": ("confidence", "置信度"),
    "period_start": ("period_start", "period", "period start", "quarter start", "期间", "期间开始", "统计期"),
    "estimated_total_spend": ("estimated_total_spend", "total spend", "wallet", "wallet size",
                              "estimated spend", "估计总支出", "钱包规模", "总采购额", "估计采购总额"),
}


def normalise(header: str) -> str:
    """Compare headers without case, spacing, punctuation or a bracketed unit ("金额（元）")."""
    h = str(header).strip().lower()
    h = re.sub(r"[（(\[【].*?[)）\]】]", "", h)
    return re.sub(r"[\s_\-./:：·]+", " ", h).strip()


def read_mapping_file(path: Path) -> dict[str, str]:
    """Read a TOML mapping file: ``[columns]`` canonical name = header in the file."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path}: mapping file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML mapping file: {exc}") from None
    cols = raw.get("columns")
    if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
        raise InputError(
            f"{path}: expected a [columns] table of canonical_name = \"header in your file\", e.g.\n"
            '[columns]\ncustomer_id = "客户编号"\namount = "金额"'
        )
    return dict(cols)


def resolve_mapping(
    headers: list[str], table: Table, overrides: dict[str, str] | None = None, *, source: str = "file"
) -> dict[str, str]:
    """Return ``{canonical column: header in the file}`` for ``table``.

    Raises
    ------
    InputError
        When a required column is missing (naming the nearest header), a mapping file names a
        canonical column that does not exist, or names a header the file does not have.
    """
    overrides = overrides or {}
    canonical = table.column_names
    for name, header in overrides.items():
        if name not in canonical:
            close = difflib.get_close_matches(name, canonical, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"mapping names unknown column {name!r} for {table.kind}{hint} "
                f"(columns: {', '.join(canonical)})"
            )
        if header not in headers:
            raise InputError(
                f"{source}: mapping says {name} = {header!r}, but the file has no such header "
                f"(headers: {', '.join(map(repr, headers))})"
            )
    mapping: dict[str, str] = dict(overrides)
    taken = set(overrides.values())
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise(h), h)
    for name in canonical:
        if name in mapping:
            continue
        for alias in (name, *SYNONYMS.get(name, ())):
            h = by_norm.get(normalise(alias))
            if h is not None and h not in taken:
                mapping[name] = h
                taken.add(h)
                break
    missing = [c for c in table.required if c not in mapping]
    if missing:
        free = [h for h in headers if h not in taken]
        parts = []
        for m in missing:
            close = difflib.get_close_matches(m, free, n=1, cutoff=0.5)
            parts.append(f"{m!r}" + (f" (nearest header: {close[0]!r})" if close else ""))
        raise InputError(
            f"{source}: no column for {', '.join(parts)} in {table.kind}; headers found: "
            f"{', '.join(map(repr, headers))}. Rename the header, or pass --mapping FILE with e.g.\n"
            f"[columns]\n{missing[0]} = \"<your header>\""
        )
    return {c: mapping[c] for c in canonical if c in mapping}
