"""Reason codes: why the model scores a customer as it does, in words a manager can act on.

LightGBM's ``pred_contrib`` splits each customer's raw score (log-odds) exactly into one
contribution per feature plus a bias (TreeSHAP). Contributions of the features that measure
the same evidence (a *family*: contact, complaint, contract …) are summed, and each family that
pushes the risk up is said in a sentence built from the customer's own figures: "no contact
for 64 days (usually every 12)", "complaint open 21 days".

The reasons come in two lists, each ordered by contribution: *what changed* (the symptoms:
recency, frequency, spend, breadth, contact) and *likely cause* (complaint, satisfaction,
service in its region, a price rise, share of wallet going elsewhere, a related customer lost,
a contract ending with no renewal inquiry, an unsubscribe, late payments, returns). Where no
cause shows, the cause list says so ("cause unknown: call and ask") rather than promote a
symptom. A cause is what the customer's records show, ordered by how much the model weighs it
(:data:`CIRCUMSTANCES` only where the model finds them adding to the risk).

A family is said only when the customer's own figures point toward churn: the model may weigh a
satisfaction of 5 or a rising share of wallet upward through its interactions, but a sentence
saying so would argue against the risk it is meant to explain. A sentence whose figure is missing
is said without it, or not at all — never with a "?".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect.words import say
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

#: families that say what changed in the customer's behaviour (symptoms of a departure)
CHANGE_FAMILIES = ("recency", "frequency", "spend", "breadth", "contact")
#: families that can say why (a likely cause); every other family of :data:`FEATURES` outside
#: :data:`NOT_REASONS` and :data:`CHANGE_FAMILIES`
CAUSE_FAMILY_ORDER = ("complaint", "satisfaction", "service_region", "price", "wallet", "chain", "contract",
                      "unsubscribe", "payment", "returns")

#: causes that are the customer's circumstances rather than its own acts (complaints in its
#: region, late payments, returns, a price rise it did not react to): said only where the model
#: finds them adding to this customer's risk as much as a symptom must (``min_contribution``);
#: with any positive weight, complaints in its region were named for 92 of the demo's 322 leavers,
#: 8 of them service leavers. What the customer itself did or said — complained,
#: answered a survey badly, unsubscribed, bought fewer units at a higher price, moved its share of
#: wallet, let a contract near its end without asking to renew — or a related customer lost is a
#: likely cause whenever its records show it: the model rarely has enough of these records to
#: weigh them (it never split on a complaint in the demo) and its contribution for them is noise.
CIRCUMSTANCES = frozenset({"region_complaints", "region_complaints_plain", "late_payment", "returns", "price_rise"})

#: a complaint or an unsubscribe older than this (days) is no longer a cause of today's risk
RECENT_DAYS = 365
#: a contract this close to its end with no renewal inquiry is a cause (days)
RENEWAL_WINDOW_DAYS = 120
#: a price rise (share) and a fall in units per order line (share) large enough to be a cause
#: rather than the noise of a few orders
PRICE_RISE = 0.05
UNITS_DROP = 0.05
#: a share of wallet that fell by this much (points of share), or this many standard errors
#: below its own usual, is a cause
WALLET_DROP = 0.2
WALLET_Z = 2.0
#: the neutral answer (of 5): below it the customer is dissatisfied; a fall to it is a cause
LOW_SATISFACTION = 3

#: a sentence for a family: the customer's profile row, its feature row and the language; None
#: when its figures do not point toward churn (or the figure that would say so is missing)
Sentence = Callable[[dict, dict, str], "dict[str, Any] | None"]
SENTENCES: dict[str, Sentence] = {}


def kind_of(family: str) -> str:
    """``"change"`` for a symptom family, ``"cause"`` for the others."""
    return "change" if family in CHANGE_FAMILIES else "cause"


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
    return bool(np.isfinite(_num(v)))


def _get(d: dict, key: str) -> Any:
    return d.get(key, np.nan)


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


@sentence("recency")
def _recency(p: dict, x: dict, lang: str) -> dict | None:
    days, usual = _get(p, "last_purchase_days"), _get(x, "usual_purchase_gap")
    if not _ok(days):
        return None
    if _ok(usual):
        return say("recency", lang, {"days": days, "usual": usual}) if days > usual else None
    # one purchase only: judged against how often customers usually buy (the median gap of the
    # customers scored with it), said as such
    typical = _get(x, "_typical_gap")
    if _ok(typical) and days > typical:
        return say("recency_typical", lang, {"days": days, "usual": typical})
    return None


#: a rate that fell by less than this share (7 contacts against 8) is no change worth saying
FELL_BY = 0.2


def _rate_fell(recent: Any, year: Any, before: Any) -> bool:
    """The last 90 days a fifth (:data:`FELL_BY`) below a quarter of the year, or the year a fifth
    below the year before."""
    r, y, b = _num(recent), _num(year), _num(before)
    keep = 1 - FELL_BY
    return bool((np.isfinite(r) and np.isfinite(y) and 4 * r < keep * y)
                or (np.isfinite(y) and np.isfinite(b) and y < keep * b))


@sentence("frequency")
def _frequency(p: dict, x: dict, lang: str) -> dict | None:
    v = {"recent": _get(p, "orders_90d"), "year": _get(p, "orders_365d"), "before": _get(p, "orders_prev_365d")}
    if not all(_ok(a) for a in v.values()) or not _rate_fell(**v):
        return None
    return say("frequency", lang, v)


@sentence("spend")
def _spend(p: dict, x: dict, lang: str) -> dict | None:
    v = {"recent": _get(p, "spend_90d"), "year": _get(p, "spend_365d"), "before": _get(p, "spend_prev_365d")}
    if not all(_ok(a) for a in v.values()) or not _rate_fell(**v):
        return None
    return say("spend_level", lang, v)


@sentence("breadth")
def _breadth(p: dict, x: dict, lang: str) -> dict | None:
    recent, before = _get(p, "categories_r"), _get(p, "categories_b")
    if not (_ok(recent) and _ok(before) and recent < before):
        return None
    return say("breadth", lang, {"recent": recent, "before": before})


@sentence("wallet")
def _wallet(p: dict, x: dict, lang: str) -> dict | None:
    """Only a share that fell by :data:`WALLET_DROP` or :data:`WALLET_Z` standard errors; a share
    above 100% (more than the estimated wallet) is not said as a share but as buying less from us
    against the estimated needs."""
    after, change, z = _get(x, "share_of_wallet"), _get(x, "share_of_wallet_change"), _get(x, "share_of_wallet_z")
    if not (_ok(after) and _ok(change)) or change >= 0:
        return None
    if not (change <= -WALLET_DROP or (_ok(z) and z <= -WALLET_Z)):
        return None
    before = after - change
    if 0 <= after <= 1 and 0 <= before <= 1:
        if _ok(z) and z < 0:
            return say("share_of_wallet", lang, {"before": before, "after": after, "z": abs(z)})
        return say("share_of_wallet_fell", lang, {"before": before, "after": after})
    if _ok(z) and z < 0:
        return say("wallet_elsewhere", lang, {"z": abs(z)})
    return say("wallet_elsewhere_plain", lang, {})


@sentence("contact")
def _contact(p: dict, x: dict, lang: str) -> dict | None:
    days, usual = _get(p, "last_contact_days"), _get(x, "usual_contact_gap")
    if _ok(days) and _ok(usual) and days > 1.5 * usual:
        return say("no_contact", lang, {"days": days, "usual": usual})
    recent, before = _get(p, "contacts_90d"), _get(p, "contacts_prev_90d")
    if _ok(recent) and _ok(before) and recent < (1 - FELL_BY) * before:
        return say("contact_fewer", lang, {"recent": recent, "before": before})
    return None


@sentence("unsubscribe")
def _unsubscribe(p: dict, x: dict, lang: str) -> dict | None:
    days = _get(p, "last_unsubscribe_days")
    if not _ok(days) or days > RECENT_DAYS:
        return None
    return say("unsubscribed", lang, {"days": days})


@sentence("contract")
def _contract(p: dict, x: dict, lang: str) -> dict | None:
    """A contract that lapsed, or ends soon with no renewal inquiry; a contract far from its end,
    or one the customer asked to renew, is no reason."""
    if _get(p, "relationship") != "contractual":
        return None
    to_end = _get(x, "days_to_contract_end")
    if not _ok(to_end):
        return None
    if to_end < 0:
        return say("contract_lapsed", lang, {"days": -to_end})
    if _num(_get(x, "renewal_inquired")) == 0 and to_end <= RENEWAL_WINDOW_DAYS:
        until = _get(p, "covered_until")
        if isinstance(until, (pd.Timestamp, date)) and pd.notna(until):
            return say("renewal_silence", lang, {"days": to_end, "end": pd.Timestamp(until).date().isoformat()})
        return say("renewal_silence_plain", lang, {"days": to_end})
    return None


@sentence("complaint")
def _complaint(p: dict, x: dict, lang: str) -> dict | None:
    cat = _text(_get(p, "last_complaint_category"))
    open_days = _get(p, "oldest_open_complaint_days")
    if _num(_get(p, "open_complaints")) > 0 and _ok(open_days):
        if cat:
            return say("complaint_open", lang, {"days": open_days, "category": cat})
        return say("complaint_open_plain", lang, {"days": open_days})
    days = _get(p, "last_complaint_days")
    if _ok(days) and days <= RECENT_DAYS:
        if cat:
            return say("complaint_past", lang, {"days": days, "category": cat})
        return say("complaint_past_plain", lang, {"days": days})
    return None


@sentence("satisfaction")
def _satisfaction(p: dict, x: dict, lang: str) -> dict | None:
    """A satisfaction below :data:`LOW_SATISFACTION` (dissatisfied), or one that fell to it; a 4
    or 5 is never a reason, nor a 3 that did not fall."""
    last, prev, days = _get(p, "last_satisfaction"), _get(p, "prev_satisfaction"), _get(p, "last_survey_days")
    if not _ok(last):
        return None
    if _ok(prev) and prev > last and last <= LOW_SATISFACTION:
        return say("satisfaction_fell", lang, {"before": prev, "after": last})
    if last < LOW_SATISFACTION:
        if _ok(days):
            return say("satisfaction_low", lang, {"level": last, "days": days})
        return say("satisfaction_low_plain", lang, {"level": last})
    return None


@sentence("service_region")
def _region(p: dict, x: dict, lang: str) -> dict | None:
    rate, usual = _get(p, "region_complaints_60d"), _get(p, "region_complaints_usual")
    # more than one complaint per 1,000 customers above the region's usual: an incident, not noise
    if not (_ok(rate) and _ok(usual) and rate - usual > 1):
        return None
    region = _text(_get(p, "region"))
    if region:
        return say("region_complaints", lang, {"region": region, "rate": rate, "usual": usual})
    return say("region_complaints_plain", lang, {"rate": rate, "usual": usual})


@sentence("price")
def _price(p: dict, x: dict, lang: str) -> dict | None:
    rise, units = _get(x, "price_rise"), _get(x, "units_change")
    if not _ok(rise) or rise < PRICE_RISE:
        return None
    if _ok(units) and units <= -UNITS_DROP:
        return say("price_exposure", lang, {"rise": rise, "units": -units})
    return say("price_rise", lang, {"rise": rise})


@sentence("chain")
def _chain(p: dict, x: dict, lang: str) -> dict | None:
    """Only a related customer lost lately; belonging to a group is no reason."""
    count, group = _get(p, "group_lost_recent"), _text(_get(p, "group_id"))
    if not (_num(count) > 0 and group):
        return None
    when, example = _get(p, "group_last_lost_at"), _text(_get(p, "group_lost_example"))
    if example and isinstance(when, (pd.Timestamp, date)) and pd.notna(when):
        return say("chain", lang, {"count": count, "group": group, "days": 90, "example": example,
                                   "when": pd.Timestamp(when).date().isoformat()})
    return say("chain_plain", lang, {"count": count, "group": group, "days": 90})


@sentence("payment")
def _payment(p: dict, x: dict, lang: str) -> dict | None:
    late, invoices = _get(p, "late_invoices_365d"), _get(p, "invoices_365d")
    if not (_num(late) > 0 and _ok(invoices)):
        return None
    return say("late_payment", lang, {"late": late, "invoices": invoices})


@sentence("returns")
def _returns(p: dict, x: dict, lang: str) -> dict | None:
    count = _get(p, "returns_365d")
    return say("returns", lang, {"count": count}) if _num(count) > 0 else None


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


def unknown_cause(language: str) -> dict[str, Any]:
    """The cause list of a customer none of whose records shows a cause."""
    return {"family": "unknown", "contribution": 0.0, **say("cause_unknown", language, {})}


def explain(contrib: pd.DataFrame, X: pd.DataFrame, profile: pd.DataFrame, *, top: int = 3,
            language: str = "en", customers: pd.Index | None = None, min_contribution: float = 0.1,
            typical_gap: float | None = None) -> pd.DataFrame:
    """Each customer's reasons: what changed, the likely cause, and both as one list.

    Parameters
    ----------
    contrib : pandas.DataFrame
        Per-feature contributions (log-odds), one row per customer.
    X : pandas.DataFrame
        The same customers' features.
    profile : pandas.DataFrame
        Their profiles (the figures the sentences say).
    top : int
        At most this many items in each list.
    language : str
    customers : pandas.Index, optional
        Only these rows.
    min_contribution : float
        A symptom is said when its family adds at least this much (log-odds) to the risk. A cause
        is said when the customer's records show it (its circumstances, :data:`CIRCUMSTANCES`,
        only where their family adds at least as much).
    typical_gap : float, optional
        Days between purchases of a typical customer, to judge the recency of a customer with a
        single purchase (default: the median usual gap of ``X``).

    Returns
    -------
    pandas.DataFrame
        Index as ``contrib``; columns ``changes`` and ``causes`` (lists of ``{"family",
        "contribution", "code", "text", "values"}``, the larger contribution first; ``causes`` is
        ``[cause_unknown]`` when no cause shows) and ``reasons`` (the ``top`` largest of both
        lists with at least ``min_contribution``, the flat list of earlier versions).
    """
    fam = _actionable(family_contributions(contrib), X)
    if customers is not None:
        fam = fam.loc[fam.index.intersection(customers)]
    # the same order whatever order the rows came in: ties broken by family name
    names = np.array(sorted(fam.columns))
    values = fam[list(names)].to_numpy(dtype="float64")
    order = np.argsort(-np.round(values, 6), axis=1, kind="stable")
    if typical_gap is None and "usual_purchase_gap" in X.columns:
        gaps = X["usual_purchase_gap"].dropna()
        typical_gap = float(gaps.median()) if len(gaps) else None
    # plain dicts of only the columns the sentences read: far faster than pandas rows
    prof = profile.reindex(fam.index)[[c for c in PROFILE_COLUMNS if c in profile.columns]].to_dict("records")
    feats = X.reindex(fam.index)[[c for c in FEATURE_COLUMNS if c in X.columns]].to_dict("records")
    changes, causes, flat = [], [], []
    for i in range(len(fam)):
        p, x = prof[i], feats[i]
        x["_typical_gap"] = typical_gap if typical_gap is not None else np.nan
        change, cause = [], []
        for j in order[i]:
            c = float(values[i, j])
            family = str(names[j])
            is_change = family in CHANGE_FAMILIES
            if is_change and (c < min_contribution or len(change) >= top):
                continue
            if not is_change and len(cause) >= top:
                continue
            fn = SENTENCES.get(family)
            ev = fn(p, x, language) if fn is not None else None
            if ev is None or "?" in ev["text"] or (ev["code"] in CIRCUMSTANCES and c < min_contribution):
                continue
            (change if is_change else cause).append({"family": family, "contribution": round(c, 4), **ev})
        both = sorted(change + cause, key=lambda r: -r["contribution"])
        flat.append([r for r in both if r["contribution"] >= min_contribution][:top])
        changes.append(change)
        causes.append(cause or [unknown_cause(language)])
    return pd.DataFrame({"reasons": flat, "changes": changes, "causes": causes}, index=fam.index)


def split_reasons(items: list[dict[str, Any]], language: str = "en") -> tuple[list, list]:
    """One list of reasons (as stored before they came in two) split into what changed and the
    likely cause, the cause list saying so when none shows (two empty lists for no reasons: a
    customer the run did not explain)."""
    if not items:
        return [], []
    changes = [i for i in items if i.get("family") in CHANGE_FAMILIES]
    causes = [i for i in items if i.get("family") not in CHANGE_FAMILIES]
    return changes, causes or [unknown_cause(language)]


def reason_codes(contrib: pd.DataFrame, X: pd.DataFrame, profile: pd.DataFrame, *, top: int = 3,
                 language: str = "en", customers: pd.Index | None = None,
                 min_contribution: float = 0.1) -> pd.Series:
    """The top reasons of each customer as one list (``reasons`` of :func:`explain`)."""
    return explain(contrib, X, profile, top=top, language=language, customers=customers,
                   min_contribution=min_contribution)["reasons"]


def top_family(contrib: pd.DataFrame, X: pd.DataFrame, families: tuple[str, ...] | None = None) -> pd.Series:
    """The family with the largest positive contribution per row (optionally among ``families``)."""
    fam = _actionable(family_contributions(contrib), X)
    if families is not None:
        fam = fam[[f for f in fam.columns if f in families]]
    best = fam.idxmax(axis=1)
    return best.where(fam.max(axis=1) > 0)
