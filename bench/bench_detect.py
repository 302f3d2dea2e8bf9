"""Quality of detection and prediction on a simulated company with known ground truth.

Builds (or reuses) a demo workspace, then reports, for docs/benchmarks.md:

* the backtest of ``churnguard backtest`` (model, logistic baseline, recency heuristic), overall
  and by relationship;
* partial defectors found by ``churnguard defectors`` against the truth (partial defection
  started by the date and not complete by then), overall and by how much the customer buys,
  and the false-alarm rate among the customers whose buying the simulator did not change,
  against the nominal level of the tests taken together (``detect.partial_alpha``);
* early warnings: the backtest's figures on the customers not yet overdue, and the check
  against the truth (customers still buying on the date; label: last order or contract end
  within the horizon), for all leavers and for those whose cause shows beforehand;
* reason codes: for customers who left within the backtest's horizon and whose true reason is
  service, price or promotion, how often the model's top reason is evidence of that reason, and
  how often the *likely cause* list names the true cause where the leaver's records show it
  (recall) and how often a named cause is the true one (precision).

Only this script reads the ``truth`` table; the analyses never do.

    PYTHONPATH=src python bench/bench_detect.py --dir /tmp/detect-20k --customers 20000 --seed 42
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from churnguard.compute.predict import CAUSE_FAMILIES
from churnguard.compute.predict.suite import customer_reasons
from churnguard.service import backtest as psvc
from churnguard.service import detect as dsvc
from churnguard.service.context import open_context
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.settings import SETTINGS_FILE
from churnguard.store import Workspace

#: evidence families that match each true reason (promotion: spend moved to a rival)
MATCH = {**CAUSE_FAMILIES, "promotion": ("wallet", "spend", "frequency", "breadth")}


#: what in a customer's features (as of the backtest date) is evidence of each true reason
EVIDENCE = {
    "service": lambda X: (X["complaints_365d"].fillna(0) > 0) | (X["min_satisfaction_365d"] <= 2)
    | (X["satisfaction_change"] <= -1),
    "price": lambda X: (X["price_rise"] >= 0.05) & (X["units_change"] <= -0.05),
    "promotion": lambda X: (X["share_of_wallet_change"] <= -0.2) | (X["share_of_wallet_z"] <= -2),
}


def truth_of(path: Path) -> pd.DataFrame:
    with Workspace.open(path) as ws:
        t = ws.store.table("truth").to_pandas().set_index("customer_id")
    for c in ("churned_at", "partial_from"):
        t[c] = pd.to_datetime(t[c])
    return t


def backtest_figures(path: Path, as_of=None) -> tuple[dict, psvc.BacktestResult]:
    t0 = time.perf_counter()
    with open_context(path, as_of=as_of) as ctx:
        bt = psvc.backtest(ctx)
    d = bt.to_dict()
    d["seconds"] = round(time.perf_counter() - t0, 1)
    return d, bt


def purchase_ceiling(path: Path, truth: pd.DataFrame, as_of: pd.Timestamp, pos: pd.Series) -> dict:
    """How well any test on purchases could do, judged with the truth: two tests a detector could
    run on the recent 180 days against the 365 before (order days: conditional binomial z; units
    per line: z of mean log units, per-line sd 0.5 — the simulator's own noise, which a real
    detector would not know) and their sum, each as a ranking of the living customers with at
    least 4 purchase days; for each, ROC AUC and the largest recall (of all true partial
    defectors) any cut-off reaches at precision ≥ 0.7 and ≥ 0.5."""
    from sklearn.metrics import precision_recall_curve, roc_auc_score

    with Workspace.open(path) as ws:
        tx = ws.store.table("transactions").select("customer_id", "occurred_at", "quantity").to_pandas()
    tx = tx[(pd.to_datetime(tx["occurred_at"]) <= as_of) & (tx["quantity"] > 0)]
    age = (as_of - pd.to_datetime(tx["occurred_at"])).dt.days
    tx = tx.assign(w=np.where(age < 180, "r", np.where(age < 545, "b", "")), lq=np.log(tx["quantity"]))
    tx = tx[tx["w"] != ""]
    g = tx.groupby(["customer_id", "w"])
    days = g["occurred_at"].nunique().unstack(fill_value=0).reindex(columns=["r", "b"], fill_value=0)
    lq = g["lq"].agg(["mean", "count"]).unstack()
    alive = truth.index[(truth["churned_at"].isna() | (truth["churned_at"] > as_of)).to_numpy()]
    d = days.reindex(alive).fillna(0)
    n = d["r"] + d["b"]
    share = 180 / 545
    z_f = (d["r"] - n * share) / np.sqrt(np.maximum(n * share * (1 - share), 1e-9))
    se = 0.5 * np.sqrt(1 / lq[("count", "r")] + 1 / lq[("count", "b")])
    z_q = ((lq[("mean", "r")] - lq[("mean", "b")]) / se).reindex(alive).fillna(0)
    judged = n >= 4
    y = pos.reindex(alive).fillna(False)[judged]
    out = {"judged": int(judged.sum()), "true_among_judged": int(y.sum())}
    for name, z in (("order_days", z_f), ("units_per_line", z_q), ("both", (z_f + z_q) / np.sqrt(2))):
        score = -z[judged]
        prec, rec, _ = precision_recall_curve(y, score)
        best = {f"recall_at_precision_{c}": round(float(rec[prec >= c].max() * y.sum() / pos.sum()), 4)
                for c in (0.7, 0.5)}
        out[name] = {"roc_auc": round(float(roc_auc_score(y, score)), 3), **best}
    return out


def unchanged_customers(truth: pd.DataFrame, as_of: pd.Timestamp, customers: int, months: int,
                        seed: int) -> tuple[pd.Index, str]:
    """Customers whose buying the simulator did not change by ``as_of``: neither partial nor
    complete defectors (ever, in the simulated time), not price-sensitive (their units fall after
    the price rise), and not yet decided to leave (a customer who has decided slows down before it
    leaves, possibly after the data end). The decision dates are in the simulation's hidden state,
    which the same seed gives again; when the workspace was built otherwise, only the truth table
    is used (and says so)."""
    from churnguard.simulate import simulate

    keep = (truth["churn_kind"] == "none") & ~truth["price_sensitive"].astype(bool)
    note = "truth: churn_kind none, not price-sensitive, not decided to leave by the date"
    sim = simulate(customers=customers, months=months, seed=seed)
    same = sim.truth.set_index("customer_id")["churn_kind"].reindex(truth.index)
    if len(sim.truth) == len(truth) and (same == truth["churn_kind"]).all():
        hidden = sim.hidden.set_index("customer_id").reindex(truth.index)
        decided = pd.to_datetime(hidden["decided_at"])
        keep &= decided.isna() | (decided > as_of)
    else:
        note = "truth: churn_kind none, not price-sensitive (the hidden decisions could not be rebuilt)"
    return truth.index[keep.to_numpy()], note


def partial_figures(path: Path, truth: pd.DataFrame, customers: int, months: int, seed: int) -> dict:
    t0 = time.perf_counter()
    with open_context(path) as ctx:
        r = dsvc.defectors(ctx, dsvc.DefectorOptions())
    frame = r.to_frame()
    seconds = round(time.perf_counter() - t0, 1)
    as_of = pd.Timestamp(r.as_of)
    pos = (truth["partial_from"] <= as_of) & (truth["churned_at"].isna() | (truth["churned_at"] > as_of))
    partial = frame[frame["kind"] == "partial"]
    flagged = set(partial["customer_id"])
    # listed by a test (what the team recorded is not a test, nor a false alarm)
    by_test = set(partial.loc[partial["rules"].map(lambda r: bool(set(r.split(",")) - {"recorded"})), "customer_id"])
    complete = set(frame.loc[frame["kind"] == "complete", "customer_id"])
    tp = len(flagged & set(pos[pos].index))
    tp_test = len(by_test & set(pos[pos].index))
    # false alarms: among the customers whose buying did not change, those the tests listed, of
    # those the tests judged (alive, not a complete defector, enough purchase days in the windows)
    with open_context(path, as_of=r.as_of) as ctx:
        inputs = dsvc.detect_inputs(ctx)
        settings = ctx.settings
    prof = inputs.profile
    n = (prof["p_orders_r"] + prof["p_orders_b"]).reindex(truth.index).fillna(0)
    judged = set(prof.index[(~prof["lost"]).to_numpy() & (n.reindex(prof.index) >= settings.detect.partial_min_orders
                                                          ).to_numpy()]) - complete
    unchanged, note = unchanged_customers(truth, as_of, customers, months, seed)
    u_judged = judged & set(unchanged)
    false_alarms = by_test & set(unchanged)
    alpha = settings.detect.partial_alpha
    rules = partial.loc[partial["customer_id"].isin(false_alarms), "rules"].str.split(",").explode()
    out = {
        "as_of": r.as_of.isoformat(), "flagged": len(flagged), "truth": int(pos.sum()), "true_positives": tp,
        "precision": round(tp / max(len(flagged), 1), 3), "recall": round(tp / max(int(pos.sum()), 1), 3),
        "by_tests_alone": {"flagged": len(by_test), "true_positives": tp_test,
                           "precision": round(tp_test / max(len(by_test), 1), 3),
                           "recall": round(tp_test / max(int(pos.sum()), 1), 3)},
        "false_alarms": {
            "unchanged": len(unchanged), "unchanged_judged": len(u_judged), "listed": len(false_alarms),
            "rate": round(len(false_alarms) / max(len(u_judged), 1), 4), "nominal_level": alpha,
            "within_nominal_level": len(false_alarms) <= alpha * len(u_judged),
            "rules": rules.value_counts().to_dict(), "unchanged_means": note,
        },
        "truth_counted_complete": len(complete & set(pos[pos].index)),
        "seconds": seconds,
        "ceiling_of_tests_on_purchases": purchase_ceiling(path, truth, as_of, pos),
    }
    # how far each test can see: recall among true partial defectors by purchases in the two windows
    rows = []
    for lo, hi in ((0, 4), (4, 8), (8, 16), (16, 10**9)):
        band = pos & (n >= lo) & (n < hi)
        hits = len(flagged & set(band[band].index))
        rows.append({"purchases_in_windows": f"{lo}-{hi - 1}" if hi < 10**9 else f"{lo}+",
                     "truth": int(band.sum()), "found": hits, "recall": round(hits / max(int(band.sum()), 1), 3)})
    out["by_purchases"] = rows
    return out


def explanations(bt: psvc.BacktestResult, ids: pd.Index, language: str) -> pd.DataFrame:
    """``changes`` and ``causes`` of ``ids`` as the backtest's model says them. A version from
    before reasons came in two lists gives one flat list: its causes are then the items of that
    list that are not symptoms (what a manager saw as a cause), with nothing said when none is."""
    try:
        from churnguard.compute.predict.suite import customer_explanations
    except ImportError:
        found = customer_reasons(bt.suite, bt.features, ids, top=3, language=language)
        flat = found.map(lambda r: r if isinstance(r, list) else [])
        return pd.DataFrame({"changes": flat.map(lambda r: [i for i in r if i["family"] in SYMPTOMS]),
                             "causes": flat.map(lambda r: [i for i in r if i["family"] not in SYMPTOMS])})
    return customer_explanations(bt.suite, bt.features, ids, top=3, language=language)


#: the families that say what changed (symptoms), never a cause
SYMPTOMS = ("recency", "frequency", "spend", "breadth", "contact")


def cause_list_figures(bt: psvc.BacktestResult, truth: pd.DataFrame, language: str) -> dict:
    """The cause list against the truth, for the customers lost within the backtest's horizon.

    * recall: among the leavers whose true cause (service, price, promotion) is visible in their
      records before the date (:data:`EVIDENCE`, the definition of docs/benchmarks.md), the share
      whose cause list names a family of that cause (:data:`CAUSE_FAMILIES`);
    * precision: of all causes named for any leaver, the share that are a family of its true
      cause (a cause named for a leaver who left for a reason nobody's records show — product,
      market, closure … — counts against), and per leaver, how often the first named cause is.

    ``every_visible_cause`` is the same for a list naming every cause the records show, however
    the model weighs it and without a limit of three: what naming everything would give.
    """
    y = bt.outcome
    lost = y[y == 1].index
    out = _cause_figures(explanations(bt, lost, language).reindex(lost)["causes"], bt, truth, lost)
    try:
        from churnguard.compute.predict.reasons import explain
    except ImportError:
        return out
    X = bt.features.X.loc[bt.features.X.index.intersection(lost)]
    ones = pd.DataFrame(1.0, index=X.index, columns=[*X.columns, "bias"])
    every = explain(ones, X, bt.features.profile, top=99, language=language)["causes"].reindex(lost)
    out["every_visible_cause"] = {k: v for k, v in _cause_figures(every, bt, truth, lost).items()
                                  if k not in ("by_family", "true_reasons")}
    return out


def _cause_figures(found: pd.Series, bt: psvc.BacktestResult, truth: pd.DataFrame, lost: pd.Index) -> dict:
    t = truth.reindex(lost)
    causes = found.map(lambda r: [i["family"] for i in r if i.get("code") != "cause_unknown"]
                       if isinstance(r, list) else [])
    true = t["churn_reason"]
    fits = {r: set(CAUSE_FAMILIES.get(r, ())) for r in true.dropna().unique()}
    X = bt.features.X.reindex(lost)
    by_reason, seen_all, named_all = {}, 0, 0
    for reason in ("service", "price", "promotion"):
        is_r = (true == reason).to_numpy()
        seen = is_r & EVIDENCE[reason](X).to_numpy()
        named = np.array([bool(set(c) & fits[reason]) for c in causes[seen]]) if seen.any() else np.array([])
        by_reason[reason] = {"leavers": int(is_r.sum()), "cause_visible": int(seen.sum()),
                             "cause_list_names_it": int(named.sum()),
                             "recall": round(float(named.mean()), 3) if len(named) else None}
        seen_all += int(seen.sum())
        named_all += int(named.sum())
    items = [(f, true.iloc[k]) for k, c in enumerate(causes) for f in c]
    right = sum(f in fits.get(r, set()) for f, r in items)
    with_cause = [(c, true.iloc[k]) for k, c in enumerate(causes) if c]
    first_right = sum(c[0] in fits.get(r, set()) for c, r in with_cause)
    families = pd.Series([f for f, _ in items], dtype=object)
    # the families that are evidence of some churn reason the truth knows (service, price, promotion):
    # contract, payment, unsubscribe, chain and returns say why too, but no true reason matches them
    judged = [(f, r) for f, r in items if any(f in v for v in CAUSE_FAMILIES.values() if v)]
    judged = [(f, r) for f, r in judged if f != "chain"]
    by_family = {f: {"named": int((families == f).sum()),
                     "true": int(sum(g == f and g in fits.get(r, set()) for g, r in items))}
                 for f in families.value_counts().index}
    return {
        "leavers": int(len(lost)),
        "cause_visible": seen_all,
        "recall": round(named_all / max(seen_all, 1), 3),
        "by_true_reason": by_reason,
        "causes_named": len(items),
        "causes_named_true": int(right),
        "precision": round(right / max(len(items), 1), 3),
        "precision_of_causes_a_true_reason_can_match": round(
            sum(f in fits.get(r, set()) for f, r in judged) / max(len(judged), 1), 3),
        "causes_a_true_reason_can_match": len(judged),
        "by_family": by_family,
        "leavers_with_a_named_cause": len(with_cause),
        "first_cause_true": round(first_right / max(len(with_cause), 1), 3),
        "leavers_cause_unknown": int(len(lost) - len(with_cause)),
        "true_reasons": true.value_counts().to_dict(),
    }


def reason_figures(bt: psvc.BacktestResult, truth: pd.DataFrame, language: str) -> dict:
    y = bt.outcome
    lost = y[y == 1].index
    t = truth.reindex(lost)
    rows = {}
    reasons = customer_reasons(bt.suite, bt.features, lost, top=3, language=language)
    fam = reasons.map(lambda r: [i["family"] for i in r] if isinstance(r, list) else [])
    for reason in ("service", "price", "promotion"):
        ids = t.index[(t["churn_reason"] == reason).to_numpy()]
        if not len(ids):
            continue
        f = fam.reindex(ids)
        top = f.map(lambda x: x[0] if x else "(none)")
        match = MATCH[reason]
        X = bt.features.X.reindex(ids)
        others = bt.features.X.reindex(t.index[(t["churn_reason"] != reason).to_numpy()])
        rows[reason] = {
            "customers": int(len(ids)),
            # can any method name the cause? the share whose own records show it before the date
            "with_evidence_in_data": round(float(EVIDENCE[reason](X).mean()), 3),
            # and does that evidence tell them apart? the same share among leavers for other reasons
            "same_evidence_among_other_leavers": round(float(EVIDENCE[reason](others).mean()), 3),
            "matching_families": list(match),
            "top_reason_matches": round(float(top.isin(match).mean()), 3),
            "any_of_top_3_matches": round(float(np.mean([any(i in match for i in x) for x in f])), 3),
            "top_families": top.value_counts(normalize=True).round(3).head(6).to_dict(),
        }
        if reason == "service":  # complaints in the customer's region well above usual (incidents)
            up = lambda Z: float((Z["region_complaint_excess"] > 1).mean())  # noqa: E731
            rows[reason]["region_complaints_up"] = round(up(X), 3)
            rows[reason]["region_complaints_up_among_other_leavers"] = round(up(others), 3)
        seen = EVIDENCE[reason](X).to_numpy()
        if seen.any():
            rows[reason]["among_those_with_evidence"] = {
                "customers": int(seen.sum()),
                "top_reason_matches": round(float(top[seen].isin(match).mean()), 3),
                "any_of_top_3_matches": round(float(np.mean([any(i in match for i in x) for x in f[seen]])), 3),
            }
    everyone = fam.map(lambda x: x[0] if x else "(none)").value_counts(normalize=True).round(3).head(8).to_dict()
    return {"by_true_reason": rows, "top_families_of_all_leavers": everyone,
            "cause_list": cause_list_figures(bt, truth, language)}


#: true reasons whose cause the simulator makes visible in the records before the departure
VISIBLE = ("service", "price", "promotion")


def early_truth_figures(bt: psvc.BacktestResult, truth: pd.DataFrame) -> dict:
    """The early-warning check against the simulator's truth.

    Population: the customers scored on the backtest date that, in truth, were still buying on
    it (not churned by then). Label: their last order, or the end of their contract, falls
    within the horizon. ROC AUC of each score for all leavers, for those whose cause shows in
    the records beforehand (service, price, promotion, and contract customers) against the
    stayers, and for those who simply stop (reported, not targeted); also among the customers
    the product marks ``early`` (not yet overdue).
    """
    from sklearn.metrics import roc_auc_score

    d0 = pd.Timestamp(bt.as_of)
    d1 = d0 + pd.Timedelta(days=bt.horizon_days)
    t = truth.reindex(bt.scores.index)
    alive = t["churned_at"].isna() | (t["churned_at"] > d0)
    leaves = (t["churned_at"] > d0) & (t["churned_at"] <= d1)
    contractual = t["contractual"].astype(bool)
    visible = leaves & (t["churn_reason"].isin(VISIBLE) | contractual)
    silent = leaves & ~visible
    stays = alive & ~leaves
    columns = {"model": "probability", "early_model": "early_probability",
               "baseline": "baseline_probability", "heuristic": "heuristic_probability"}
    columns = {k: c for k, c in columns.items() if c in bt.scores.columns}
    scopes = [("still_buying", alive)]
    try:  # a version before early warnings (to measure what it did) has no such mark
        from churnguard.compute.predict.early import EARLY, warning_kind

        scopes.append(("still_buying_and_early", alive & (warning_kind(bt.features.X).reindex(bt.scores.index) == EARLY)))
    except ImportError:
        pass
    out: dict = {"as_of": bt.as_of.isoformat(), "still_buying": int(alive.sum())}
    for scope, within in scopes:
        block = {}
        groups = (("all_leavers", leaves), ("visible_cause", visible),
                  ("visible_cause_without_contract", visible & ~contractual),
                  ("visible_cause_with_contract", visible & contractual), ("simply_stop", silent))
        for group, pos in groups:
            m = (within & (pos | stays)).to_numpy()
            y = pos[m].astype(int).to_numpy()
            row = {"leavers": int(y.sum()), "stayers": int(len(y) - y.sum())}
            for name, col in columns.items():
                s = bt.scores.loc[m, col].to_numpy(dtype="float64")
                row[name] = round(float(roc_auc_score(y, s)), 3) if 0 < y.sum() < len(y) else None
            block[group] = row
        out[scope] = block
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/detect-20k"))
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--reasons-only", action="store_true", help="only the backtest and the reasons")
    ap.add_argument("--as-of", default=None, help="backtest date (default: the backtest's own)")
    ap.add_argument("--early-only", action="store_true", help="only the backtest and the early-warning check")
    args = ap.parse_args()
    if args.rebuild or not (args.dir / SETTINGS_FILE).exists():
        build_demo(DemoOptions(args.dir, customers=args.customers, months=args.months, seed=args.seed, replace=True))
    truth = truth_of(args.dir)
    with Workspace.open(args.dir) as ws:
        language = ws.settings.language
    as_of = None if args.as_of is None else pd.Timestamp(args.as_of).date()
    bt_dict, bt = backtest_figures(args.dir, as_of)
    out = {
        "backtest": {k: v for k, v in bt_dict.items() if k not in ("flagged",)},
        "early_truth": early_truth_figures(bt, truth),
    }
    if not args.early_only:
        out["reasons"] = reason_figures(bt, truth, language)
        if not args.reasons_only:
            out["partial"] = partial_figures(args.dir, truth, args.customers, args.months, args.seed)
    for name in ("model", "baseline", "heuristic"):
        out["backtest"][name] = {k: v for k, v in out["backtest"][name].items() if k != "calibration"}
        if "early" in out["backtest"]:
            out["backtest"]["early"][name] = {k: v for k, v in out["backtest"]["early"].get(name, {}).items()
                                              if k != "calibration"}
    out["backtest"]["model_calibration"] = bt_dict["model"]["calibration"]
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
