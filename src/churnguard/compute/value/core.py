"""The core-customer flag (核心客户) and its one-line explanation.

A customer is core when all of these hold (thresholds in the workspace settings,
``[value]``):

- **value** — it is in the top of the 80/20 curve: among the customers who together make
  ``pareto_share`` of the revenue of the trailing ``churn.value_window_days``;
- **loyalty, tenure** — it has been a customer for at least ``core_min_tenure_days``;
- **loyalty, regularity** — it bought in at least ``core_min_active_quarters`` of the last
  four 91-day quarters;
- **timely payment** — it paid at least ``core_min_on_time_share`` of its invoices due on or
  before the as-of date by their due date. Customers without any due invoice (or data
  without due dates) are not judged on payment.

The explanation lists, in the workspace language, the evidence for a core customer
("前3%收入贡献, 合作4.2年, 近4季度4季有购买, 按时付款率96%") or the criteria a customer misses
("非核心: 合作仅0.4年(需≥1.0年), 按时付款率62%(需≥90%)").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from churnguard.settings import Settings

TEXT = {
    "zh": {
        "top": "前{p}%收入贡献",
        "not_top": "收入排名{rank}/{n}, 不在贡献{share}%收入的客户内",
        "no_revenue": "近{days}天无收入",
        "tenure": "合作{years}年",
        "short": "合作仅{years}年(需≥{need}年)",
        "regular": "近4季度{q}季有购买",
        "irregular": "近4季度仅{q}季有购买(需≥{need}季)",
        "paid": "按时付款率{pct}%",
        "late": "按时付款率{pct}%(需≥{need}%)",
        "no_invoices": "无到期账单",
        "not_core": "非核心: ",
        "sep": ", ",
    },
    "en": {
        "top": "top {p}% of revenue",
        "not_top": "revenue rank {rank} of {n}, outside the customers making {share}% of revenue",
        "no_revenue": "no revenue in the last {days} days",
        "tenure": "{years} years",
        "short": "only {years} years (needs ≥ {need})",
        "regular": "bought in {q} of the last 4 quarters",
        "irregular": "bought in only {q} of the last 4 quarters (needs ≥ {need})",
        "paid": "{pct}% paid on time",
        "late": "{pct}% paid on time (needs ≥ {need}%)",
        "no_invoices": "no invoices due",
        "not_core": "not core: ",
        "sep": ", ",
    },
}


def _pct(share: float) -> str:
    return f"{100 * share:.0f}"


def core_flags(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """``core`` (bool) and ``core_reason`` (str) for each row of the value table.

    Parameters
    ----------
    frame : DataFrame
        The value table so far: ``revenue``, ``revenue_rank``, ``pareto_top``,
        ``tenure_days``, ``active_quarters``, ``invoices_due``, ``on_time_share``.
    settings : Settings
        Thresholds (``value.*``, ``churn.value_window_days``) and ``language``.

    Returns
    -------
    DataFrame
        ``core`` and ``core_reason`` on ``frame``'s index.
    """
    v = settings.value
    text = TEXT[settings.language]
    n = len(frame)
    revenue = frame["revenue"].fillna(0.0).to_numpy(dtype=float)
    rank = frame["revenue_rank"].to_numpy(dtype=float)
    top = frame["pareto_top"].fillna(False).to_numpy(dtype=bool)
    tenure_years = frame["tenure_days"].fillna(0).to_numpy(dtype=float) / 365.25
    quarters = frame["active_quarters"].fillna(0).to_numpy(dtype=np.int64)
    due = frame["invoices_due"].fillna(0).to_numpy(dtype=float)
    on_time = frame["on_time_share"].to_numpy(dtype=float)
    need_years = v.core_min_tenure_days / 365.25
    long_enough = frame["tenure_days"].fillna(0).to_numpy(dtype=float) >= v.core_min_tenure_days
    regular = quarters >= v.core_min_active_quarters
    judged = due > 0
    pays = ~judged | (np.nan_to_num(on_time, nan=0.0) >= v.core_min_on_time_share - 1e-12)
    core = top & long_enough & regular & pays

    share = _pct(v.pareto_share)
    need_pct = _pct(v.core_min_on_time_share)
    window = settings.churn.value_window_days
    reasons = []
    for i in range(n):
        parts = []
        p = max(1, math.ceil(100 * rank[i] / n)) if n else 0
        if core[i]:
            parts.append(text["top"].format(p=p))
            parts.append(text["tenure"].format(years=f"{tenure_years[i]:.1f}"))
            parts.append(text["regular"].format(q=quarters[i]))
            parts.append(text["paid"].format(pct=_pct(on_time[i])) if judged[i] else text["no_invoices"])
            reasons.append(text["sep"].join(parts))
            continue
        if revenue[i] <= 0:
            parts.append(text["no_revenue"].format(days=window))
        elif not top[i]:
            parts.append(text["not_top"].format(rank=f"{int(rank[i]):,}", n=f"{n:,}", share=share))
        if not long_enough[i]:
            parts.append(text["short"].format(years=f"{tenure_years[i]:.1f}", need=f"{need_years:.1f}"))
        if not regular[i]:
            parts.append(text["irregular"].format(q=quarters[i], need=v.core_min_active_quarters))
        if not pays[i]:
            parts.append(text["late"].format(pct=_pct(on_time[i]), need=need_pct))
        reasons.append(text["not_core"] + text["sep"].join(parts))
    return pd.DataFrame({"core": core, "core_reason": reasons}, index=frame.index)
