"""Quality of detection and prediction on a simulated company with known ground truth.

Builds (or reuses) a demo workspace, then reports, for docs/benchmarks.md:

* the backtest of ``churnguard backtest`` (model, logistic baseline, recency heuristic), overall
  and by relationship;
* partial defectors found by ``churnguard defectors`` against the truth (partial defection
  started by the date and not complete by then), overall and by how much the customer buys;
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


def backtest_figures(path: Path) -> tuple[dict, psvc.BacktestResult]:
    t0 = time.perf_counter()
    bt = psvc.backtest(psvc.BacktestOptions(path))
    d = bt.to_dict()
    d["seconds"] = round(time.perf_counter() - t0, 1)
    return d, bt


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
        rows[reason] = {
            "customers": int(len(ids)),
            # can any method name the cause? the share whose own records show it before the date
            "with_evidence_in_data": round(float(EVIDENCE[reason](X).mean()), 3),
            "matching_families": list(match),
            "top_reason_matches": round(float(top.isin(match).mean()), 3),
            "any_of_top_3_matches": round(float(np.mean([any(i in match for i in x) for x in f])), 3),
            "top_families": top.value_counts(normalize=True).round(3).head(6).to_dict(),
        }
        seen = EVIDENCE[reason](X).to_numpy()
        if seen.any():
            rows[reason]["among_those_with_evidence"] = {
                "customers": int(seen.sum()),
                "top_reason_matches": round(float(top[seen].isin(match).mean()), 3),
                "any_of_top_3_matches": round(float(np.mean([any(i in match for i in x) for x in f[seen]])), 3),
            }
    everyone = fam.map(lambda x: x[0] if x else "(none)").value_counts(normalize=True).round(3).head(8).to_dict()
    return {"by_true_reason": rows, "top_families_of_all_leavers": everyone}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/detect-20k"))
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    if args.rebuild or not (args.dir / SETTINGS_FILE).exists():
        build_demo(DemoOptions(args.dir, customers=args.customers, seed=args.seed, replace=True))
    truth = truth_of(args.dir)
    with Workspace.open(args.dir) as ws:
        language = ws.settings.language
    bt_dict, bt = backtest_figures(args.dir)
    out = {
        "backtest": {k: v for k, v in bt_dict.items() if k not in ("flagged",)},
        "partial": partial_figures(args.dir, truth),
        "reasons": reason_figures(bt, truth, language),
    }
    for name in ("model", "baseline", "heuristic"):
        out["backtest"][name] = {k: v for k, v in out["backtest"][name].items() if k != "calibration"}
    out["backtest"]["model_calibration"] = bt_dict["model"]["calibration"]
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
