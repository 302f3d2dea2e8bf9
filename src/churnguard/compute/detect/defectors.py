"""Complete defectors (完全跳槽) and partial defectors (部分跳槽) as of a date, with their evidence.

Complete
    The churn definition says the customer is lost (a contract ended or was cancelled without
    renewal; a non-contractual customer's gap since its last purchase reached the threshold),
    or, for a non-contractual customer still inside the threshold, the BG/NBD probability that
    it is still a customer is below ``detect.p_alive_below``.
Partial
    Still a customer, but buying clearly less than its own baseline: its share of wallet fell
    (where wallet estimates exist; otherwise its seasonally adjusted spend), its purchase
    frequency fell, or it stopped buying a category it used to buy regularly — or the team
    recorded a partial defection (a churn-reasons row of kind partial) within
    ``detect.partial_recorded_days``. Each test
    accounts for the customer's own variability (:mod:`churnguard.compute.detect.trends`). A
    customer's tests are judged together, so that one whose buying did not change is listed
    with a chance of at most ``detect.partial_alpha``: Holm's step-down across its spend (or
    share of wallet), order-size, frequency and dropped-category tests, Bonferroni over the
    categories (:func:`holm`). A drop must also be at least ``detect.partial_min_drop`` of the baseline,
    and only customers with at least ``detect.partial_min_orders`` purchase days in the two
    windows are judged. A share of wallet
    above 100% in the baseline means the wallet estimates are below what the customer bought
    from us; such a customer is judged by its spend instead.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from churnguard.compute.detect.profile import safe_ratio
from churnguard.compute.detect.status import CONTRACTUAL
from churnguard.compute.detect.trends import SeasonalIndex, compound_poisson_z, order_count_z, order_size_z
from churnguard.compute.detect.words import fmt_share, say
from churnguard.settings import Settings

DEFECTOR_COLUMNS = (
    "customer_id", "kind", "rules", "lost_at", "last_purchase_at", "days_since_last_purchase",
    "relationship", "segment", "customer_type", "csm", "spend_365d", "evidence",
)


def usual_gap_days(profile: pd.DataFrame) -> pd.Series:
    """Mean days between purchase days over the customer's history (NaN with fewer than two)."""
    span = profile["first_purchase_days"] - profile["last_purchase_days"]
    n = profile["orders_total"]
    return pd.Series(safe_ratio(span, n - 1), index=profile.index)


def btyd_summary(profile: pd.DataFrame) -> pd.DataFrame:
    """``frequency, recency, T`` in days (literature meaning) for customers with a purchase."""
    has = profile["orders_total"] > 0
    p = profile[has]
    return pd.DataFrame(
        {
            "frequency": p["orders_total"] - 1,
            "recency": p["first_purchase_days"] - p["last_purchase_days"],
            "T": p["first_purchase_days"],
        },
        index=p.index,
    )


def partial_tests(profile: pd.DataFrame, index: SeasonalIndex, settings: Settings) -> pd.DataFrame:
    """The partial-defection test statistics of every customer (one row per customer).

    Columns: ``expected_orders`` (recent orders the baseline predicts), ``spend_z``,
    ``spend_drop``, ``spend_rate_r``, ``spend_rate_b`` (per 30.44 seasonally weighted days),
    ``freq_z``, ``freq_drop``, ``size_z``, ``size_drop``, ``order_size_r``, ``order_size_b``
    (the mean order, seasonally adjusted), ``sow_r``, ``sow_b``, ``sow_z``, ``sow_drop``,
    ``has_wallet``.
    """
    det = settings.detect
    rec, base = det.partial_recent_days, det.partial_baseline_days
    # the baseline starts the day after the first purchase when the customer is younger than the
    # window (the first purchase itself is left out of the window sums: see profile.py)
    oldest = np.minimum(rec + base, profile["first_purchase_days"].fillna(0).to_numpy())
    e_r = index.exposure(0, rec)
    e_b = index.exposure(rec, oldest)
    eo_r = index.exposure(0, rec, orders=True)
    eo_b = index.exposure(rec, oldest, orders=True)
    out = pd.DataFrame(index=profile.index)
    spend_z, spend_drop = compound_poisson_z(profile["p_spend_r"], e_r, profile["p_spend_b"], e_b, profile["p_sumsq"])
    out["spend_z"], out["spend_drop"] = spend_z, spend_drop
    month = 30.44
    out["spend_rate_r"] = safe_ratio(profile["p_spend_r"], e_r) * month
    out["spend_rate_b"] = safe_ratio(profile["p_spend_b"], e_b) * month
    freq_z, freq_drop, expected = order_count_z(profile["p_orders_r"], eo_r, profile["p_orders_b"], eo_b)
    out["freq_z"], out["freq_drop"], out["expected_orders"] = freq_z, freq_drop, expected
    # the size of the orders, given their number: seasonal order-size factors = spend / order exposure
    size_r, size_b = safe_ratio(e_r, eo_r), safe_ratio(e_b, eo_b)
    size_z, size_drop = order_size_z(profile["p_spend_r"], profile["p_orders_r"], profile["p_spend_b"],
                                     profile["p_orders_b"], profile["p_sumsq"], size_r, size_b)
    out["size_z"], out["size_drop"] = size_z, size_drop
    out["order_size_r"] = safe_ratio(profile["p_spend_r"], profile["p_orders_r"] * size_r)
    out["order_size_b"] = safe_ratio(profile["p_spend_b"], profile["p_orders_b"] * size_b)
    out["baseline_days"] = oldest - rec
    has_wallet = (profile.get("w_quarters_r", 0) >= 1) & (profile.get("w_quarters_b", 0) >= 2)
    if "wallet_r" in profile:
        sow_z, sow_drop = compound_poisson_z(
            profile["w_spend_r"], profile["wallet_r"], profile["w_spend_b"], profile["wallet_b"], profile["w_sumsq"]
        )
        out["sow_r"] = safe_ratio(profile["w_spend_r"], profile["wallet_r"])
        out["sow_b"] = safe_ratio(profile["w_spend_b"], profile["wallet_b"])
        # bought more from us than the estimated whole wallet: the estimates do not describe this
        # customer (in the 20,000-customer demo 11 of the 12 share-of-wallet names were such, 1 true)
        has_wallet = has_wallet & (out["sow_b"] <= 1.0)
        out["sow_z"] = np.where(has_wallet, sow_z, np.nan)
        out["sow_drop"] = np.where(has_wallet, sow_drop, np.nan)
    else:
        for c in ("sow_r", "sow_b", "sow_z", "sow_drop"):
            out[c] = np.nan
    out["has_wallet"] = has_wallet
    return out


def complete_defectors(profile: pd.DataFrame, settings: Settings, p_alive: pd.Series | None,
                       language: str) -> pd.DataFrame:
    """Complete defectors with their evidence; see the module docstring."""
    usual = usual_gap_days(profile)
    lost = profile["lost"].to_numpy()
    cols = ["relationship", "covered_until", "contract_cancelled_at", "last_purchase_days", "threshold_days", "lost_at"]
    p = profile.loc[lost, cols].assign(usual=usual[lost])
    rows = []
    # plain tuples: hundreds of thousands of lost customers on a large base
    for cid, rel, cover, cancelled, days, thr, lost_at, gap in p.itertuples(name=None):
        if rel == CONTRACTUAL:
            ended = cover.date().isoformat()
            rule = "contract_cancelled" if pd.notna(cancelled) and cancelled == cover else "contract_ended"
            ev = say(rule, language, {"ended": ended})
        else:
            rule = "inactive"
            if np.isfinite(gap):
                ev = say("inactive", language, {"days": days, "threshold": thr, "usual": gap})
            else:
                ev = say("inactive_no_usual", language, {"days": days, "threshold": thr})
        rows.append((cid, rule, lost_at, [ev]))
    if p_alive is not None and settings.detect.p_alive_below > 0:
        pa = p_alive.reindex(profile.index)
        low = ~profile["lost"] & (profile["relationship"] != CONTRACTUAL) & (pa < settings.detect.p_alive_below)
        q = profile.loc[low, ["orders_total", "last_purchase_days"]].assign(p=pa[low])
        for cid, orders, days, prob in q.itertuples(name=None):
            ev = say("p_alive", language, {"p_alive": float(prob), "orders": orders, "days": days},
                     p_alive=fmt_share(prob))
            rows.append((cid, "p_alive", pd.NaT, [ev]))
    frame = pd.DataFrame(rows, columns=["customer_id", "rules", "lost_at", "evidence"])
    frame["kind"] = "complete"
    return frame


def holm(pvalues: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down rejections, row by row: ``pvalues`` is (customers × tests), NaN = not tested.

    A row's tests are sorted by p-value; the i-th smallest (from 0) is rejected while every one
    up to it is at most ``alpha / (m - i)``, ``m`` the row's tests. The chance of rejecting any
    true null of a row is at most ``alpha`` whatever the dependence between its tests.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
    Journal of Statistics* 6(2), 65–70.
    """
    p = np.asarray(pvalues, dtype="float64")
    if p.ndim != 2 or not p.size:
        return np.zeros(p.shape, dtype=bool)
    m = np.isfinite(p).sum(axis=1, keepdims=True)
    order = np.argsort(np.where(np.isfinite(p), p, np.inf), axis=1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=1)
    step = np.arange(p.shape[1])[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.isfinite(sorted_p) & (sorted_p <= alpha / np.maximum(m - step, 1))
    ok = np.cumprod(ok, axis=1).astype(bool)  # stop at the first test not rejected
    out = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(out, order, ok, axis=1)
    return out


def partial_defectors(profile: pd.DataFrame, tests: pd.DataFrame, dropped: pd.DataFrame | None,
                      settings: Settings, exclude: pd.Index, language: str) -> pd.DataFrame:
    """Partial defectors among customers not in ``exclude`` (the complete defectors).

    A customer's tests — its spend (or share of wallet), the size of its orders, its purchase
    frequency and the categories it could have dropped — are judged together at the
    family-wise level ``detect.partial_alpha`` (Holm's step-down across the four, Bonferroni
    over the categories), so a customer whose buying did not change is listed with at most
    that chance.
    """
    det = settings.detect
    alpha = det.partial_alpha
    alive = ~profile.index.isin(exclude) & ~profile["lost"].to_numpy()
    t = tests[alive]
    # judged on both windows together: selecting on the baseline alone would pick customers
    # whose baseline was high by chance, and they "drop" back to their mean
    n_orders = profile.loc[t.index, "p_orders_r"] + profile.loc[t.index, "p_orders_b"]
    judged = (n_orders >= det.partial_min_orders).to_numpy()
    big = det.partial_min_drop
    wallet = t["has_wallet"].to_numpy(dtype=bool)
    # one-sided p-values (NaN: not tested); the amount is judged as share of wallet where the
    # customer has wallet estimates, else as spend: one test either way
    p_amount = np.where(wallet, stats.norm.cdf(t["sow_z"].to_numpy(dtype="float64")),
                        stats.norm.cdf(t["spend_z"].to_numpy(dtype="float64")))
    p_freq = stats.norm.cdf(t["freq_z"].to_numpy(dtype="float64"))
    p_size = stats.norm.cdf(t["size_z"].to_numpy(dtype="float64"))
    # dropped categories: the smallest p-value times the categories that could have dropped
    p_breadth = np.full(len(t), np.nan)
    dd = None
    if dropped is not None and len(dropped):
        dd = dropped[dropped["customer_id"].isin(t.index)].copy()
        n_cat = dd["n_categories"] if "n_categories" in dd else dd.groupby("customer_id")["category"].transform("size")
        dd["p_adj"] = np.minimum(1.0, dd["p_zero"] * n_cat.clip(lower=1))
        best = dd.groupby("customer_id")["p_adj"].min()
        p_breadth = best.reindex(t.index).to_numpy(dtype="float64")
    pv = np.column_stack([p_amount, p_size, p_freq, p_breadth])
    pv[~judged] = np.nan
    rejected = holm(pv, alpha)
    # the level each kind of evidence was rejected at (Holm's step), for the categories within it
    level = pd.Series(np.where(rejected[:, 3], _holm_level(pv, 3, alpha), np.nan), index=t.index)
    # smaller orders count where what the customer spends with us (its share of wallet where
    # known) fell by the minimum drop too: smaller orders bought more often are no defection
    amount_drop = np.where(wallet, t["sow_drop"].to_numpy(dtype="float64"), t["spend_drop"].to_numpy(dtype="float64"))
    size = pd.Series(rejected[:, 1] & (amount_drop >= big), index=t.index)
    sow = pd.Series(rejected[:, 0] & wallet & (t["sow_drop"].to_numpy() >= big), index=t.index)
    spend = pd.Series(rejected[:, 0] & ~wallet & (t["spend_drop"].to_numpy() >= big), index=t.index)
    freq = pd.Series(rejected[:, 2] & (t["freq_drop"].to_numpy() >= big), index=t.index)
    breadth_ids: dict[str, list] = {}
    if dd is not None and len(dd):
        dd = dd.assign(level=level.reindex(dd["customer_id"]).to_numpy())
        dd = dd[dd["p_adj"] <= dd["level"]]
        for cid, grp in dd.groupby("customer_id"):
            breadth_ids[cid] = grp.sort_values(["p_zero", "category"]).to_dict("records")
    rec = det.partial_recent_days
    # the company's own record of a partial defection (churn-reasons, kind partial), recent enough
    ago = profile.loc[t.index, "last_partial_record_days"] if "last_partial_record_days" in profile else None
    recorded = (ago <= det.partial_recorded_days) if ago is not None and det.partial_recorded_days > 0 \
        else pd.Series(False, index=t.index)
    rows = []
    flagged = t.index[sow | spend | size | freq | recorded | t.index.isin(list(breadth_ids))]
    for cid in flagged:
        x = t.loc[cid]
        evidence, rules = [], []
        if recorded[cid]:
            rules.append("recorded")
            evidence.append(_recorded_evidence(profile.loc[cid], language))
        if sow[cid]:
            rules.append("share_of_wallet")
            evidence.append(say("share_of_wallet", language,
                                {"before": x["sow_b"], "after": x["sow_r"], "z": abs(x["sow_z"])},
                                before=fmt_share(x["sow_b"]), after=fmt_share(x["sow_r"]),
                                z=f"{abs(x['sow_z']):.1f}"))
        if spend[cid]:
            rules.append("spend")
            evidence.append(say("spend_down", language,
                                {"after": x["spend_rate_r"], "before": x["spend_rate_b"], "recent": rec,
                                 "drop": x["spend_drop"], "z": abs(x["spend_z"])},
                                drop=fmt_share(x["spend_drop"]), z=f"{abs(x['spend_z']):.1f}"))
        if size[cid]:
            if "spend" not in rules:
                rules.append("spend")
            evidence.append(say("order_size_down", language,
                                {"after": x["order_size_r"], "before": x["order_size_b"], "recent": rec,
                                 "drop": x["size_drop"], "z": abs(x["size_z"])},
                                drop=fmt_share(x["size_drop"]), z=f"{abs(x['size_z']):.1f}"))
        if freq[cid]:
            rules.append("frequency")
            evidence.append(say("frequency_down", language,
                                {"orders": profile.at[cid, "p_orders_r"], "recent": rec,
                                 "expected": x["expected_orders"], "drop": x["freq_drop"]},
                                expected=f"{x['expected_orders']:.1f}", drop=fmt_share(x["freq_drop"])))
        for d in breadth_ids.get(cid, [])[:2]:
            if "breadth" not in rules:
                rules.append("breadth")
            evidence.append(say("breadth_down", language,
                                {"category": d["category"], "lines_before": d["lines_c_b"],
                                 "all_before": d["lines_b"], "lines_after": d["lines_r"], "p": d["p_zero"]}))
        rows.append((cid, ",".join(rules), pd.NaT, evidence))
    frame = pd.DataFrame(rows, columns=["customer_id", "rules", "lost_at", "evidence"])
    frame["kind"] = "partial"
    return frame


def _holm_level(pv: np.ndarray, col: int, alpha: float) -> np.ndarray:
    """The Holm level ``alpha / (m - i)`` at which column ``col`` of each row is judged."""
    finite = np.isfinite(pv)
    m = finite.sum(axis=1)
    own = np.where(finite[:, col], pv[:, col], np.inf)
    # the tests judged before it: smaller p-values, ties broken by column as the sort does
    before = (finite & ((pv < own[:, None]) | ((pv == own[:, None]) & (np.arange(pv.shape[1]) < col)))).sum(axis=1)
    return alpha / np.maximum(m - before, 1)


def _recorded_evidence(p: pd.Series, language: str) -> dict:
    """What the team recorded: when, why (a known reason in the sentence's language), to whom."""
    when = pd.Timestamp(p["last_partial_record_at"]).date().isoformat()
    reason = p["last_partial_reason"] if isinstance(p["last_partial_reason"], str) else "?"
    values = {"days": p["last_partial_record_days"], "when": when, "reason": reason}
    competitor = p.get("last_partial_competitor")
    if isinstance(competitor, str) and competitor:
        return say("recorded_partial_competitor", language, {**values, "competitor": competitor})
    return say("recorded_partial", language, values)


def find_defectors(profile: pd.DataFrame, settings: Settings, *, index: SeasonalIndex,
                   dropped: pd.DataFrame | None = None, p_alive: pd.Series | None = None,
                   language: str = "en") -> pd.DataFrame:
    """Complete and partial defectors as of the profile's date, one row each with evidence.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`~churnguard.compute.detect.profile.customer_profile` as of the date.
    settings : Settings
        The churn definition and ``detect`` settings.
    index : SeasonalIndex
        Seasonal weights over the partial-defection windows (:func:`seasonal_index`).
    dropped : pandas.DataFrame, optional
        Candidate dropped categories (:func:`dropped_categories`) for the breadth test.
    p_alive : pandas.Series, optional
        BG/NBD probability alive by customer (from the value snapshot or a fresh fit).
    language : str
        ``en`` or ``zh``: the language of the evidence sentences.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DEFECTOR_COLUMNS`; ``evidence`` is a list of ``{"code", "text",
        "values"}`` per row; complete defectors first, then partial ones by size of the drop.
    """
    complete = complete_defectors(profile, settings, p_alive, language)
    tests = partial_tests(profile, index, settings)
    partial = partial_defectors(profile, tests, dropped, settings, pd.Index(complete["customer_id"]), language)
    # an empty part is left out: pandas is changing how empty frames shape a concat's dtypes
    parts = [f for f in (complete, partial) if len(f)] or [complete]
    frame = pd.concat(parts, ignore_index=True)
    p = profile.reindex(frame["customer_id"])
    frame["last_purchase_at"] = p["last_purchase_at"].to_numpy()
    frame["days_since_last_purchase"] = p["last_purchase_days"].to_numpy()
    for col in ("relationship", "segment", "customer_type", "csm", "spend_365d"):
        frame[col] = p[col].to_numpy()
    frame["lost_at"] = pd.to_datetime(frame["lost_at"])
    frame = frame[list(DEFECTOR_COLUMNS)]
    frame.attrs = {}
    return frame


def as_of_date(profile: pd.DataFrame) -> date:
    """The as-of date a profile was computed for."""
    return profile.attrs["as_of"]
