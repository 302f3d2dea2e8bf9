"""Benchmark churnguard's value models against lifetimes 0.11.3 on the same data.

lifetimes only runs with numpy<2 and pandas<2, so it lives in its own virtual environment
and is called through a subprocess that reads the same CSV files; it is never a dependency
of churnguard. Build that environment once::

    python3 -m venv /tmp/value-lt
    /tmp/value-lt/bin/pip install lifetimes==0.11.3 'numpy<2' 'pandas<2' 'scipy<1.13'

Run (from the repository root)::

    PYTHONPATH=src python bench/bench_value_models.py --lifetimes-python /tmp/value-lt/bin/python

Without ``--lifetimes-python`` only churnguard's figures are printed. Times are wall-clock
seconds, best of ``--repeat`` runs for the small data; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from churnguard.compute.value import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from churnguard.compute.value.models.simulation import simulate_bgnbd_summary

ROOT = Path(__file__).resolve().parents[1]
CDNOW = ROOT / "tests" / "reference" / "data" / "CDNOW_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")

LIFETIMES_SCRIPT = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, ParetoNBDFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

job = json.loads(sys.argv[1])
out = {"version": lifetimes.__version__}
if job["kind"] == "summary":
    tx = pd.read_csv(job["path"], parse_dates=["date"])
    t0 = time.perf_counter()
    s = summary_data_from_transaction_data(tx, "customer", "date", monetary_value_col="amount",
                                           observation_period_end=job["end"], freq="D")
    out["seconds"] = time.perf_counter() - t0
    out["rows"] = len(s)
    out["frequency_sum"] = float(s["frequency"].sum())
else:
    d = pd.read_csv(job["path"])
    cls = {"bgnbd": BetaGeoFitter, "pnbd": ParetoNBDFitter, "gg": GammaGammaFitter}[job["kind"]]
    best = None
    for _ in range(job["repeat"]):
        m = cls()
        t0 = time.perf_counter()
        if job["kind"] == "gg":
            m.fit(d["frequency"], d["monetary_value"])
        else:
            m.fit(d["frequency"], d["recency"], d["T"])
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    out["seconds"] = best
    out["params"] = {k: float(v) for k, v in m.params_.items()}
print(json.dumps(out))
"""


def cdnow_transactions() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "amount"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer", "date", "amount"]]


def summary_with_pandas(tx: pd.DataFrame, end: pd.Timestamp, unit_days: float = 7.0) -> pd.DataFrame:
    """BTYD summary from transactions, same-day purchases combined (lifetimes' convention)."""
    tx = tx[tx["date"] <= end]
    daily = tx.groupby(["customer", "date"], as_index=False, sort=False)["amount"].sum()
    g = daily.groupby("customer")
    first = g["date"].min()
    out = pd.DataFrame({"frequency": g.size() - 1})
    out["recency"] = (g["date"].max() - first).dt.days / unit_days
    out["T"] = (end - first).dt.days / unit_days
    total = (
        g["amount"].sum()
        - daily.loc[g["date"].idxmin(), ["customer", "amount"]].set_index("customer")["amount"]
    )
    out["monetary_value"] = (total / out["frequency"].where(out["frequency"] > 0)).fillna(0.0)
    return out


def best_of(repeat: int, fn):
    best, result = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, result


def run_lifetimes(python: str | None, job: dict) -> dict | None:
    if not python:
        return None
    proc = subprocess.run(
        [python, "-c", LIFETIMES_SCRIPT, json.dumps(job)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(f"  lifetimes failed: {proc.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def show(label: str, ours: float, theirs: dict | None, params: dict, note: str = "") -> None:
    p = ", ".join(f"{k}={v:.4f}" for k, v in params.items())
    line = f"{label:<44} churnguard {ours:8.3f} s"
    if theirs is not None:
        line += f" | lifetimes {theirs['seconds']:8.3f} s | ratio {theirs['seconds'] / ours:6.1f}x"
    print(line + (f"  {note}" if note else ""))
    print(f"{'':<44} churnguard params: {p}")
    if theirs is not None and "params" in theirs:
        print(
            f"{'':<44} lifetimes  params: " + ", ".join(f"{k}={v:.4f}" for k, v in theirs["params"].items())
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetimes-python", help="python of a venv with lifetimes 0.11.3")
    parser.add_argument("--customers", type=int, default=1_000_000, help="synthetic customers (default 1M)")
    parser.add_argument(
        "--lifetimes-sample",
        type=int,
        default=100_000,
        help="customers of the synthetic set given to lifetimes when it cannot take all",
    )
    parser.add_argument(
        "--lifetimes-full", action="store_true", help="also give lifetimes all synthetic customers"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per small measurement (best is kept)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    lt = args.lifetimes_python

    print(f"numpy {np.__version__}, pandas {pd.__version__}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="value-bench-") as tmp:
        tmpdir = Path(tmp)
        tx = cdnow_transactions()
        tx_path = tmpdir / "cdnow_tx.csv"
        tx.to_csv(tx_path, index=False)

        print("\n== CDNOW sample (2,357 customers, 39-week calibration) ==")
        secs, summary = best_of(args.repeat, lambda: summary_with_pandas(tx, CALIBRATION_END))
        theirs = run_lifetimes(
            lt, {"kind": "summary", "path": str(tx_path), "end": str(CALIBRATION_END.date())}
        )
        show("summary from transactions (pandas)", secs, theirs, {"customers": len(summary)})
        cal_path = tmpdir / "cdnow_summary.csv"
        summary.to_csv(cal_path, index=False)
        f, r, t = summary["frequency"], summary["recency"], summary["T"]

        secs, bg = best_of(args.repeat, lambda: BetaGeoModel().fit(f, r, t))
        theirs = run_lifetimes(lt, {"kind": "bgnbd", "path": str(cal_path), "repeat": args.repeat})
        show("BG/NBD fit", secs, theirs, bg.params_)

        secs, pn = best_of(args.repeat, lambda: ParetoNBDModel().fit(f, r, t))
        theirs = run_lifetimes(lt, {"kind": "pnbd", "path": str(cal_path), "repeat": args.repeat})
        show("Pareto/NBD fit", secs, theirs, pn.params_)

        rep = summary[summary["frequency"] > 0]
        rep_path = tmpdir / "cdnow_repeat.csv"
        rep.to_csv(rep_path, index=False)
        secs, gg = best_of(
            args.repeat, lambda: GammaGammaModel().fit(rep["frequency"], rep["monetary_value"])
        )
        theirs = run_lifetimes(lt, {"kind": "gg", "path": str(rep_path), "repeat": args.repeat})
        show("Gamma-Gamma fit (946 repeat buyers)", secs, theirs, gg.params_)

        n = args.customers
        print(
            f"\n== synthetic BG/NBD summary: {n:,} customers (r=0.243, alpha=4.414, a=0.793, b=2.426, "
            f"ages up to 2 years in weeks, seed {args.seed}) =="
        )
        t0 = time.perf_counter()
        big = simulate_bgnbd_summary(n, 0.243, 4.414, 0.793, 2.426, max_age_days=730, seed=args.seed)
        print(f"simulation: {time.perf_counter() - t0:.2f} s")
        big_path = tmpdir / "synthetic.csv"
        big.to_csv(big_path, index=False)
        m = min(args.lifetimes_sample, n)
        sample = big.iloc[:m]
        sample_path = tmpdir / "synthetic_sample.csv"
        sample.to_csv(sample_path, index=False)

        secs, bg_s = best_of(
            1, lambda: BetaGeoModel().fit(sample["frequency"], sample["recency"], sample["T"])
        )
        theirs = run_lifetimes(lt, {"kind": "bgnbd", "path": str(sample_path), "repeat": 1})
        show(f"BG/NBD fit, first {m:,} customers", secs, theirs, bg_s.params_)

        secs, bg_big = best_of(1, lambda: BetaGeoModel().fit(big["frequency"], big["recency"], big["T"]))
        if args.lifetimes_full:
            theirs = run_lifetimes(lt, {"kind": "bgnbd", "path": str(big_path), "repeat": 1})
            show(f"BG/NBD fit, all {n:,} customers", secs, theirs, bg_big.params_)
        else:
            show(
                f"BG/NBD fit, all {n:,} customers",
                secs,
                None,
                bg_big.params_,
                note="(lifetimes not run at this size; see the sample line)",
            )

        secs, pn_big = best_of(1, lambda: ParetoNBDModel().fit(big["frequency"], big["recency"], big["T"]))
        show(f"Pareto/NBD fit, all {n:,} customers", secs, None, pn_big.params_)

        t0 = time.perf_counter()
        bg_big.p_alive(big["frequency"], big["recency"], big["T"])
        bg_big.expected_purchases(52.0, big["frequency"], big["recency"], big["T"])
        print(
            f"BG/NBD scoring {n:,} customers (P(alive) + 52-week expected purchases): "
            f"{time.perf_counter() - t0:.2f} s"
        )


if __name__ == "__main__":
    main()
