"""Reason codes: why the model scores a customer as it does, in words a manager can act on.

LightGBM's ``pred_contrib`` splits each customer's raw score (log-odds) exactly into one
contribution per feature plus a bias (TreeSHAP). Contributions of the features that measure
the same evidence (a *family*: contact, complaint, contract …) are summed, the families that
push the risk up most are kept, and each is said in a sentence built from the customer's own
figures: "no contact for 64 days (usually every 12)", "complaint open 21 days".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect.words import fmt_share, say
from churnguard.compute.predict.features import FEATURES

#: which families are evidence of which churn reason (vocab.CHURN_REASONS keys)
CAUSE_FAMILIES: dict[str, tuple[str, ...]] = {
    "service": ("complaint", "satisfaction", "service_region"),
    "price": ("price", "wallet"),
    "promotion": ("wallet",),
    "chain": ("chain",),
}

#: families that describe what a customer is, not what it did: never given as a reason (the model
#: still weighs them; "12-month revenue 381,260" or "a customer for 3 years" told a manager nothing
#: to act on in the demo's worklist)
NOT_REASONS = ("relationship", "profile", "value", "tenure")

Sentence = Callable[[dict, dict, str], dict[str, Any]]
SENTENCES: dict[str, Sentence] = {}


def sentence(family: str) -> Callable[[Sentence], Sentence]:
    """Register how a family's evidence is said."""

    def deco(fn: Sentence) -> Sentence:
        SENTENCES[family] = fn
        return fn

    return deco


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _ok(v: Any) -> bool:
    return np.isfinite(_num(v))


@sentence("recency")
def _recency(p: dict, x: dict, lang: str) -> dict:
    if not _ok(p["last_purchase_days"]):
        return say("no_purchase", lang, {})
    if _ok(x["usual_purchase_gap"]):
        return say("recency", lang, {"days": p["last_purchase_days"], "usual": x["usual_purchase_gap"]})
    return say("recency_plain", lang, {"days": p["last_purchase_days"]})


@sentence("frequency")
def _frequency(p: dict, x: dict, lang: str) -> dict:
    return say("frequency", lang, {"recent": p["orders_90d"], "year": p["orders_365d"], "before": p["orders_prev_365d"]})


@sentence("spend")
def _spend(p: dict, x: dict, lang: str) -> dict:
    return say("spend_level", lang, {"recent": p["spend_90d"], "year": p["spend_365d"], "before": p["spend_prev_365d"]})


@sentence("breadth")
def _breadth(p: dict, x: dict, lang: str) -> dict:
    return say("breadth", lang, {"recent": p["categories_r"], "before": p["categories_b"]})


@sentence("wallet")
def _wallet(p: dict, x: dict, lang: str) -> dict:
    before = x["share_of_wallet"] - x["share_of_wallet_change"] if _ok(x["share_of_wallet_change"]) else np.nan
    z = abs(_num(x["share_of_wallet_z"])) if _ok(x["share_of_wallet_z"]) else np.nan
    fell = _ok(before) and _ok(x["share_of_wallet"]) and x["share_of_wallet"] < before
    return say("share_of_wallet" if fell else "share_of_wallet_now", lang,
               {"before": before, "after": x["share_of_wallet"], "z": z},
               before=fmt_share(before), after=fmt_share(x["share_of_wallet"]),
               z=f"{z:.1f}" if np.isfinite(z) else "?")


@sentence("contact")
def _contact(p: dict, x: dict, lang: str) -> dict:
    days, usual = p["last_contact_days"], x["usual_contact_gap"]
    if not _ok(days):
        return say("contact_none", lang, {})
    if _ok(usual) and days > 1.5 * usual:
        return say("no_contact", lang, {"days": days, "usual": usual})
    return say("contact_fewer", lang, {"recent": p["contacts_90d"], "before": p["contacts_prev_90d"]})


@sentence("unsubscribe")
def _unsubscribe(p: dict, x: dict, lang: str) -> dict:
    if not _ok(p["last_unsubscribe_days"]):
        return say("contact_none", lang, {}) if not _ok(p["last_contact_days"]) else _contact(p, x, lang)
    return say("unsubscribed", lang, {"days": p["last_unsubscribe_days"]})


@sentence("contract")
def _contract(p: dict, x: dict, lang: str) -> dict:
    if p["relationship"] != "contractual":
        return say("contract_none", lang, {})
    to_end = x["days_to_contract_end"]
    end = p["covered_until"].date().isoformat() if pd.notna(p["covered_until"]) else "?"
    if _ok(to_end) and to_end < 0:
        return say("contract_lapsed", lang, {"days": -to_end})
    if x["renewal_inquired"] == 0 and _ok(to_end) and to_end <= 120:
        return say("renewal_silence", lang, {"days": to_end, "end": end})
    return say("contract_ends", lang, {"days": to_end, "end": end})


@sentence("complaint")
def _complaint(p: dict, x: dict, lang: str) -> dict:
    cat = p["last_complaint_category"] if isinstance(p["last_complaint_category"], str) else "?"
    if _num(p["open_complaints"]) > 0 and _ok(p["oldest_open_complaint_days"]):
        return say("complaint_open", lang, {"days": p["oldest_open_complaint_days"], "category": cat})
    if _ok(p["last_complaint_days"]):
        return say("complaint_past", lang, {"days": p["last_complaint_days"], "category": cat})
    return say("complaint_none", lang, {})


@sentence("satisfaction")
def _satisfaction(p: dict, x: dict, lang: str) -> dict:
    if not _ok(p["last_satisfaction"]):
        return say("survey_none", lang, {})
    if _ok(p["prev_satisfaction"]) and p["prev_satisfaction"] > p["last_satisfaction"]:
        return say("satisfaction_fell", lang, {"before": p["prev_satisfaction"], "after": p["last_satisfaction"]})
    return say("satisfaction_low", lang, {"level": p["last_satisfaction"], "days": p["last_survey_days"]})


@sentence("service_region")
def _region(p: dict, x: dict, lang: str) -> dict:
    region = p["region"] if isinstance(p["region"], str) else "?"
    return say("region_complaints", lang,
               {"region": region, "rate": p["region_complaints_60d"], "usual": p["region_complaints_usual"]},
               rate=f"{_num(p['region_complaints_60d']):.1f}", usual=f"{_num(p['region_complaints_usual']):.1f}")


@sentence("price")
def _price(p: dict, x: dict, lang: str) -> dict:
    rise, units = x["price_rise"], x["units_change"]
    if _ok(rise) and _ok(units) and rise > 0 and units < 0:
        return say("price_exposure", lang, {"rise": rise, "units": -units}, rise=fmt_share(rise), units=fmt_share(-units))
    return say("price_change", lang, {"rise": rise, "units": units},
               rise=_signed_share(rise), units=_signed_share(units))


def _signed_share(v: Any) -> str:
    if not _ok(v):
        return "?"
    return ("+" if _num(v) >= 0 else "") + fmt_share(v)


@sentence("chain")
def _chain(p: dict, x: dict, lang: str) -> dict:
    if _num(p["group_lost_recent"]) > 0:
        when = p["group_last_lost_at"]
        return say("chain", lang, {"count": p["group_lost_recent"], "group": str(p["group_id"]), "days": 90,
                                   "example": str(p["group_lost_example"]),
                                   "when": when.date().isoformat() if pd.notna(when) else "?"})
    if isinstance(p["group_id"], str):
        return say("group", lang, {"size": p["group_size"], "group": p["group_id"]})
    return say("no_group", lang, {})


@sentence("payment")
def _payment(p: dict, x: dict, lang: str) -> dict:
    return say("late_payment", lang, {"late": p["late_invoices_365d"], "invoices": p["invoices_365d"]})


@sentence("returns")
def _returns(p: dict, x: dict, lang: str) -> dict:
    return say("returns", lang, {"count": p["returns_365d"]})


@sentence("tenure")
def _tenure(p: dict, x: dict, lang: str) -> dict:
    return say("tenure", lang, {"days": x["tenure_days"]})


@sentence("value")
def _value(p: dict, x: dict, lang: str) -> dict:
    return say("value", lang, {"value": x["value_12m"]})


#: the profile and feature columns the sentences read
PROFILE_COLUMNS = (
    "last_purchase_days", "orders_90d", "orders_365d", "orders_prev_365d", "spend_90d", "spend_365d",
    "spend_prev_365d", "categories_r", "categories_b", "last_contact_days", "contacts_90d", "contacts_prev_90d",
    "last_unsubscribe_days", "relationship", "covered_until", "last_complaint_category", "open_complaints",
    "oldest_open_complaint_days", "last_complaint_days", "last_satisfaction", "prev_satisfaction",
    "last_survey_days", "region", "region_complaints_60d", "region_complaints_usual", "group_lost_recent",
    "group_last_lost_at", "group_id", "group_lost_example", "group_size", "late_invoices_365d", "invoices_365d",
    "returns_365d", "customer_type", "segment",
)
FEATURE_COLUMNS = (
    "usual_purchase_gap", "share_of_wallet", "share_of_wallet_change", "share_of_wallet_z", "usual_contact_gap",
    "days_to_contract_end", "renewal_inquired", "price_rise", "units_change", "tenure_days", "value_12m",
)


def family_contributions(contrib: pd.DataFrame, features: dict[str, str] = FEATURES) -> pd.DataFrame:
    """Sum per-feature contributions into per-family contributions (log-odds)."""
    cols = [c for c in contrib.columns if c in features]
    fam = pd.Series({c: features[c] for c in cols})
    return contrib[cols].T.groupby(fam).sum().T


def _actionable(fam: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
    """Family contributions without what a customer *is*: its profile, and for a customer without
    a contract the contract features (they only say again that it has none)."""
    fam = fam[[f for f in fam.columns if f not in NOT_REASONS]].copy()
    if "contract" in fam.columns and "contractual" in X.columns:
        no_contract = (X["contractual"].reindex(fam.index) != 1).to_numpy()
        fam.loc[no_contract, "contract"] = 0.0
    return fam


def reason_codes(contrib: pd.DataFrame, X: pd.DataFrame, profile: pd.DataFrame, *, top: int = 3,
                 language: str = "en", customers: pd.Index | None = None,
                 min_contribution: float = 0.1) -> pd.Series:
    """The top reasons of each customer, as lists of ``{"family", "contribution", "code", "text", "values"}``.

    Only families that push the risk up by at least ``min_contribution`` (log-odds) are
    reasons; a customer the model sees as safe may have none. ``customers`` limits the work to
    some rows.
    """
    fam = family_contributions(contrib)
    fam = _actionable(fam, X)
    if customers is not None:
        fam = fam.loc[fam.index.intersection(customers)]
    values = fam.to_numpy()
    order = np.argsort(-values, axis=1)[:, :top]
    names = fam.columns.to_numpy()
    # plain dicts of only the columns the sentences read: far faster than pandas rows
    prof = profile.reindex(fam.index)[[c for c in PROFILE_COLUMNS if c in profile.columns]].to_dict("records")
    feats = X.reindex(fam.index)[[c for c in FEATURE_COLUMNS if c in X.columns]].to_dict("records")
    out = []
    for i in range(len(fam)):
        p, x = prof[i], feats[i]
        items = []
        for j in order[i]:
            c = float(values[i, j])
            if c < min_contribution:
                break
            family = str(names[j])
            ev = SENTENCES[family](p, x, language)
            items.append({"family": family, "contribution": round(c, 4), **ev})
        out.append(items)
    return pd.Series(out, index=fam.index, dtype=object)


def top_family(contrib: pd.DataFrame, X: pd.DataFrame, families: tuple[str, ...] | None = None) -> pd.Series:
    """The family with the largest positive contribution per row (optionally among ``families``)."""
    fam = _actionable(family_contributions(contrib), X)
    if families is not None:
        fam = fam[[f for f in fam.columns if f in families]]
    best = fam.idxmax(axis=1)
    return best.where(fam.max(axis=1) > 0)
