"""Quality of detection and prediction on a simulated company with known ground truth.

Builds (or reuses) a demo workspace, then reports, for docs/benchmarks.md:

* the backtest of ``churnguard backtest`` (model, logistic baseline, recency heuristic), overall
  and by relationship;
* partial defectors found by ``churnguard defectors`` against the truth (partial defection
  started by the date and not complete by then), overall and by how much the customer buys;
* early warnings: the backtest's figures on the customers not yet overdue, and the check
  against the truth (customers still buying on the date; label: last order or contract end
  within the horizon), for all leavers and for those whose cause shows beforehand;
* reason codes: for customers who left within the backtest's horizon and whose true reason is
  service, price or promotion, how often the model's top reason is evidence of that reason.

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
from churnguard.service import detect as dsvc
from churnguard.service import predict as psvc
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
    bt = psvc.backtest(psvc.BacktestOptions(path, as_of=as_of))
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


def partial_figures(path: Path, truth: pd.DataFrame) -> dict:
    t0 = time.perf_counter()
    r = dsvc.defectors(dsvc.DefectorOptions(path))
    frame = r.to_frame()
    as_of = pd.Timestamp(r.as_of)
    pos = (truth["partial_from"] <= as_of) & (truth["churned_at"].isna() | (truth["churned_at"] > as_of))
    flagged = set(frame.loc[frame["kind"] == "partial", "customer_id"])
    complete = set(frame.loc[frame["kind"] == "complete", "customer_id"])
    tp = len(flagged & set(pos[pos].index))
    out = {
        "as_of": r.as_of.isoformat(), "flagged": len(flagged), "truth": int(pos.sum()), "true_positives": tp,
        "precision": round(tp / max(len(flagged), 1), 3), "recall": round(tp / max(int(pos.sum()), 1), 3),
        "truth_counted_complete": len(complete & set(pos[pos].index)),
        "seconds": round(time.perf_counter() - t0, 1),
        "ceiling_of_tests_on_purchases": purchase_ceiling(path, truth, as_of, pos),
    }
    # how far each test can see: recall among true partial defectors by purchases in the two windows
    with Workspace.open(path) as ws:
        ctx = dsvc.detect_context(ws, r.as_of)
    prof = ctx.profile
    n = (prof["p_orders_r"] + prof["p_orders_b"]).reindex(truth.index).fillna(0)
    rows = []
    for lo, hi in ((0, 4), (4, 8), (8, 16), (16, 10**9)):
        band = pos & (n >= lo) & (n < hi)
        hits = len(flagged & set(band[band].index))
        rows.append({"purchases_in_windows": f"{lo}-{hi - 1}" if hi < 10**9 else f"{lo}+",
                     "truth": int(band.sum()), "found": hits, "recall": round(hits / max(int(band.sum()), 1), 3)})
    out["by_purchases"] = rows
    return out


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
    return {"by_true_reason": rows, "top_families_of_all_leavers": everyone}


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
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--as-of", default=None, help="backtest date (default: the backtest's own)")
    ap.add_argument("--early-only", action="store_true", help="only the backtest and the early-warning check")
    args = ap.parse_args()
    if args.rebuild or not (args.dir / SETTINGS_FILE).exists():
        build_demo(DemoOptions(args.dir, customers=args.customers, seed=args.seed, replace=True))
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
        out["partial"] = partial_figures(args.dir, truth)
        out["reasons"] = reason_figures(bt, truth, language)
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
