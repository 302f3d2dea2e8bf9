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

import string

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def _text(template: str, **fields: object) -> pa.Array | str:
    """``template.format(**fields)`` where fields may be string arrays: one string per row.

    Built with Arrow's string kernels: a Python f-string per customer took 2 s per 100,000.
    """
    pieces: list[object] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is not None:
            value = fields[name]
            pieces.append(value if isinstance(value, pa.Array) else format(value, spec or ""))
    if not any(isinstance(p, pa.Array) for p in pieces):
        return "".join(str(p) for p in pieces)
    return pc.binary_join_element_wise(*pieces, "")


def _ints(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values.astype(np.int64)), pa.string())


def _one_decimal(values: np.ndarray) -> pa.Array:
    tenths = np.round(values * 10).astype(np.int64)
    return pc.binary_join_element_wise(_ints(tenths // 10), _ints(tenths % 10), ".")


def core_flags(frame: pd.DataFrame, settings: Settings, *, language: str | None = None,
               customers: int | None = None) -> pd.DataFrame:
    """``core`` (bool) and ``core_reason`` (str) for each row of the value table.

    Parameters
    ----------
    frame : DataFrame
        The value table so far: ``revenue``, ``revenue_rank``, ``pareto_top``,
        ``tenure_days``, ``active_quarters``, ``invoices_due``, ``on_time_share``.
    settings : Settings
        Thresholds (``value.*``, ``churn.value_window_days``) and ``language``.
    language : str, optional
        Language of the explanation (default: the settings' language).
    customers : int, optional
        How many customers the revenue ranks are out of (default: the rows of ``frame``); a
        page that explains a few rows of a stored value table gives the table's size.

    Returns
    -------
    DataFrame
        ``core`` and ``core_reason`` on ``frame``'s index.
    """
    v = settings.value
    text = TEXT[language or settings.language]
    n = len(frame) if customers is None else customers
    revenue = frame["revenue"].fillna(0.0).to_numpy(dtype=float)
    rank = frame["revenue_rank"].to_numpy(dtype=float)
    top = frame["pareto_top"].fillna(False).to_numpy(dtype=bool)
    tenure_days = frame["tenure_days"].fillna(0).to_numpy(dtype=float)
    quarters = frame["active_quarters"].fillna(0).to_numpy(dtype=np.int64)
    due = frame["invoices_due"].fillna(0).to_numpy(dtype=float)
    on_time = np.nan_to_num(frame["on_time_share"].to_numpy(dtype=float), nan=0.0)
    long_enough = tenure_days >= v.core_min_tenure_days
    regular = quarters >= v.core_min_active_quarters
    judged = due > 0
    pays = ~judged | (on_time >= v.core_min_on_time_share - 1e-12)
    core = top & long_enough & regular & pays
    reasons = np.empty(len(frame), dtype=object)

    def subset(mask: np.ndarray) -> dict[str, pa.Array]:
        return {
            "p": _ints(np.maximum(1, np.ceil(100 * rank[mask] / max(n, 1)))),
            "rank": _ints(rank[mask]),
            "years": _one_decimal(tenure_days[mask] / 365.25),
            "q": _ints(quarters[mask]),
            "pct": _ints(np.round(100 * on_time[mask])),
        }

    if core.any():
        f = subset(core)
        parts = [
            _text(text["top"], p=f["p"]),
            _text(text["tenure"], years=f["years"]),
            _text(text["regular"], q=f["q"]),
            pc.if_else(pa.array(judged[core]), _text(text["paid"], pct=f["pct"]), text["no_invoices"]),
        ]
        reasons[core] = pc.binary_join_element_wise(*parts, text["sep"]).to_numpy(zero_copy_only=False)
    rest = ~core
    if rest.any():
        f = subset(rest)
        none = pa.nulls(int(rest.sum()), pa.string())

        def when(mask: np.ndarray, value: pa.Array | str) -> pa.Array:
            return pc.if_else(pa.array(mask[rest]), value, none)

        share = _pct(v.pareto_share)
        value_part = pc.if_else(
            pa.array(revenue[rest] <= 0),
            text["no_revenue"].format(days=settings.churn.value_window_days),
            when(~top, _text(text["not_top"], rank=f["rank"], n=f"{n}", share=share)),
        )
        parts = [
            value_part,
            when(
                ~long_enough,
                _text(text["short"], years=f["years"], need=f"{v.core_min_tenure_days / 365.25:.1f}"),
            ),
            when(~regular, _text(text["irregular"], q=f["q"], need=v.core_min_active_quarters)),
            when(~pays, _text(text["late"], pct=f["pct"], need=_pct(v.core_min_on_time_share))),
        ]
        # every row here misses at least one criterion, so no row joins to nothing (an
        # all-null row would be dropped by the skip mode of pyarrow 26)
        joined = pc.binary_join_element_wise(*parts, text["sep"], null_handling="skip")
        reasons[rest] = pc.binary_join_element_wise(text["not_core"], joined, "").to_numpy(
            zero_copy_only=False
        )
    return pd.DataFrame({"core": core, "core_reason": reasons}, index=frame.index)
