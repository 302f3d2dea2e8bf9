"""The simulated phenomena are there, and the ground truth agrees with the records.

Thresholds are loose on purpose: the signals must be real but noisy. Each test would fail
if its mechanism were switched off.
"""

import numpy as np
import pandas as pd
import pytest

DAY = pd.Timedelta(days=1)


def test_complete_noncontractual_churner_buys_nothing_after_churned_at(sim, tx):
    t = sim.truth
    churners = t[t["churned"] & ~t["contractual"]].set_index("customer_id")
    assert len(churners) > 100
    all_tx = sim.tables["transactions"]
    last = all_tx.groupby("customer_id")["occurred_at"].max()
    last_sale = tx.groupby("customer_id")["occurred_at"].max()
    common = churners.index.intersection(last.index)
    assert (last[common] <= churners.loc[common, "churned_at"]).all()
    # churned_at is the last purchase: the day it stopped
    with_sales = churners.index.intersection(last_sale.index)
    assert (last_sale[with_sales] == churners.loc[with_sales, "churned_at"]).mean() > 0.95


def test_contractual_churner_last_contract_ends_at_churned_at_without_renewal(sim):
    t = sim.truth
    k = sim.tables["contracts"]
    churners = t[t["churned"] & t["contractual"]].set_index("customer_id")
    assert len(churners) > 20
    last = k.sort_values("start_at").groupby("customer_id").tail(1).set_index("customer_id")
    last = last.loc[churners.index]
    stop = last["cancelled_at"].fillna(last["end_at"])
    assert (stop == churners["churned_at"]).all()
    assert not last["contract_id"].isin(k["renewed_from"].dropna()).any()
    # no orders after the contract has ended
    tr = sim.tables["transactions"].merge(churners["churned_at"].reset_index(), on="customer_id")
    assert (tr["occurred_at"] <= tr["churned_at"]).all()


def test_contracts_renew_back_to_back_and_living_contractual_customers_hold_one(sim):
    k = sim.tables["contracts"]
    assert (k["end_at"] > k["start_at"]).all()
    # annual: from a date to the day before the same date a year later
    years = (k["end_at"] + DAY - k["start_at"]).dt.days
    assert years.between(365, 366).all()
    prev = k.set_index("contract_id")
    renewals = k.dropna(subset=["renewed_from"])
    assert len(renewals) > 100
    assert (renewals["start_at"].to_numpy() == (prev.loc[renewals["renewed_from"], "end_at"] + DAY).to_numpy()).all()
    assert (renewals["customer_id"].to_numpy() == prev.loc[renewals["renewed_from"], "customer_id"].to_numpy()).all()
    t = sim.truth
    living = t[t["contractual"] & ~t["churned"]]["customer_id"]
    end = pd.Timestamp(sim.end)
    running = k[(k["start_at"] <= end) & (k["end_at"] >= end)]["customer_id"]
    living_acquired = living[t.set_index("customer_id").loc[living, "acquired_at"].to_numpy() <= end]
    assert set(living_acquired) <= set(running)
    assert k["cancelled_at"].notna().sum() > 0


def test_renewal_inquiries_come_from_renewers(sim):
    k = sim.tables["contracts"]
    i = sim.tables["interactions"]
    inq = i[i["kind"] == "renewal_inquiry"][["customer_id", "occurred_at"]]
    start, end = pd.Timestamp(sim.start), pd.Timestamp(sim.end)
    ending = k[(k["end_at"] >= start + 90 * DAY) & (k["end_at"] <= end - 60 * DAY)].copy()
    ending["renewed"] = ending["contract_id"].isin(k["renewed_from"].dropna())
    m = ending.merge(inq, on="customer_id", how="left")
    days_before = (m["end_at"] - m["occurred_at"]).dt.days
    m["asked"] = days_before.between(30, 60)
    asked = m.groupby(["contract_id", "renewed"])["asked"].any().reset_index()
    rate = asked.groupby("renewed")["asked"].mean()
    assert rate[True] > 0.7
    assert rate[False] < 0.3


def test_partial_defectors_keep_buying_but_spend_less(sim, tx):
    t = sim.truth
    start, end = pd.Timestamp(sim.start), pd.Timestamp(sim.end)
    p = t[(t["churn_kind"] == "partial") & (t["partial_from"] >= start + 150 * DAY) & (t["partial_from"] <= end - 120 * DAY)]
    assert len(p) >= 20
    d = tx[tx["customer_id"].isin(p["customer_id"])]
    before = d[d["occurred_at"] < d["partial_from"]]
    after = d[d["occurred_at"] >= d["partial_from"]]
    # per-day spend before (since max(start, acquired)) and after partial_from
    pf = p.set_index("customer_id")
    t0 = pf["acquired_at"].clip(lower=start)
    days_before = (pf["partial_from"] - t0).dt.days.clip(lower=1)
    days_after = (end - pf["partial_from"]).dt.days + 1
    sb = before.groupby("customer_id")["amount"].sum().reindex(pf.index, fill_value=0) / days_before
    sa = after.groupby("customer_id")["amount"].sum().reindex(pf.index, fill_value=0) / days_after
    # frequent buyers, so that a quiet spell after partial_from is not just chance
    orders_before = before.groupby("customer_id")["order_id"].nunique().reindex(pf.index, fill_value=0)
    orders_before_per_year = orders_before / days_before * 365
    buyers = sb[(orders_before >= 3) & (orders_before_per_year >= 5)].index
    assert len(buyers) >= 10
    # they keep buying: most order again, and at a clearly non-zero share of their old pace
    orders_after = after.groupby("customer_id")["order_id"].nunique().reindex(buyers, fill_value=0)
    assert (orders_after > 0).mean() > 0.65
    pace = orders_after.sum() / (orders_before[buyers] / days_before[buyers] * days_after[buyers]).sum()
    assert 0.3 < pace < 1.0
    ratio = sa[buyers] / sb[buyers]
    assert ratio.median() < 0.75
    assert sa[buyers].sum() / sb[buyers].sum() < 0.75


def test_share_of_wallet_falls_for_partial_defectors(sim, tx):
    w = sim.tables["wallet-estimates"]
    t = sim.truth.set_index("customer_id")
    q = tx.assign(period_start=tx["occurred_at"].dt.to_period("Q").dt.start_time)
    spend = q.groupby(["customer_id", "period_start"])["amount"].sum()
    m = w.set_index(["customer_id", "period_start"]).join(spend).fillna({"amount": 0.0})
    m["share"] = m["amount"] / m["estimated_total_spend"]
    m = m.reset_index()
    m["partial_from"] = t.loc[m["customer_id"], "partial_from"].to_numpy()
    m["kind"] = t.loc[m["customer_id"], "churn_kind"].to_numpy()
    part = m[m["kind"] == "partial"]
    before = part[part["period_start"] + pd.DateOffset(months=3) <= part["partial_from"]]
    after = part[part["period_start"] > part["partial_from"]]
    assert len(before) > 20 and len(after) > 20

    def share(d: pd.DataFrame) -> pd.Series:
        g = d.groupby("customer_id")[["amount", "estimated_total_spend"]].sum()
        return g["amount"] / g["estimated_total_spend"]

    sb, sa = share(before), share(after)
    both = sb.index.intersection(sa.index)
    assert len(both) >= 10
    assert (sa[both] / sb[both]).median() < 0.75
    # the wallet itself does not fall: the customer buys the rest elsewhere
    wb = before.groupby("customer_id")["estimated_total_spend"].mean()
    wa = after.groupby("customer_id")["estimated_total_spend"].mean()
    assert 0.8 < (wa[both] / wb[both]).median() < 1.3
    # customers that stay loyal give us most, not all, of their wallet
    assert 0.5 < share(m[m["kind"] == "none"]).median() < 1.0


def test_price_rise_cuts_units_of_price_sensitive_while_revenue_holds(sim, tx):
    rise = pd.Timestamp(sim.events["price_rise_at"])
    end = pd.Timestamp(sim.end)
    assert (end - rise).days == pytest.approx(8 * 30.4, abs=20)
    # customers that stayed, compared with themselves: units and money per order line
    # (per line, so that seasonality and the number of orders do not enter; geometric means,
    # so that a rare expensive product does not swamp a customer's average)
    stayers = tx[(tx["churn_kind"] == "none") & (tx["acquired_at"] < rise - pd.Timedelta(days=90))]
    d = stayers.assign(after=stayers["occurred_at"] >= rise, lq=np.log(stayers["quantity"]), la=np.log(stayers["amount"]))
    per = d.groupby(["customer_id", "after"]).agg(units=("lq", "mean"), revenue=("la", "mean")).unstack()
    per = per.dropna()
    units = np.exp(per[("units", True)] - per[("units", False)])
    revenue = np.exp(per[("revenue", True)] - per[("revenue", False)])
    sensitive = d.groupby("customer_id")["price_sensitive"].first().loc[per.index]
    assert sensitive.sum() > 100
    su, sr = units[sensitive].median(), revenue[sensitive].median()
    ou, orr = units[~sensitive].median(), revenue[~sensitive].median()
    assert su < 0.93 * ou  # sensitive customers buy clearly fewer units …
    assert sr - su > 0.06  # … at higher prices,
    assert abs(np.log(sr)) < abs(np.log(su))  # so their money changes far less than their units
    assert orr > 1.05  # the others pay the rise in full: revenue up, units flat
    assert 0.93 < ou < 1.07
    up = tx.groupby(tx["occurred_at"] >= rise)["unit_price"].median()
    prices = tx.groupby(["product", tx["occurred_at"] >= rise])["unit_price"].median().unstack()
    assert ((prices[True] / prices[False]).between(1.05, 1.2)).all()
    assert up[True] > up[False]
    # price-sensitive customers leave for price more often than others
    t = sim.truth
    left_price = t[t["churn_reason"] == "price"]
    assert left_price["price_sensitive"].mean() > 0.8


def test_complaints_are_rare_among_the_dissatisfied(sim):
    h = sim.hidden
    c = sim.tables["complaints"]
    unhappy = set(h.loc[h["dissatisfied_ever"], "customer_id"])
    assert len(unhappy) > 300
    complained = set(c["customer_id"]) & unhappy
    share = len(complained) / len(unhappy)
    assert 0.005 < share < 0.10
    assert c["resolved_at"].notna().mean() > 0.5 and c["resolved_at"].isna().any()
    resolved = c.dropna(subset=["resolved_at"])
    assert (resolved["resolved_at"] >= resolved["opened_at"]).all()
    assert (c["resolution"].notna() == c["resolved_at"].notna()).all()


def test_dissatisfaction_raises_churn_and_shows_in_surveys(sim):
    t = sim.truth.merge(sim.hidden[["customer_id", "min_satisfaction"]], on="customer_id")
    unhappy = t["min_satisfaction"] < 2.5
    happy = t["min_satisfaction"] >= 3.0
    assert unhappy.sum() > 100
    assert t.loc[unhappy, "churned"].mean() > 1.5 * t.loc[happy, "churned"].mean()
    assert (t["churn_reason"] == "service").sum() > 20
    # survey answers carry hidden satisfaction: those who leave over service answered worse
    s = sim.tables["surveys"].merge(sim.truth[["customer_id", "churn_reason"]], on="customer_id")
    service = s["churn_reason"] == "service"
    assert service.sum() > 20
    assert s.loc[service, "satisfaction"].mean() < s.loc[~service, "satisfaction"].mean() - 0.2
    assert np.corrcoef(s["satisfaction"], s["nps"])[0, 1] > 0.4


def test_promotion_window_causes_defections(sim):
    lo, hi = (pd.Timestamp(d) for d in sim.events["promo_window"])
    t = sim.truth.merge(sim.hidden[["customer_id", "decided_at"]], on="customer_id")
    promo = t[t["churn_reason"] == "promotion"]
    assert (promo["churn_kind"] == "complete").sum() > 10 and (promo["churn_kind"] == "partial").sum() > 10
    partial = promo[promo["churn_kind"] == "partial"]
    assert partial["partial_from"].between(lo, hi).all()
    started = promo["decided_at"].fillna(promo["partial_from"])
    assert (started.between(lo, hi + pd.Timedelta(days=240))).all()  # in the window, or a chain after it


def test_contact_fades_before_churn(sim):
    t = sim.truth
    i = sim.tables["interactions"]
    i = i[~i["kind"].isin(["renewal_inquiry", "unsubscribe"])]
    start = pd.Timestamp(sim.start)

    def ratio(anchor: pd.Series) -> float:
        a = i.merge(anchor.rename("anchor").reset_index(), on="customer_id")
        age = (a["anchor"] - a["occurred_at"]).dt.days
        recent = ((age >= 0) & (age < 60)).groupby(a["customer_id"]).sum() / 60
        earlier = ((age >= 180) & (age < 300)).groupby(a["customer_id"]).sum() / 120
        return recent.sum() / earlier.sum()

    c = t[t["churned"] & (t["churned_at"] >= start + 330 * DAY) & (t["acquired_at"] <= start)]
    assert len(c) > 50
    ch = ratio(c.set_index("customer_id")["churned_at"])
    living = t[(t["churn_kind"] == "none") & (t["acquired_at"] <= start)].set_index("customer_id")
    anchor = pd.Series(pd.Timestamp(sim.end) - 30 * DAY, index=living.index)
    base = ratio(anchor)
    assert ch < 0.7
    assert base > 0.85
    every = sim.tables["interactions"]
    unsub = every[every["kind"] == "unsubscribe"]["customer_id"]
    assert t.set_index("customer_id").loc[unsub.unique(), "churned"].mean() > t["churned"].mean() * 1.5


def test_churners_pay_late_more_often(sim):
    tr = sim.tables["transactions"].dropna(subset=["due_at"])
    tr = tr[tr["due_at"] > tr["occurred_at"]].merge(sim.truth, on="customer_id")
    tr = tr.dropna(subset=["paid_at"])
    late = tr["paid_at"] > tr["due_at"]
    near = tr["churned"] & ((tr["churned_at"] - tr["occurred_at"]).dt.days <= 120)
    assert late[near].mean() > 1.5 * late[~tr["churned"]].mean()
    assert 0.03 < late[~tr["churned"]].mean() < 0.3


def test_chain_defection_follows_group_members(sim):
    h = sim.hidden.merge(sim.truth, on="customer_id").merge(sim.tables["customers"][["customer_id", "group_id"]], on="customer_id")
    followers = h.dropna(subset=["chain_from"])
    assert len(followers) >= 3
    lead = h.set_index("customer_id").loc[followers["chain_from"]]
    assert (lead["group_id"].to_numpy() == followers["group_id"].to_numpy()).all()
    assert (followers["decided_at"].to_numpy() > lead["decided_at"].to_numpy()).all()
    # the follower takes its leader's reason (documented choice)
    assert (lead["decided_reason"].to_numpy() == followers["decided_reason"].to_numpy()).all()
    assert set(followers["decided_reason"]) <= {"price", "product", "service", "promotion", "technology"}
    grouped = h.dropna(subset=["group_id"])
    assert grouped["churned"].mean() > h[h["group_id"].isna()]["churned"].mean()


def test_interviews_are_informative_but_imperfect(sim):
    r = sim.tables["churn-reasons"].merge(sim.truth, on="customer_id")
    assert len(r) > 50
    agree = (r["reason"] == r["churn_reason"]).mean()
    assert 0.5 < agree < 0.95
    assert ((r["kind"] == "complete") == r["churned"]).all()
    assert (r["recorded_at"] > r["churned_at"].fillna(r["partial_from"])).all()


def test_purchase_rates_are_heterogeneous_and_seasonal(sim, tx):
    start, end = pd.Timestamp(sim.start), pd.Timestamp(sim.end)
    t = sim.truth
    stayers = t[(t["churn_kind"] == "none") & (t["acquired_at"] < start)]["customer_id"]
    orders = tx[tx["customer_id"].isin(stayers)].groupby("customer_id")["order_id"].nunique().reindex(stayers, fill_value=0)
    assert orders.var() > 2 * orders.mean()  # overdispersed: gamma-mixed rates, not one Poisson
    key = sim.tables["customers"].set_index("customer_id")["customer_type"] == "key"
    per = tx.groupby("customer_id")["amount"].sum()
    assert per[key[per.index]].median() > 3 * per[~key[per.index]].median()
    daily = tx.groupby("occurred_at")["order_id"].nunique().reindex(pd.date_range(start, end), fill_value=0)
    q4 = daily[daily.index.quarter == 4].mean()
    q3 = daily[daily.index.quarter == 3].mean()
    assert q4 > 1.1 * q3
    cny = pd.Timestamp(sim.events["chinese_new_year"][0])
    holiday = daily[cny - 3 * DAY : cny + 7 * DAY].mean()
    assert holiday < 0.6 * daily.mean()
    lines = tx.groupby("order_id").size()
    assert lines.max() > 1  # multi-line orders
    r = sim.tables["transactions"]
    assert 0.003 < (r["amount"] < 0).mean() < 0.05
    assert np.allclose(r["amount"], (r["quantity"] * r["unit_price"]).round(2), atol=0.011)
    assert (r.loc[r["amount"] > 0, "cost"] < r.loc[r["amount"] > 0, "amount"]).mean() > 0.95
