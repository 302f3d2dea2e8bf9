"""Behavioural features of every active customer as of an observation date (no look-ahead).

Everything comes from :func:`~churnguard.compute.detect.profile.customer_profile` (the
aggregations run in the engine, one row per customer comes back) plus the warning signals
and the trend tests computed from it. Each feature belongs to a *family* — the piece of
evidence it measures — so that reason codes speak of "contact" or "complaint" once, however
many features measure it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from churnguard.compute.detect.defectors import partial_tests, usual_gap_days
from churnguard.compute.detect.profile import customer_profile, round_significant, safe_ratio
from churnguard.compute.detect.signals import RULES, evaluate_signals, price_change, trend_tests
from churnguard.compute.detect.trends import SeasonalIndex, seasonal_index
from churnguard.settings import Settings
from churnguard.store.records import Records

#: feature -> family (the evidence it measures). Order is the model's column order.
FEATURES: dict[str, str] = {
    "days_since_last_purchase": "recency",
    "usual_purchase_gap": "recency",
    "recency_ratio": "recency",
    "orders_30d": "frequency",
    "orders_90d": "frequency",
    "orders_365d": "frequency",
    "orders_prev_365d": "frequency",
    "orders_total": "frequency",
    "order_trend": "frequency",
    "orders_30d_z": "frequency",
    "orders_90d_z": "frequency",
    "orders_90d_vs_usual": "frequency",
    "trend_freq_z": "frequency",
    "partial_freq_z": "frequency",
    "spend_90d": "spend",
    "spend_365d": "spend",
    "spend_trend": "spend",
    "avg_order_value": "spend",
    "order_value_change": "spend",
    "trend_spend_z": "spend",
    "partial_spend_z": "spend",
    "categories_recent": "breadth",
    "categories_before": "breadth",
    "share_of_wallet": "wallet",
    "share_of_wallet_change": "wallet",
    "share_of_wallet_z": "wallet",
    "contacts_30d": "contact",
    "contacts_90d": "contact",
    "contacts_prev_90d": "contact",
    "contacts_365d": "contact",
    "days_since_last_contact": "contact",
    "usual_contact_gap": "contact",
    "contact_recency_ratio": "contact",
    "contact_trend": "contact",
    "contacts_30d_z": "contact",
    "contacts_90d_z": "contact",
    "days_since_unsubscribe": "unsubscribe",
    "contractual": "relationship",
    "days_to_contract_end": "contract",
    "days_since_renewal_inquiry": "contract",
    "renewal_inquired": "contract",
    "contracts_n": "contract",
    "recurring_value": "value",
    "complaints_90d": "complaint",
    "complaints_365d": "complaint",
    "open_complaints": "complaint",
    "days_complaint_open": "complaint",
    "days_since_complaint": "complaint",
    "complaint_severity": "complaint",
    "last_satisfaction": "satisfaction",
    "satisfaction_change": "satisfaction",
    "last_nps": "satisfaction",
    "days_since_survey": "satisfaction",
    "min_satisfaction_365d": "satisfaction",
    "region_complaint_rate": "service_region",
    "region_complaint_excess": "service_region",
    "price_rise": "price",
    "units_change": "price",
    "group_size": "chain",
    "group_lost_recent": "chain",
    "late_share": "payment",
    "overdue_amount": "payment",
    "returns_365d": "returns",
    "tenure_days": "tenure",
    "value_12m": "value",
    "customer_type": "profile",
    "segment": "profile",
    "region": "profile",
    **{f"sig_{name}": name for name in RULES},
}
CATEGORICAL = ("customer_type", "segment", "region")
#: customers enough to measure seasonality on
INDEX_PANEL = 200_000

#: which family each signal rule belongs to, for reasons (a signal is evidence of its family)
SIGNAL_FAMILY = {
    "sig_contact_drop": "contact",
    "sig_renewal_silence": "contract",
    "sig_unsubscribed": "unsubscribe",
    "sig_complaint": "complaint",
    "sig_satisfaction": "satisfaction",
    "sig_spend_trend": "spend",
    "sig_chain": "chain",
    "sig_price_exposure": "price",
}
for _sig, _fam in SIGNAL_FAMILY.items():
    FEATURES[_sig] = _fam


@dataclass
class FeatureSet:
    """Features of the active customers as of one date, and what they were built from.

    Attributes
    ----------
    as_of : date
    X : pandas.DataFrame
        One row per active customer (index ``customer_id``), columns :data:`FEATURES`.
    profile : pandas.DataFrame
        The full customer profile (active and lost customers).
    signals : pandas.DataFrame
        :func:`~churnguard.compute.detect.signals.evaluate_signals` of the active customers.
    index : SeasonalIndex
    """

    as_of: date
    X: pd.DataFrame
    profile: pd.DataFrame
    signals: pd.DataFrame
    index: SeasonalIndex
    extra: dict = field(default_factory=dict)


def index_days(settings: Settings) -> int:
    """Days of seasonal index the tests need (the longest window pair)."""
    det, sig = settings.detect, settings.signals
    return max(det.partial_recent_days + det.partial_baseline_days, sig.spend_trend_days + 365)


def against_own_usual(recent: pd.Series, year: pd.Series, window: int, history_days: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """How the last ``window`` days compare with the customer's own rate before them.

    The customer's usual rate is its count over the rest of the last year (or of its history,
    when shorter); returns the ratio of the recent count to the count that rate predicts, and
    a Poisson z, ``(recent - expected) / sqrt(expected)`` (NaN without a baseline). What comes
    before a departure — orders and contacts thinning against the customer's own habit — is
    seen here, while the days since the last purchase still look normal.
    """
    base_days = np.clip(np.minimum(history_days.fillna(0).to_numpy(dtype="float64"), 365.0) - window, 0, None)
    before = (year - recent).clip(lower=0).to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(base_days >= window, before * window / base_days, np.nan)
        ratio = np.where(expected > 0, recent.to_numpy(dtype="float64") / expected, np.nan)
        z = np.where(expected > 0, (recent.to_numpy(dtype="float64") - expected) / np.sqrt(expected), np.nan)
    return ratio, z


def build_features(profile: pd.DataFrame, signals: pd.DataFrame, index: SeasonalIndex,
                   settings: Settings) -> pd.DataFrame:
    """The feature table of the active customers (pandas arithmetic on one row per customer)."""
    p = profile[~profile["lost"]]
    f = pd.DataFrame(index=p.index)
    usual = usual_gap_days(p)
    f["days_since_last_purchase"] = p["last_purchase_days"]
    f["usual_purchase_gap"] = usual
    f["recency_ratio"] = safe_ratio(p["last_purchase_days"], usual)
    for c in ("orders_30d", "orders_90d", "orders_365d", "orders_prev_365d", "orders_total",
              "spend_90d", "spend_365d", "contacts_30d", "contacts_90d", "contacts_prev_90d", "contacts_365d",
              "contracts_n", "complaints_90d", "complaints_365d", "open_complaints", "last_satisfaction",
              "last_nps", "min_satisfaction_365d", "group_size", "group_lost_recent", "overdue_amount",
              "returns_365d"):
        f[c] = p[c]
    f["order_trend"] = safe_ratio(p["orders_180d"], p["orders_365d"])
    bought_for = p["first_purchase_days"]
    f["orders_90d_vs_usual"], f["orders_90d_z"] = against_own_usual(p["orders_90d"], p["orders_365d"], 90, bought_for)
    f["orders_30d_z"] = against_own_usual(p["orders_30d"], p["orders_365d"], 30, bought_for)[1]
    contacted_for = p["first_contact_days"]
    f["contacts_90d_z"] = against_own_usual(p["contacts_90d"], p["contacts_365d"], 90, contacted_for)[1]
    f["contacts_30d_z"] = against_own_usual(p["contacts_30d"], p["contacts_365d"], 30, contacted_for)[1]
    # average order in the last 90 days against the rest of the year (smaller orders, dearer goods)
    value_90 = safe_ratio(p["spend_90d"], p["orders_90d"])
    value_before = safe_ratio(p["spend_365d"] - p["spend_90d"], p["orders_365d"] - p["orders_90d"])
    with np.errstate(divide="ignore", invalid="ignore"):
        f["order_value_change"] = np.where((value_90 > 0) & (value_before > 0), np.log(value_90 / value_before), np.nan)
    trend = trend_tests(p, settings.signals, index)
    part = partial_tests(p, index, settings)
    f["trend_freq_z"] = trend["freq_z"]
    f["partial_freq_z"] = part["freq_z"]
    f["spend_trend"] = safe_ratio(p["spend_365d"], p["spend_prev_365d"])
    f["avg_order_value"] = safe_ratio(p["spend_365d"], p["orders_365d"])
    f["trend_spend_z"] = trend["spend_z"]
    f["partial_spend_z"] = part["spend_z"]
    f["categories_recent"] = p["categories_r"]
    f["categories_before"] = p["categories_b"]
    f["share_of_wallet"] = part["sow_r"]
    f["share_of_wallet_change"] = part["sow_r"] - part["sow_b"]
    f["share_of_wallet_z"] = part["sow_z"]
    f["days_since_last_contact"] = p["last_contact_days"]
    contact_span = np.clip(p["first_contact_days"].fillna(0), 1, 365)
    f["usual_contact_gap"] = safe_ratio(contact_span, p["contacts_365d"])
    f["contact_recency_ratio"] = safe_ratio(p["last_contact_days"], f["usual_contact_gap"])
    f["contact_trend"] = safe_ratio(p["contacts_90d"], p["contacts_365d"] / 4.0)
    f["days_since_unsubscribe"] = p["last_unsubscribe_days"]
    f["contractual"] = (p["relationship"] == "contractual").astype("float64")
    f["days_to_contract_end"] = -p["covered_until_days"]
    f["days_since_renewal_inquiry"] = p["last_renewal_inquiry_days"]
    to_end = -p["covered_until_days"]
    f["renewal_inquired"] = np.where(
        to_end.notna(), (p["last_renewal_inquiry_days"] <= 120).astype("float64"), np.nan
    )
    f["recurring_value"] = p["recurring_value"]
    f["days_complaint_open"] = p["oldest_open_complaint_days"]
    f["days_since_complaint"] = p["last_complaint_days"]
    f["complaint_severity"] = p["severity_max_365d"]
    f["satisfaction_change"] = p["last_satisfaction"] - p["prev_satisfaction"]
    f["days_since_survey"] = p["last_survey_days"]
    f["region_complaint_rate"] = p["region_complaints_60d"]
    f["region_complaint_excess"] = p["region_complaints_60d"] - p["region_complaints_usual"]
    pc = price_change(p)
    f["price_rise"] = pc["price_rise"]
    f["units_change"] = pc["units_change"]
    f["late_share"] = safe_ratio(p["late_invoices_365d"], p["invoices_365d"])
    f["tenure_days"] = p[["acquired_days", "first_purchase_days", "first_contract_days"]].max(axis=1)
    f["value_12m"] = p["spend_365d"] + p["recurring_value"].fillna(0)
    for c in CATEGORICAL:
        f[c] = p[c].astype("object")
    sig = signals.reindex(p.index)
    for name in RULES:
        f[f"sig_{name}"] = sig[f"sig_{name}"].fillna(False).astype("float64")
    numeric = [c for c in FEATURES if c not in CATEGORICAL]
    f[numeric] = f[numeric].astype("float64").replace([np.inf, -np.inf], np.nan)
    # ratios of rounded sums are exact functions of them; rounding again keeps every feature
    # to the digits that repeat from run to run
    f[numeric] = round_significant(f[numeric].to_numpy())
    return f[list(FEATURES)].sort_index(kind="stable")


def features_as_of(records: Records, settings: Settings, as_of: date, *, sample: float = 1.0,
                   seed: int = 0, language: str = "en", evidence: bool = True) -> FeatureSet:
    """Profile, signals and features of the active customers as of ``as_of``.

    Parameters
    ----------
    records : Records
    settings : Settings
    as_of : date
        Observation date: only records dated on or before it are read.
    sample : float
        Build features for this deterministic share of the customers only.
    seed : int
    language : str
        Language of the signals' evidence.
    evidence : bool
        Write the signals' evidence sentences (not needed for training).

    Examples
    --------
    >>> fs = features_as_of(Records.from_store(ws.store), ws.settings, date(2026, 6, 30))  # doctest: +SKIP
    >>> fs.X.loc["C0000001", "days_since_last_contact"]  # doctest: +SKIP
    """
    profile = customer_profile(records, settings, as_of, sample=sample, seed=seed)
    # seasonality is a ratio: a panel of a couple of hundred thousand customers gives the same
    # curve as millions, for a fraction of the work
    active = int((~profile["lost"]).sum()) / max(sample, 1e-9)
    panel = min(sample, INDEX_PANEL / active) if active > INDEX_PANEL else sample
    index = seasonal_index(records.sampled(panel, seed), settings.churn, as_of, index_days(settings))
    signals = evaluate_signals(profile, settings, index, language, evidence=evidence)
    X = build_features(profile, signals, index, settings)
    return FeatureSet(as_of, X, profile, signals, index)
