"""Tables of commercial records built from the simulated mechanisms.

``customers``, ``transactions``, ``contracts``, ``wallet-estimates`` and the ``truth``
table. Contact records (interactions, complaints, surveys, interviews) are in
:mod:`churnguard.simulate.voice`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard import schema
from churnguard.simulate import _frame as f
from churnguard.simulate.behaviour import NEVER, REASONS, Outcome
from churnguard.simulate.company import CATALOGUE, CSMS, REGIONS, SEGMENTS, Calendar, Params
from churnguard.simulate.population import Population, mean_list_price

# name parts: a city of the customer's region, a trade name, a suffix by segment
_CITIES = {
    "华东": ("上海", "苏州", "杭州", "宁波", "南京"),
    "华北": ("北京", "天津", "石家庄", "太原"),
    "华南": ("广州", "深圳", "佛山", "东莞"),
    "西南": ("成都", "重庆", "昆明", "贵阳"),
    "华中": ("武汉", "长沙", "郑州"),
    "东北": ("沈阳", "大连", "长春"),
    "西北": ("西安", "兰州", "银川"),
}
_TRADE = ("华信", "恒达", "金泰", "瑞丰", "宏远", "鼎盛", "永兴", "新源", "盛世", "嘉禾", "联创", "东方", "博远", "凯盛")
_SUFFIX = ("机械制造有限公司", "贸易有限公司", "商贸有限公司", "餐饮管理有限公司", "电子商务有限公司")


def customer_ids(n: int):
    """Return the customer ids ``C0000000`` … for ``n`` customers."""
    return f.ids("C", np.arange(n), max(7, len(str(n - 1))))


def customers(pop: Population, cal: Calendar, cid, rng: np.random.Generator) -> pd.DataFrame:
    """Build the ``customers`` table."""
    n = pop.n
    city_names = [c for r in REGIONS for c in _CITIES[r]]
    city_first = np.cumsum([0] + [len(_CITIES[r]) for r in REGIONS])
    city_count = np.diff(city_first)
    city = city_first[pop.region] + (rng.random(n) * city_count[pop.region]).astype(int)
    name = f.join(
        f.labels(city, city_names),
        f.labels(rng.integers(0, len(_TRADE), n), _TRADE),
        f.labels(pop.segment, _SUFFIX),
    )
    has_birthday = rng.random(n) < 0.4  # the contact person's birthday, for the care calendar
    birthday_days = (
        (np.datetime64("1960-01-01") + rng.integers(0, 365 * 40, n).astype("timedelta64[D]"))
        - np.datetime64(cal.start, "D")
    ).astype(np.int64)
    data = {
        "customer_id": cid,
        "name": name,
        "segment": f.labels(pop.segment, SEGMENTS),
        "region": f.labels(pop.region, REGIONS),
        "customer_type": f.labels(pop.key.astype(int), ("regular", "key")),
        "acquired_at": f.dates(cal.start, pop.acquired),
        "birthday": f.dates(cal.start, birthday_days, ~has_birthday),
        "group_id": f.ids("G", np.maximum(pop.group, 0), 6, missing=pop.group < 0),
        "csm": f.labels(pop.csm, CSMS),
        "email": f.join(f.ids("c", np.arange(n), 7, missing=rng.random(n) < 0.3), "@example.cn"),
        "phone": f.ids("13", rng.integers(0, 10**9, n), 9, missing=rng.random(n) < 0.2),
    }
    return f.frame(schema.CUSTOMERS.column_names, data)


def last_purchase(n: int, out: Outcome) -> np.ndarray:
    """Return each customer's last order day in the span (``-NEVER`` when it has none)."""
    last = np.full(n, -NEVER, np.int32)
    np.maximum.at(last, out.purchase_cust, out.purchase_day)
    return last


def churn_day(pop: Population, cal: Calendar, out: Outcome) -> tuple[np.ndarray, np.ndarray]:
    """Return (churned, churned_at day) per customer.

    A customer churned (completely) when the day it leaves falls inside the span. For a
    contractual customer that day is the end of its last contract (or the cancellation
    day); for a non-contractual one it is its last order — the day it stopped buying —
    or, if it placed no order in the span, the day it decided to leave.
    """
    churned = out.leave_day <= cal.days - 1
    last = last_purchase(pop.n, out)
    day = np.where(pop.contractual, out.leave_day, np.where(last >= 0, last, out.leave_day))
    return churned, np.where(churned, day, NEVER)


def truth(pop: Population, cal: Calendar, out: Outcome, cid) -> pd.DataFrame:
    """Build the ``truth`` table straight from the mechanisms' state."""
    churned, cday = churn_day(pop, cal, out)
    partial = out.partial_day <= cal.days - 1
    kind = np.where(churned, 0, np.where(partial, 1, 2))
    reason = np.where(churned, out.reason, np.where(partial, out.partial_reason, -1))
    data = {
        "customer_id": cid,
        "churned": churned,
        "churned_at": f.dates(cal.start, np.where(churned, cday, 0), ~churned),
        "churn_kind": f.labels(kind, ("complete", "partial", "none")),
        "partial_from": f.dates(cal.start, np.where(partial, out.partial_day, 0), ~partial),
        "churn_reason": f.labels(reason, REASONS),
        "acquired_at": f.dates(cal.start, pop.acquired),
        "contractual": pop.contractual.copy(),
        "price_sensitive": pop.price_sensitive.copy(),
        "satisfaction": np.round(out.satisfaction, 2),
    }
    return f.frame(schema.TRUTH.column_names, data)


def transactions(
    pop: Population, cal: Calendar, out: Outcome, events: dict, params: Params, cid, rng: np.random.Generator
) -> pd.DataFrame:
    """Build the ``transactions`` table: one row per order line, plus a few returns."""
    order = np.lexsort((out.purchase_cust, out.purchase_day))
    oc, od = out.purchase_cust[order], out.purchase_day[order]
    n_orders = len(oc)
    lines = 1 + rng.poisson(pop.lines_mean[oc] - 1)
    c = np.repeat(oc, lines)
    d = np.repeat(od, lines)
    order_no = np.repeat(np.arange(n_orders), lines)
    n = len(c)

    weights = np.array([p.weight for p in CATALOGUE])
    product = rng.choice(len(CATALOGUE), n, p=weights / weights.sum())
    list_price = np.array([p.price for p in CATALOGUE])[product]
    margin = np.array([p.margin for p in CATALOGUE])[product]
    rise_day = cal.day(events["price_rise_at"])
    rise = np.array([events["price_rise"][p.name] for p in CATALOGUE])[product]
    after_rise = d >= rise_day

    # units: the customer's usual order size, cut by a partial defection, by the price rise
    # for price-sensitive customers (they buy less of the dearer goods) and while leaving
    units_after_rise = rng.uniform(*params.price_units_factor, pop.n)
    q = pop.qty_mean[c] * rng.lognormal(-0.125, 0.5, n)
    q *= np.where(d >= out.partial_day[c], np.sqrt(out.partial_share[c]), 1.0)
    q *= np.where(after_rise & pop.price_sensitive[c], units_after_rise[c], 1.0)
    q *= np.where(d >= out.decide_day[c], 0.8, 1.0)
    qty = np.maximum(1.0, np.round(q))
    unit_price = np.round(list_price * np.where(after_rise, 1 + rise, 1.0) * (1 - pop.discount[c]), 2)
    amount = np.round(qty * unit_price, 2)
    cost = np.round(qty * list_price * (1 - margin), 2)

    # payment: invoiced customers get 30 days; late payers pay later, more so while leaving
    invoiced = pop.invoiced[c]
    leaving_soon = (out.leave_day[c] - d <= 150) & (out.decide_day[c] <= d + 60)
    p_late = np.clip(pop.late_propensity[c] + 0.25 * leaving_soon, 0, 0.95)
    late = invoiced & (rng.random(n) < p_late)
    due = np.where(invoiced, d + 30, d)
    paid = np.where(
        late,
        due + 1 + rng.exponential(20.0, n).astype(np.int32),
        np.where(invoiced, d + rng.integers(3, 31, n), d),
    )
    # all lines of one order are paid together: take the first line's payment day
    first_line = np.r_[0, np.cumsum(lines)[:-1]]
    paid = np.repeat(paid[first_line], lines)

    # returns: a few lines come back; never after the customer's last day with us
    churned, cday = churn_day(pop, cal, out)
    cap = np.minimum(np.where(churned, cday, cal.days - 1), cal.days - 1)
    is_ret = rng.random(n) < 0.015
    r = np.flatnonzero(is_ret)
    rday = np.minimum(d[r] + rng.integers(3, 31, len(r)), cap[c[r]])
    rqty = -np.maximum(1.0, np.round(qty[r] * rng.uniform(0.1, 1.0, len(r))))

    cc = np.r_[c, c[r]]
    dd = np.r_[d, rday].astype(np.int64)
    qq = np.r_[qty, rqty]
    up = np.r_[unit_price, unit_price[r]]
    pp = np.r_[product, product[r]]
    oo = np.r_[order_no, order_no[r]]
    due_all = np.r_[due, np.zeros(len(r), np.int64)]
    paid_all = np.r_[paid, np.zeros(len(r), np.int64)]
    no_payment = np.r_[np.zeros(n, bool), np.ones(len(r), bool)]
    cost_all = np.r_[cost, np.round(rqty * list_price[r] * (1 - margin[r]), 2)]
    amount_all = np.r_[amount, np.round(rqty * unit_price[r], 2)]
    # the log in time order; stable so that a return follows its sale on the same day
    o = np.argsort(dd, kind="stable")
    products = [p.name for p in CATALOGUE]
    cats = sorted({p.category for p in CATALOGUE})
    cat_of = np.array([cats.index(p.category) for p in CATALOGUE])
    data = {
        "customer_id": f.take(cid, cc[o]),
        "occurred_at": f.dates(cal.start, dd[o]),
        "amount": amount_all[o],
        "quantity": qq[o],
        "unit_price": up[o],
        "cost": cost_all[o],
        "product": f.labels(pp[o], products),
        "category": f.labels(cat_of[pp[o]], cats),
        "order_id": f.ids("O", oo[o], 9),
        "due_at": f.dates(cal.start, due_all[o], no_payment[o]),
        "paid_at": f.dates(cal.start, paid_all[o], no_payment[o] | (paid_all[o] > cal.days - 1)),
    }
    return f.frame(schema.TRANSACTIONS.column_names, data)


def contract_spans(pop: Population, cal: Calendar, out: Outcome):
    """Return the contracts shown in the span as arrays.

    Returns
    -------
    tuple
        ``(customer, k, start_day, end_day, is_first, is_last, cancelled_day)``: one entry
        per contract, from the contract running on the first day (or signed at acquisition)
        to the one running on the last day or ending at the customer's departure.
    """
    cust = np.flatnonzero(out.contract_row >= 0)
    a = out.anniversaries[out.contract_row[cust]]
    k0 = (a <= np.maximum(pop.acquired[cust], 0)[:, None]).sum(axis=1) - 1
    stop = np.minimum(out.leave_day[cust], cal.days - 1)
    k1 = (a <= stop[:, None]).sum(axis=1) - 1
    count = k1 - k0 + 1
    rc = np.repeat(np.arange(len(cust)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    k = np.repeat(k0, count) + (np.arange(len(rc)) - first)
    start = a[rc, k]
    end = a[rc, k + 1] - 1
    is_first = k == np.repeat(k0, count)
    is_last = k == np.repeat(k1, count)
    canc = out.cancel_day[cust[rc]]
    cancelled = np.where(is_last & (canc <= end) & (canc <= cal.days - 1), canc, NEVER)
    return cust[rc], k, start, end, is_first, is_last, cancelled


def contracts(pop: Population, cal: Calendar, out: Outcome, events: dict, cid, rng) -> pd.DataFrame:
    """Build the ``contracts`` table: annual contracts, renewals linked by ``renewed_from``."""
    c, k, start, end, is_first, _is_last, cancelled = contract_spans(pop, cal, out)
    n = len(c)
    # the recurring (service) part of the customer's business, raised at renewals after the
    # price rise and by a small yearly step
    base = pop.rate * pop.lines_mean * pop.qty_mean * mean_list_price() * 0.6
    rise = 1 + float(np.mean(list(events["price_rise"].values())))
    value = base[c] * 1.03 ** np.maximum(k, 0) * np.where(start >= cal.day(events["price_rise_at"]), rise, 1.0)
    value = np.round(np.maximum(value, 1200.0), -1)
    number = np.arange(n)
    data = {
        "contract_id": f.ids("K", number, 8),
        "customer_id": f.take(cid, c),
        "start_at": f.dates(cal.start, start),
        "end_at": f.dates(cal.start, end),
        "recurring_value": value.astype(np.float64),
        "renewed_from": f.ids("K", np.maximum(number - 1, 0), 8, missing=is_first),
        "cancelled_at": f.dates(cal.start, np.where(cancelled < NEVER, cancelled, 0), cancelled >= NEVER),
    }
    return f.frame(schema.CONTRACTS.column_names, data)


def wallet_estimates(pop: Population, cal: Calendar, out: Outcome, cid, rng) -> pd.DataFrame:
    """Build ``wallet-estimates``: each quarter's estimated total spend (us + rivals), noisy.

    Estimates exist for every key account and for about 40% of the others (where the sales
    team has asked), for each calendar quarter starting inside the span while the customer
    is with us. The wallet does not move when the customer shifts spend to a rival, which is
    what makes share of wallet fall for partial defectors.
    """
    known = pop.key | (rng.random(pop.n) < 0.4)
    ms = cal.month_starts
    churned, cday = churn_day(pop, cal, out)
    gone = np.where(churned, cday, NEVER)
    rows_c, rows_q, rows_v = [], [], []
    for j in range(len(ms) - 1):
        qs = int(ms[j])
        date = cal.date(qs)
        if date.month not in (1, 4, 7, 10) or date.day != 1:
            continue
        qe = int(ms[min(j + 3, len(ms) - 1)]) - 1
        mass = float(cal.cum_intensity[qe + 1] - cal.cum_intensity[qs])
        if j + 3 > len(ms) - 1:  # the last quarter is cut by the end: estimate the whole quarter
            mass *= 91.0 / (qe - qs + 1)
        i = np.flatnonzero(known & (pop.acquired <= qe) & (gone >= qs))
        v = pop.wallet[i] * mass / 365.25 * rng.lognormal(-0.02, 0.2, len(i))
        rows_c.append(i)
        rows_q.append(np.full(len(i), qs))
        rows_v.append(np.round(v, -1))
    c = np.concatenate(rows_c) if rows_c else np.zeros(0, np.int64)
    q = np.concatenate(rows_q) if rows_q else np.zeros(0, np.int64)
    v = np.concatenate(rows_v) if rows_v else np.zeros(0)
    o = np.lexsort((c, q))
    data = {
        "customer_id": f.take(cid, c[o]),
        "period_start": f.dates(cal.start, q[o]),
        "estimated_total_spend": v[o].astype(np.float64),
    }
    return f.frame(schema.WALLET_ESTIMATES.column_names, data)
