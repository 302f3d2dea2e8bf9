"""Complete and partial defectors on hand-built customers, each with its evidence."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from detect_rows import D, contract, days, put, tx

from churnguard.compute.detect import (
    Records,
    customer_profile,
    dropped_categories,
    find_defectors,
    seasonal_index,
)
from churnguard.compute.detect.defectors import holm

AS_OF = D("2024-12-31")


def steady(cid, amount=100.0, every=7, start="2023-01-02", stop="2024-12-31", category="A"):
    out = []
    for d in days(start, *range(0, 800, every)):
        if d <= D(stop):
            out.append(tx(cid, d, amount, category=category, quantity=1.0))
    return out


def detect(ws, settings):
    r = Records.from_store(ws.store)
    prof = customer_profile(r, settings, AS_OF)
    idx = seasonal_index(r, settings.churn, AS_OF, 545)
    dropped = dropped_categories(r, AS_OF, settings.detect.partial_recent_days, settings.detect.partial_baseline_days)
    return find_defectors(prof, settings, index=idx, dropped=dropped).set_index("customer_id")


def test_partial_complete_and_loyal_customers(ws, settings):
    rows = steady("loyal") + steady("other")
    # buys weekly, then from July every third week with smaller orders
    rows += steady("shrinking", stop="2024-07-01")
    rows += [tx("shrinking", d, 40.0, category="A", quantity=1.0) for d in days("2024-07-08", *range(0, 180, 21))]
    rows += steady("gone", stop="2024-08-01")
    put(ws, transactions=rows, contracts=[contract("k1", "ended", "2023-06-01", "2024-05-31")])
    found = detect(ws, settings)
    assert set(found.index) == {"shrinking", "gone", "ended"}
    assert found.loc["gone", "kind"] == "complete" and found.loc["gone", "rules"] == "inactive"
    assert found.loc["ended", "rules"] == "contract_ended"
    assert found.loc["ended", "evidence"][0]["text"] == "contract ended on 2024-05-31 without renewal"
    assert found.loc["gone", "evidence"][0]["text"] == "no purchase for 155 days (threshold 90; usually every 7 days)"
    assert found.loc["shrinking", "kind"] == "partial"
    assert "spend" in found.loc["shrinking", "rules"] and "frequency" in found.loc["shrinking", "rules"]
    spend = next(e for e in found.loc["shrinking", "evidence"] if e["code"] == "spend_down")
    assert spend["values"]["drop"] > 0.7 and spend["values"]["z"] > 2.5
    assert spend["text"].startswith("spend ")


def test_a_big_irregular_buyer_needs_a_bigger_drop(ws, settings):
    rng = np.random.default_rng(3)
    rows = []
    for i, d in enumerate(days("2023-07-03", *range(0, 540, 21))):
        # a few huge orders among small ones: the recent window happens to lack the huge ones
        amount = 5000.0 if i % 8 == 0 and d < D("2024-07-01") else float(rng.uniform(50, 150))
        rows.append(tx("lumpy", d, amount))
    put(ws, transactions=rows)
    found = detect(ws, settings)
    assert "lumpy" not in found.index


def test_stopped_buying_a_category(ws, settings):
    rows = steady("narrow", category="A") + steady("narrow", start="2023-01-03", category="B", stop="2024-06-30")
    rows += steady("narrow", start="2024-07-02", category="A", every=7)
    put(ws, transactions=rows)
    found = detect(ws, settings)
    assert found.loc["narrow", "kind"] == "partial"
    ev = [e for e in found.loc["narrow", "evidence"] if e["code"] == "breadth_down"]
    assert ev and ev[0]["values"]["category"] == "B"


def test_share_of_wallet_where_estimates_exist(ws, settings):
    rows = steady("w", stop="2024-06-30") + [tx("w", d, 30.0) for d in days("2024-07-01", *range(0, 180, 7))]
    wallet = [{"customer_id": "w", "period_start": D(q), "estimated_total_spend": 2600.0}
              for q in ("2023-07-01", "2023-10-01", "2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01")]
    put(ws, transactions=rows, wallet_estimates=wallet)
    found = detect(ws, settings)
    assert "share_of_wallet" in found.loc["w", "rules"]
    sow = next(e for e in found.loc["w", "evidence"] if e["code"] == "share_of_wallet")
    assert sow["values"]["before"] > 0.4 and sow["values"]["after"] < 0.2
    assert "share of wallet fell from" in sow["text"]


def test_a_wallet_smaller_than_what_we_sold_is_not_a_share_of_wallet(ws, settings):
    # estimates of 600 a quarter for a customer who bought 1,300 a quarter from us: a "share of
    # wallet" of 217% says the estimates are wrong for it, so it is judged by its spend
    rows = steady("over", stop="2024-06-30") + [tx("over", d, 40.0) for d in days("2024-07-01", *range(0, 180, 7))]
    wallet = [{"customer_id": "over", "period_start": D(q), "estimated_total_spend": 600.0}
              for q in ("2023-07-01", "2023-10-01", "2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01")]
    put(ws, transactions=rows + steady("loyal") + steady("other"), wallet_estimates=wallet)
    found = detect(ws, settings)
    assert found.loc["over", "rules"].split(",")[0] == "spend"
    assert all(e["code"] != "share_of_wallet" for e in found.loc["over", "evidence"])


def test_a_new_customer_is_not_a_defector_for_its_first_order(ws, settings):
    # First order a few days into the baseline window (the recent window starts 2024-07-05),
    # then a steady monthly buyer. Counting the first order in a 5-day baseline made it look
    # like a customer who bought at a huge rate and then dropped by 99%.
    rows = [tx("new", D("2024-06-30"), 500.0, quantity=1.0)]
    rows += [tx("new", d, 500.0, quantity=1.0) for d in days("2024-07-30", *range(0, 150, 30))]
    put(ws, transactions=rows + steady("loyal"))
    found = detect(ws, settings)
    assert "new" not in found.index


def test_a_category_dropped_by_chance_is_not_a_defection(ws, settings):
    # 7 of 12 baseline lines were B and none of the 5 recent ones: under an unchanged mix the
    # chance is C(12, 7) / C(17, 7) = 4%, not the plug-in (5/12)^5 = 1.3% (Bonferroni over two
    # categories: not below the z = 2 cut of 2.3%)
    rows = []
    for i, d in enumerate(days("2023-07-10", *range(0, 360, 30))):
        rows.append(tx("mixed", d, 100.0, category="B" if i < 7 else "A", quantity=1.0))
    rows += [tx("mixed", d, 100.0, category="A", quantity=1.0) for d in days("2024-07-10", *range(0, 150, 30))]
    put(ws, transactions=rows + steady("loyal"))
    r = Records.from_store(ws.store)
    dropped = dropped_categories(r, AS_OF, settings.detect.partial_recent_days, settings.detect.partial_baseline_days)
    (row,) = dropped.to_dict("records")
    assert (row["lines_c_b"], row["lines_b"], row["lines_r"]) == (7, 12, 5)
    assert abs(row["p_zero"] - 792 / 19448) < 1e-9
    assert "mixed" not in detect(ws, settings).index


def test_a_partial_defection_the_team_recorded_is_listed_with_what_they_wrote(ws, settings):
    """A churn-reasons row of kind partial, recorded within detect.partial_recorded_days, makes a
    still-buying customer a partial defector; an old one, one of kind complete, one recorded after
    the date, or one for a customer already lost completely does not."""
    rows = steady("told") + steady("told_long_ago") + steady("complete_kind") + steady("later") + steady("loyal")
    rows += steady("gone", stop="2024-08-01")
    reasons = [
        {"customer_id": "told", "recorded_at": D("2024-11-01"), "reason": "price", "kind": "partial",
         "competitor": "华南供应链"},
        {"customer_id": "told_long_ago", "recorded_at": D("2023-10-01"), "reason": "service", "kind": "partial"},
        {"customer_id": "complete_kind", "recorded_at": D("2024-11-01"), "reason": "service", "kind": "complete"},
        {"customer_id": "later", "recorded_at": D("2025-01-15"), "reason": "price", "kind": "partial"},
        {"customer_id": "gone", "recorded_at": D("2024-10-01"), "reason": "promotion", "kind": "partial"},
    ]
    put(ws, transactions=rows, churn_reasons=reasons)
    found = detect(ws, settings)
    assert set(found.index) == {"told", "gone"}
    assert found.loc["gone", "kind"] == "complete"
    assert found.loc["told", "kind"] == "partial" and found.loc["told", "rules"] == "recorded"
    (ev,) = found.loc["told", "evidence"]
    assert ev["text"] == "your team recorded a partial defection 60 days ago (2024-11-01): price, to 华南供应链"
    settings.language = "zh"
    zh = find_defectors(customer_profile(Records.from_store(ws.store), settings, AS_OF), settings,
                        index=seasonal_index(Records.from_store(ws.store), settings.churn, AS_OF, 545), language="zh")
    text = zh.set_index("customer_id").loc["told", "evidence"][0]["text"]
    assert text == "团队于 60 天前（2024-11-01）记录为部分跳槽：价格，转向 华南供应链"
    settings.detect.partial_recorded_days = 0  # the rule switched off
    assert "told" not in detect(ws, settings).index


def test_holm_judges_a_customers_tests_together():
    """Holm (1979), Scand. J. Statist. 6, 65-70: the i-th smallest of m p-values is compared with
    alpha / (m - i + 1), stopping at the first that is larger (the cut-offs worked by hand)."""
    nan = np.nan
    p = np.array([
        [0.01, 0.04, nan],    # m = 2: 0.01 <= 0.025, then 0.04 <= 0.05: both
        [0.02, 0.03, 0.04],   # m = 3: 0.02 > 0.0167: none (each alone would pass at 0.05)
        [0.001, 0.5, 0.02],   # 0.001 <= 0.0167, 0.02 <= 0.025, 0.5 > 0.05
        [nan, nan, nan],      # not judged
        [0.04, nan, nan],     # one test: its own level
    ])
    got = holm(p, 0.05)
    assert got.tolist() == [[True, True, False], [False, False, False], [True, False, True],
                            [False, False, False], [True, False, False]]


def weekly_buyers(rng, n_half: int, n_steady: int, half_days: int = 150) -> list[dict]:
    """Customers buying about weekly (a week skipped one time in ten) at lognormal amounts
    around 100 from 2023-07-03; the first ``n_half`` spend half as much per order over their last
    ``half_days`` days."""
    rows = []
    start = D("2023-07-03")
    weeks = (AS_OF - start).days // 7 + 1
    for i in range(n_half + n_steady):
        cid = f"{'half' if i < n_half else 'steady'}{i:03d}"
        for w in range(weeks):
            if rng.random() < 0.1:
                continue
            day = start + timedelta(days=7 * w + int(rng.integers(0, 3)))
            if day > AS_OF:
                continue
            amount = 100.0 * float(rng.lognormal(-0.045, 0.3))
            if i < n_half and (AS_OF - day).days < half_days:
                amount /= 2
            rows.append(tx(cid, day, round(amount, 2), category="A", quantity=1.0))
    return rows


def test_frequent_buyers_spending_half_are_found_and_steady_ones_rarely(workspace, settings):
    rng = np.random.default_rng(11)
    put(workspace, transactions=weekly_buyers(rng, n_half=40, n_steady=200))
    found = detect(workspace, settings)
    partial = found[found["kind"] == "partial"]
    half = partial.index.str.startswith("half")
    assert half.sum() / 40 > 0.5  # most of them
    assert all("spend" in r for r in partial.loc[half, "rules"])
    alpha = settings.detect.partial_alpha
    # false alarms among the steady: at most the family-wise level, with binomial slack
    assert (~half).sum() <= alpha * 200 + 2 * np.sqrt(200 * alpha * (1 - alpha))


def test_steady_irregular_buyers_are_listed_at_most_at_the_nominal_level(workspace, settings):
    # no minimum drop: the tests alone decide; 300 customers buying at random (Poisson, about
    # every three weeks, amounts lognormal) with nothing changed: each is listed with chance
    # at most alpha whichever of its tests fires
    settings.detect.partial_min_drop = 0.0
    rng = np.random.default_rng(5)
    rows = []
    start = D("2023-01-02")
    for i in range(300):
        n_days = (AS_OF - start).days + 1
        bought = np.flatnonzero(rng.random(n_days) < 1 / 21)
        for d in bought:
            rows.append(tx(f"c{i:03d}", start + timedelta(days=int(d)), round(100 * float(rng.lognormal(0, 0.5)), 2),
                           category=str(rng.choice(["A", "B", "C"], p=[0.6, 0.3, 0.1])), quantity=1.0))
    put(workspace, transactions=rows)
    found = detect(workspace, settings)
    listed = int((found["kind"] == "partial").sum())
    alpha = settings.detect.partial_alpha
    assert listed <= alpha * 300 + 2 * np.sqrt(300 * alpha * (1 - alpha))
