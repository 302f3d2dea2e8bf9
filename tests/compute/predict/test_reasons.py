"""Reasons a customer success manager can act on: what changed and the likely cause, each rule
checked on hand-built customers (contributions, features and profile written out by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from churnguard.compute.detect.words import reword
from churnguard.compute.predict.features import FEATURES
from churnguard.compute.predict.reasons import (
    CAUSE_FAMILY_ORDER,
    CHANGE_FAMILIES,
    FEATURE_COLUMNS,
    PROFILE_COLUMNS,
    explain,
    split_reasons,
)

#: one feature of each family, to give the family a contribution
ONE_FEATURE = {}
for _feature, _family in FEATURES.items():
    ONE_FEATURE.setdefault(_family, _feature)


def _frames(profiles: list[dict], features: list[dict], contributions: list[dict]):
    """Profile, feature and contribution frames of hand-built customers C1, C2, … (anything not
    given is missing; a family not given contributes nothing)."""
    ids = pd.Index([f"C{i + 1}" for i in range(len(profiles))], name="customer_id")
    profile = pd.DataFrame([{c: p.get(c, np.nan) for c in PROFILE_COLUMNS} for p in profiles], index=ids)
    for c in ("relationship", "last_complaint_category", "region", "group_id", "group_lost_example",
              "customer_type", "segment"):
        profile[c] = profile[c].astype(object)
    X = pd.DataFrame([{c: x.get(c, np.nan) for c in FEATURES if c not in ("customer_type", "segment", "region")}
                      for x in features], index=ids)
    contrib = pd.DataFrame(0.0, index=ids, columns=[*FEATURES, "bias"])
    for i, fams in enumerate(contributions):
        for family, value in fams.items():
            contrib.iloc[i, contrib.columns.get_loc(ONE_FEATURE[family])] = value
    return contrib, X, profile


def one(profile: dict, features: dict, contributions: dict, language: str = "en", **kw) -> dict:
    """The explanation of one hand-built customer: ``{"reasons", "changes", "causes"}``."""
    contrib, X, prof = _frames([profile], [features], [contributions])
    return explain(contrib, X, prof, language=language, **kw).iloc[0].to_dict()


def families(items: list[dict]) -> list[str]:
    return [i["family"] for i in items]


# -- what changed, what caused it ------------------------------------------------------------------
def test_symptoms_and_causes_come_in_two_lists_ordered_by_contribution() -> None:
    e = one({"last_purchase_days": 80, "orders_90d": 0, "orders_365d": 6, "orders_prev_365d": 9,
             "open_complaints": 1, "oldest_open_complaint_days": 21, "last_complaint_category": "delivery",
             "last_satisfaction": 2, "prev_satisfaction": 4, "last_survey_days": 30},
            {"usual_purchase_gap": 20},
            {"recency": 1.2, "frequency": 0.4, "complaint": 0.3, "satisfaction": 0.6})
    assert families(e["changes"]) == ["recency", "frequency"]
    assert families(e["causes"]) == ["satisfaction", "complaint"]
    assert e["changes"][0]["text"] == "no purchase for 80 days (usually every 20)"
    assert e["causes"][0]["text"] == "satisfaction fell from 4 to 2 of 5"
    assert e["causes"][1]["text"] == "complaint open 21 days (delivery)"
    # the flat list of earlier versions: the largest of both, each with its code, values and contribution
    assert families(e["reasons"]) == ["recency", "satisfaction", "frequency"]
    assert all({"family", "contribution", "code", "text", "values"} <= set(r) for r in e["reasons"])
    assert set(CHANGE_FAMILIES) == {"recency", "frequency", "spend", "breadth", "contact"}


def test_no_visible_cause_says_so_instead_of_promoting_a_symptom() -> None:
    e = one({"last_purchase_days": 80, "orders_90d": 0, "orders_365d": 6, "orders_prev_365d": 9},
            {"usual_purchase_gap": 20}, {"recency": 1.2, "frequency": 0.4})
    assert families(e["changes"]) == ["recency", "frequency"]
    assert [c["code"] for c in e["causes"]] == ["cause_unknown"]
    assert e["causes"][0]["text"] == "cause unknown: call and ask"
    zh = one({"last_purchase_days": 80}, {"usual_purchase_gap": 20}, {"recency": 1.2}, "zh")
    assert zh["causes"][0]["text"] == "原因不明：建议回访"
    assert reword(zh["causes"][0], "en") == "cause unknown: call and ask"
    # circumstances (complaints in its region, late payments, returns, a price rise it did not react
    # to) are a cause only where the model finds them raising the risk
    region = {"region": "North", "region_complaints_60d": 6.0, "region_complaints_usual": 2.0,
              "late_invoices_365d": 3, "invoices_365d": 12, "returns_365d": 2, "last_purchase_days": 80}
    down = one(region, {"usual_purchase_gap": 20, "price_rise": 0.1, "units_change": 0.0},
               {"recency": 1.2, "service_region": -0.3, "payment": -0.1, "returns": -0.2, "price": -0.1})
    assert [c["code"] for c in down["causes"]] == ["cause_unknown"]
    up = one(region, {"usual_purchase_gap": 20, "price_rise": 0.1, "units_change": 0.0},
             {"recency": 1.2, "service_region": 0.3, "payment": 0.1, "returns": 0.2, "price": 0.05})
    assert families(up["causes"]) == ["service_region", "returns", "payment"]  # at most three, the larger first
    assert up["causes"][0]["text"] == ("complaints in its region North: 6.0 per 1,000 customers in the last "
                                       "60 days (usually 2.0)")


def test_what_the_customer_did_or_said_is_a_cause_however_the_model_weighs_it() -> None:
    """An open complaint, a bad survey answer, an unsubscribe: the model rarely has enough of these
    to weigh them, so they are causes whenever the records show them, the larger weight first."""
    e = one({"open_complaints": 1, "oldest_open_complaint_days": 21, "last_complaint_category": "delivery",
             "last_satisfaction": 1, "last_survey_days": 40, "last_unsubscribe_days": 12, "last_purchase_days": 80},
            {"usual_purchase_gap": 20}, {"recency": 1.2, "complaint": 0.0, "satisfaction": -0.15, "unsubscribe": 0.2})
    assert families(e["causes"]) == ["unsubscribe", "complaint", "satisfaction"]
    assert [r["family"] for r in e["reasons"]] == ["recency", "unsubscribe"]  # the flat list: what adds to the risk


# -- never a reason that argues against risk -------------------------------------------------------
def test_a_satisfaction_of_5_is_never_a_reason() -> None:
    for prev in (np.nan, 5, 4, 3):
        e = one({"last_satisfaction": 5, "prev_satisfaction": prev, "last_survey_days": 2}, {},
                {"satisfaction": 0.9})
        assert "satisfaction" not in families(e["reasons"] + e["causes"])
    # a 4 is no reason even after a fall, nor a 3 that did not fall; a 2 is, and a fall to 3
    for last, prev in ((4, 5), (4, np.nan), (3, np.nan), (3, 3)):
        e = one({"last_satisfaction": last, "prev_satisfaction": prev, "last_survey_days": 2}, {},
                {"satisfaction": 0.9})
        assert "satisfaction" not in families(e["causes"])
    fell = one({"last_satisfaction": 3, "prev_satisfaction": 5, "last_survey_days": 2}, {}, {"satisfaction": 0.9})
    assert fell["causes"][0]["text"] == "satisfaction fell from 5 to 3 of 5"
    low = one({"last_satisfaction": 2, "last_survey_days": 12}, {}, {"satisfaction": 0.9}, "zh")
    assert low["causes"][0]["text"] == "12 天前满意度调查为 2 分（满分 5）"


def test_a_rising_or_stable_share_of_wallet_is_never_a_reason() -> None:
    for change in (0.36, 0.0, -0.004):
        e = one({}, {"share_of_wallet": 0.7, "share_of_wallet_change": change, "share_of_wallet_z": 0.8},
                {"wallet": 0.9})
        assert "wallet" not in families(e["causes"] + e["reasons"])
    fell = one({}, {"share_of_wallet": 0.31, "share_of_wallet_change": -0.31, "share_of_wallet_z": -2.3},
               {"wallet": 0.9}, "zh")
    assert fell["causes"][0]["text"] == "荷包占有率从 62% 降到 31%（低于自身常态 2.3 个标准误）"


def test_a_share_of_wallet_above_100_percent_is_not_said_as_a_share() -> None:
    e = one({}, {"share_of_wallet": 3.63, "share_of_wallet_change": -0.8, "share_of_wallet_z": -2.1},
            {"wallet": 0.9})
    (cause,) = e["causes"]
    assert cause["family"] == "wallet" and "%" not in cause["text"] and "share" not in cause["text"]
    assert cause["text"] == "buys less from us against its estimated needs (2.1 standard errors below its usual)"
    # the share before the fall above 100% counts too; without a z the sentence has none
    e = one({}, {"share_of_wallet": 0.9, "share_of_wallet_change": -0.5, "share_of_wallet_z": np.nan},
            {"wallet": 0.9}, "zh")
    assert e["causes"][0]["text"] == "在我方的采购相对其估计需求下降"


def test_no_contact_in_either_window_is_never_a_reason() -> None:
    e = one({"contacts_90d": 0, "contacts_prev_90d": 0, "last_contact_days": np.nan}, {"usual_contact_gap": np.nan},
            {"contact": 0.9})
    assert e["changes"] == [] and e["reasons"] == []
    # fewer contacts than before, or none for far longer than usual, is
    fewer = one({"contacts_90d": 1, "contacts_prev_90d": 4, "last_contact_days": 20}, {"usual_contact_gap": 30},
                {"contact": 0.9})
    assert fewer["changes"][0]["text"] == "1 contacts in the last 90 days vs 4 in the 90 days before"
    silent = one({"contacts_90d": 0, "contacts_prev_90d": 0, "last_contact_days": 200}, {"usual_contact_gap": 30},
                 {"contact": 0.9})
    assert silent["changes"][0]["text"] == "no contact for 200 days (usually every 30)"


def test_membership_of_a_group_alone_is_never_a_reason() -> None:
    e = one({"group_id": "G7", "group_size": 5, "group_lost_recent": 0}, {}, {"chain": 0.9})
    assert [c["code"] for c in e["causes"]] == ["cause_unknown"] and e["reasons"] == []
    lost = one({"group_id": "G7", "group_size": 5, "group_lost_recent": 2, "group_lost_example": "C9",
                "group_last_lost_at": pd.Timestamp("2026-05-01")}, {}, {"chain": 0.9})
    assert lost["causes"][0]["text"] == ("2 related customer(s) in group G7 lost in the last 90 days "
                                         "(latest C9 on 2026-05-01)")


def test_a_contract_far_from_its_end_or_being_renewed_is_never_a_reason() -> None:
    base = {"relationship": "contractual", "covered_until": pd.Timestamp("2027-06-30")}
    far = one(base, {"days_to_contract_end": 300, "renewal_inquired": 0, "contractual": 1}, {"contract": 0.9})
    asked = one(base, {"days_to_contract_end": 40, "renewal_inquired": 1, "contractual": 1}, {"contract": 0.9})
    assert [c["code"] for c in far["causes"]] == [c["code"] for c in asked["causes"]] == ["cause_unknown"]
    silent = one({**base, "covered_until": pd.Timestamp("2026-11-30")},
                 {"days_to_contract_end": 40, "renewal_inquired": 0, "contractual": 1}, {"contract": 0.9})
    assert silent["causes"][0]["text"] == "contract ends in 40 days (2026-11-30) and no renewal inquiry"


@pytest.mark.parametrize("family, profile, features", [
    ("recency", {"last_purchase_days": 5}, {"usual_purchase_gap": 30}),
    ("frequency", {"orders_90d": 3, "orders_365d": 10, "orders_prev_365d": 8}, {}),
    ("frequency", {"orders_90d": 2, "orders_365d": 9, "orders_prev_365d": 10}, {}),  # a tenth fewer: noise
    ("contact", {"contacts_90d": 7, "contacts_prev_90d": 8, "last_contact_days": 3}, {"usual_contact_gap": 12}),
    ("spend", {"spend_90d": 400, "spend_365d": 1200, "spend_prev_365d": 1000}, {}),
    ("breadth", {"categories_r": 4, "categories_b": 3}, {}),
    ("complaint", {"open_complaints": 0, "last_complaint_days": 700}, {}),
    ("service_region", {"region": "North", "region_complaints_60d": 1.0, "region_complaints_usual": 2.0}, {}),
    ("service_region", {"region": "North", "region_complaints_60d": 2.5, "region_complaints_usual": 2.0}, {}),
    ("price", {}, {"price_rise": -0.05, "units_change": 0.1}),
    ("price", {}, {"price_rise": 0.02, "units_change": -0.3}),  # a rise within the noise of a few orders
    ("wallet", {}, {"share_of_wallet": 0.6, "share_of_wallet_change": -0.05, "share_of_wallet_z": -0.4}),
    ("unsubscribe", {"last_unsubscribe_days": np.nan, "last_contact_days": 5}, {}),
    ("payment", {"late_invoices_365d": 0, "invoices_365d": 12}, {}),
    ("returns", {"returns_365d": 0}, {}),
])
def test_figures_that_do_not_point_toward_churn_are_not_said(family: str, profile: dict, features: dict) -> None:
    e = one(profile, features, {family: 0.9})
    assert family not in families(e["changes"] + e["causes"] + e["reasons"])


# -- no "?" ---------------------------------------------------------------------------------------
def test_no_sentence_carries_a_question_mark_when_figures_are_missing() -> None:
    """Every family pushing the risk up, every figure missing or half missing: each sentence is
    said without the missing figure or not at all, in both languages."""
    everything = {f: 0.5 + i / 100 for i, f in enumerate(sorted(set(ONE_FEATURE)))}
    profiles = [
        {},  # nothing known
        {"last_purchase_days": 90, "open_complaints": 2, "oldest_open_complaint_days": 15, "last_satisfaction": 1,
         "region_complaints_60d": 9.0, "region_complaints_usual": 2.0, "group_id": "G1", "group_lost_recent": 1,
         "relationship": "contractual", "late_invoices_365d": 2, "invoices_365d": np.nan, "returns_365d": 3,
         "last_unsubscribe_days": 10, "orders_90d": 0, "orders_365d": 4, "orders_prev_365d": np.nan,
         "contacts_90d": 0, "contacts_prev_90d": 3},
        {"last_complaint_days": 30, "last_satisfaction": 2, "prev_satisfaction": np.nan, "last_survey_days": np.nan,
         "relationship": "contractual", "covered_until": pd.NaT, "group_id": "G2", "group_lost_recent": 2,
         "group_lost_example": None, "group_last_lost_at": pd.NaT, "spend_90d": 0, "spend_365d": 500,
         "spend_prev_365d": 900, "last_contact_days": 300, "contacts_90d": 0, "contacts_prev_90d": 0},
    ]
    features = [
        {},
        {"usual_purchase_gap": np.nan, "share_of_wallet": 1.4, "share_of_wallet_change": -0.3,
         "share_of_wallet_z": np.nan, "price_rise": 0.08, "units_change": np.nan, "days_to_contract_end": np.nan,
         "contractual": 1},
        {"usual_purchase_gap": 25, "share_of_wallet": np.nan, "share_of_wallet_change": -0.2,
         "days_to_contract_end": 20, "renewal_inquired": 0, "contractual": 1, "usual_contact_gap": np.nan},
    ]
    contrib, X, prof = _frames(profiles, features, [everything] * 3)
    said = []
    for language in ("en", "zh"):
        e = explain(contrib, X, prof, language=language, top=20)
        items = [i for col in ("reasons", "changes", "causes") for row in e[col] for i in row]
        assert items and all("?" not in i["text"] and "？" not in i["text"] for i in items)
        # and said again in the other language from the stored values: still no "?"
        other = "zh" if language == "en" else "en"
        assert all("?" not in reword(i, other) for i in items)
        said += items
    # the half-known customers still get their causes said, without the missing figure
    codes = {i["code"] for i in said}
    assert {"complaint_open_plain", "complaint_past_plain", "satisfaction_low_plain", "region_complaints_plain",
            "renewal_silence_plain", "chain_plain", "price_rise", "wallet_elsewhere_plain", "unsubscribed",
            "returns", "contact_fewer", "recency_typical"} <= codes
    assert not any(math.isnan(v) for i in said for v in i["values"].values() if isinstance(v, float))


def test_every_cause_family_has_a_sentence_and_the_rest_are_changes() -> None:
    from churnguard.compute.predict.reasons import NOT_REASONS, SENTENCES

    said = set(FEATURES.values()) - set(NOT_REASONS)
    classified = set(CHANGE_FAMILIES) | set(CAUSE_FAMILY_ORDER)
    assert classified <= said and classified <= set(SENTENCES)
    assert not set(CHANGE_FAMILIES) & set(CAUSE_FAMILY_ORDER)
    assert set(FEATURE_COLUMNS) <= set(FEATURES)


def test_a_stored_flat_list_splits_into_the_two() -> None:
    items = [{"family": "recency", "code": "recency_plain", "text": "x", "values": {}, "contribution": 1.0},
             {"family": "complaint", "code": "complaint_past_plain", "text": "y", "values": {}, "contribution": 0.5}]
    changes, causes = split_reasons(items, "en")
    assert families(changes) == ["recency"] and families(causes) == ["complaint"]
    changes, causes = split_reasons(items[:1], "zh")
    assert causes[0]["text"] == "原因不明：建议回访"
    assert split_reasons([], "en") == ([], [])


def test_the_same_customers_in_any_row_order_get_the_same_reasons() -> None:
    profiles = [{"last_purchase_days": 80 + i, "last_satisfaction": 2, "last_survey_days": 10} for i in range(3)]
    features = [{"usual_purchase_gap": 20} for _ in range(3)]
    contrib, X, prof = _frames(profiles, features, [{"recency": 0.5, "satisfaction": 0.5}] * 3)
    a = explain(contrib, X, prof)
    b = explain(contrib.iloc[::-1], X.iloc[::-1], prof.iloc[::-1]).loc[a.index]
    assert a.to_dict() == b.to_dict()
    # equal contributions: the order is by family name, never by chance
    assert families(a.iloc[0]["reasons"]) == ["recency", "satisfaction"]
