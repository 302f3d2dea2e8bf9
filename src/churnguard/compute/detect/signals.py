"""Early-warning signals (预警信号): rules from the source material a manager can read and switch.

Each rule is one small function of the customer profile; ``settings.signals`` holds its
switch (``<rule> = true/false``) and its thresholds. A rule that fires gives evidence in
words and numbers. Only customers still active (not lost by the churn definition) are judged.

=================  ==========================================================================
rule               fires when
=================  ==========================================================================
contact_drop       contacts in the last ``contact_drop_days`` are at most ``contact_drop_ratio``
                   of the customer's usual rate over the year before (usual at least
                   ``contact_drop_min_usual`` per window)
renewal_silence    the contract ends within ``renewal_window_days`` and no renewal inquiry
                   came within ``renewal_inquiry_days``
unsubscribed       the customer unsubscribed within ``unsubscribed_days``
complaint          a complaint opened within ``complaint_new_days``, or one unresolved for at
                   least ``complaint_open_days``
satisfaction       the last survey answer (within ``satisfaction_days``) is at most
                   ``satisfaction_low``, or fell by at least ``satisfaction_drop`` levels
spend_trend        spend (or purchase frequency) over the last ``spend_trend_days`` is
                   ``spend_trend_z`` standard errors and ``spend_trend_min_drop`` below the
                   customer's own seasonally adjusted rate over the year before
chain              a customer of the same group was lost within ``chain_days`` (连锁跳槽)
price_exposure     the prices it pays rose at least ``price_rise_min`` and its units per order
                   line fell at least ``price_units_drop`` (a price-sensitive customer)
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from churnguard.compute.detect.profile import safe_ratio
from churnguard.compute.detect.trends import SeasonalIndex, compound_poisson_z, order_count_z
from churnguard.compute.detect.words import fmt_share, say
from churnguard.settings import Settings, SignalSettings

Rule = Callable[[pd.DataFrame, SignalSettings, SeasonalIndex, str], tuple[pd.Series, pd.Series]]
RULES: dict[str, Rule] = {}

#: what each rule means, for people (the CLI's and API's list of rules)
RULE_HELP: dict[str, tuple[str, str]] = {
    "contact_drop": ("contact frequency dropped sharply", "接触频率骤降"),
    "renewal_silence": ("contract ends soon, no renewal inquiry", "合同即将到期且无续约咨询"),
    "unsubscribed": ("unsubscribed", "已退订"),
    "complaint": ("new or unresolved complaint", "新投诉或投诉未解决"),
    "satisfaction": ("satisfaction fell or is low", "满意度下降或偏低"),
    "spend_trend": ("spend or purchase frequency trending down", "消费额或购买频率下降"),
    "chain": ("a related customer just churned", "关联客户刚刚流失"),
    "price_exposure": ("price rise hits a price-sensitive customer", "价格上涨影响价格敏感客户"),
}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a signal rule under ``name`` (a field of ``SignalSettings``)."""

    def deco(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return deco


def _evidence(index: pd.Index, mask: pd.Series, make: Callable[[str], dict], lang: str | None) -> pd.Series:
    """Evidence of the customers where ``mask`` holds (none at all when ``lang`` is None)."""
    if lang is None:
        return pd.Series([None] * len(index), index=index, dtype=object)
    made = {cid: make(cid) for cid in index[mask.fillna(False).to_numpy(dtype=bool)]}
    return pd.Series(made, dtype=object).reindex(index)


@rule("contact_drop")
def contact_drop(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    w = s.contact_drop_days
    # the year before the window, or as much of it as the customer's contact history covers
    base_days = np.clip(p["first_contact_days"].fillna(0) - w + 1, 0, 365)
    usual = pd.Series(safe_ratio(p["c_sig_b"] * w, base_days), index=p.index)
    fire = (usual >= s.contact_drop_min_usual) & (p["c_sig_r"] <= s.contact_drop_ratio * usual)
    gap = pd.Series(safe_ratio(base_days, p["c_sig_b"]), index=p.index)

    def make(cid: str) -> dict:
        if p.at[cid, "c_sig_r"] == 0 and np.isfinite(p.at[cid, "last_contact_days"]):
            return say("no_contact", lang, {"days": p.at[cid, "last_contact_days"], "usual": gap[cid]})
        return say("contact_drop", lang, {"recent": p.at[cid, "c_sig_r"], "days": w, "usual": usual[cid]},
                   usual=f"{usual[cid]:.0f}")

    return fire, _evidence(p.index, fire, make, lang)


@rule("renewal_silence")
def renewal_silence(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    to_end = -p["covered_until_days"]
    asked = p["last_renewal_inquiry_days"] <= s.renewal_inquiry_days
    cancelled = p["contract_cancelled_at"].notna() & (p["contract_cancelled_at"] == p["covered_until"])
    fire = (to_end >= 0) & (to_end <= s.renewal_window_days) & ~asked & ~cancelled

    def make(cid: str) -> dict:
        return say("renewal_silence", lang, {"days": to_end[cid], "end": p.at[cid, "covered_until"].date().isoformat()})

    return fire, _evidence(p.index, fire, make, lang)


@rule("unsubscribed")
def unsubscribed(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    fire = p["last_unsubscribe_days"] <= s.unsubscribed_days
    return fire, _evidence(p.index, fire, lambda c: say("unsubscribed", lang, {"days": p.at[c, "last_unsubscribe_days"]}), lang)


@rule("complaint")
def complaint(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    is_open = (p["open_complaints"] > 0) & (p["oldest_open_complaint_days"] >= s.complaint_open_days)
    new = p["complaints_new"] > 0
    fire = is_open | new

    def make(cid: str) -> dict:
        cat = p.at[cid, "last_complaint_category"]
        plain = "" if isinstance(cat, str) and cat else "_plain"  # no category: said without it, not as "?"
        values = {} if plain else {"category": cat}
        if is_open[cid]:
            return say("complaint_open" + plain, lang, {"days": p.at[cid, "oldest_open_complaint_days"], **values})
        return say("complaint_new" + plain, lang, {"days": p.at[cid, "last_complaint_days"], **values})

    return fire, _evidence(p.index, fire, make, lang)


@rule("satisfaction")
def satisfaction(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    recent = p["last_survey_days"] <= s.satisfaction_days
    low = recent & (p["last_satisfaction"] <= s.satisfaction_low)
    fell = recent & ((p["prev_satisfaction"] - p["last_satisfaction"]) >= s.satisfaction_drop)
    fire = low | fell

    def make(cid: str) -> dict:
        if fell[cid]:
            return say("satisfaction_fell", lang,
                       {"before": p.at[cid, "prev_satisfaction"], "after": p.at[cid, "last_satisfaction"]})
        return say("satisfaction_low", lang, {"level": p.at[cid, "last_satisfaction"], "days": p.at[cid, "last_survey_days"]})

    return fire, _evidence(p.index, fire, make, lang)


def trend_tests(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex) -> pd.DataFrame:
    """Spend and frequency of the last ``spend_trend_days`` against the year before (per customer)."""
    w = s.spend_trend_days
    oldest = np.minimum(w + 365, p["first_purchase_days"].fillna(0).to_numpy())  # see profile.py
    e_r, e_b = index.exposure(0, w), index.exposure(w, oldest)
    z, drop = compound_poisson_z(p["t_spend_r"], e_r, p["t_spend_b"], e_b, p["t_sumsq"])
    eo_r, eo_b = index.exposure(0, w, orders=True), index.exposure(w, oldest, orders=True)
    fz, fdrop, expected = order_count_z(p["t_orders_r"], eo_r, p["t_orders_b"], eo_b)
    return pd.DataFrame({"spend_z": z, "spend_drop": drop, "freq_z": fz, "freq_drop": fdrop,
                         "expected_orders": expected}, index=p.index)


@rule("spend_trend")
def spend_trend(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    t = trend_tests(p, s, index)
    enough = (p["t_orders_b"] + p["t_orders_r"]) >= 3
    spend = enough & (t["spend_z"] <= -s.spend_trend_z) & (t["spend_drop"] >= s.spend_trend_min_drop)
    freq = enough & (t["freq_z"] <= -s.spend_trend_z) & (t["freq_drop"] >= s.spend_trend_min_drop)
    fire = spend | freq

    def make(cid: str) -> dict:
        x = t.loc[cid]
        if spend[cid]:
            return say("spend_trend", lang,
                       {"drop": x["spend_drop"], "days": s.spend_trend_days, "z": abs(x["spend_z"])},
                       drop=fmt_share(x["spend_drop"]), z=f"{abs(x['spend_z']):.1f}")
        return say("frequency_trend", lang,
                   {"orders": p.at[cid, "t_orders_r"], "days": s.spend_trend_days, "expected": x["expected_orders"]},
                   expected=f"{x['expected_orders']:.1f}")

    return fire, _evidence(p.index, fire, make, lang)


@rule("chain")
def chain(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    fire = p["group_lost_recent"] >= 1

    def make(cid: str) -> dict:
        when, example = p.at[cid, "group_last_lost_at"], p.at[cid, "group_lost_example"]
        values = {"count": p.at[cid, "group_lost_recent"], "group": str(p.at[cid, "group_id"]), "days": s.chain_days}
        if pd.isna(when) or not isinstance(example, str) or not example:  # said without them, not as "?"
            return say("chain_plain", lang, values)
        return say("chain", lang, {**values, "example": example, "when": when.date().isoformat()})

    return fire, _evidence(p.index, fire, make, lang)


def price_change(p: pd.DataFrame) -> pd.DataFrame:
    """Change of the prices a customer pays and of its units per order line (recent vs baseline)."""
    rise = safe_ratio(safe_ratio(p["paid_r"], p["ref_r"]), safe_ratio(p["paid_b"], p["ref_b"])) - 1.0
    units = safe_ratio(safe_ratio(p["qty_r"], p["lines_r"]), safe_ratio(p["qty_b"], p["lines_b"])) - 1.0
    return pd.DataFrame({"price_rise": rise, "units_change": units}, index=p.index)


@rule("price_exposure")
def price_exposure(p: pd.DataFrame, s: SignalSettings, index: SeasonalIndex, lang: str | None):
    c = price_change(p)
    enough = (p["lines_r"] >= 4) & (p["lines_b"] >= 4)
    fire = enough & (c["price_rise"] >= s.price_rise_min) & (c["units_change"] <= -s.price_units_drop)

    def make(cid: str) -> dict:
        return say("price_exposure", lang, {"rise": c.at[cid, "price_rise"], "units": -c.at[cid, "units_change"]},
                   rise=fmt_share(c.at[cid, "price_rise"]), units=fmt_share(-c.at[cid, "units_change"]))

    return fire, _evidence(p.index, fire, make, lang)


def evaluate_signals(profile: pd.DataFrame, settings: Settings, index: SeasonalIndex,
                     language: str = "en", evidence: bool = True) -> pd.DataFrame:
    """Every switched-on rule for every active customer.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (active customers only): one boolean column
        ``sig_<rule>`` per rule (False for a rule switched off), ``signals`` (the names of the
        rules that fired, comma-separated), ``signal_count`` and ``evidence`` (a list of
        ``{"code", "text", "values", "signal"}``; empty lists with ``evidence=False``, which
        skips writing the sentences when only the flags are needed, as in training).
    """
    s = settings.signals
    p = profile[~profile["lost"]]
    out = pd.DataFrame(index=p.index)
    found: dict[str, list] = {}
    for name, fn in RULES.items():
        col = f"sig_{name}"
        if not getattr(s, name):
            out[col] = False
            continue
        fire, ev = fn(p, s, index, language if evidence else None)
        fire = fire.fillna(False).astype(bool)
        out[col] = fire
        if evidence:
            for cid, item in ev[fire.to_numpy()].items():
                found.setdefault(cid, []).append({**item, "signal": name})
    cols = [f"sig_{n}" for n in RULES]
    out["signal_count"] = out[cols].sum(axis=1).astype("int64")
    names = np.array(list(RULES))
    flags = out[cols].to_numpy()
    out["signals"] = [",".join(names[row]) for row in flags]
    out["evidence"] = pd.Series([found.get(cid, []) for cid in p.index], index=p.index, dtype=object)
    return out
