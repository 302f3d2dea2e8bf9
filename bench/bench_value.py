"""Benchmark the whole value step against lifetimes 0.11.3, on CDNOW and on a synthetic log.

Compares, on the same data in one run:

1. the RFM/BTYD summary from raw transactions: churnguard's Ibis expression run inside
   DuckDB (``compute.value.summary.purchase_summary`` plus the few pandas lines that turn it
   into frequency/recency/T/monetary_value) against
   ``lifetimes.utils.summary_data_from_transaction_data``;
2. the BG/NBD fit on that summary: ``BetaGeoModel`` against ``BetaGeoFitter``;
3. the whole value step (``churnguard.value.compute``: summary query with payments and
   contracts, RFM, Pareto, BG/NBD, Pareto/NBD on a sample, Gamma-Gamma, CLV, sBG, core flag,
   snapshot write), which lifetimes has no counterpart for.

The synthetic log: ``--customers`` customers (default 1M) buying over two years up to
2026-06-30 with BG/NBD-style behaviour (seeded), about ``--lines`` transaction lines (default
10M) with costs, due and paid dates, plus yearly contracts for a fifth of the customers. It is
written straight into a DuckDB workspace (the import path has its own benchmark).

lifetimes needs numpy<2 and pandas<2; it runs in its own venv through a subprocess (see
``bench_value_models.py``)::

    python3 -m venv /tmp/value-lt
    /tmp/value-lt/bin/pip install lifetimes==0.11.3 'numpy<2' 'pandas<2' 'scipy<1.13'
    PYTHONPATH=src python bench/bench_value.py --lifetimes-python /tmp/value-lt/bin/python

Times are wall-clock seconds; nothing here asserts a time. The run exits non-zero when the BTYD
summary (rows, frequency sum) differs from lifetimes'.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from bench_value_models import CALIBRATION_END, cdnow_transactions, run_lifetimes

from churnguard import value
from churnguard.compute.value import BetaGeoModel
from churnguard.compute.value.summary import purchase_summary
from churnguard.service.context import context_of
from churnguard.service.imports import ImportOptions, import_data
from churnguard.store import Workspace

AS_OF = date(2026, 6, 30)
SPAN_DAYS = 730


def synthetic_log(customers: int, lines: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded transactions and contracts: BG/NBD buyers (Poisson purchases, drop-out after
    each with a customer-specific probability) first buying on a uniform day of the span."""
    rng = np.random.default_rng(seed)
    n = customers
    first = rng.integers(0, SPAN_DAYS, n)  # day index of the first purchase
    age_weeks = (SPAN_DAYS - 1 - first) / 7.0
    # mean repeat lines per customer ~ lines / customers - 1; rate per week ~ Gamma(r, alpha)
    target = max(lines / n - 1.0, 0.1)
    lam = rng.gamma(1.5, 1.0, n) * target / (1.5 * max(age_weeks.mean(), 1.0)) * 1.84  # ~lines in all
    p = rng.beta(1.0, 12.0, n)
    potential = rng.poisson(lam * age_weeks)
    made = np.minimum(potential, rng.geometric(p))
    owner = np.repeat(np.arange(n), potential)
    u = rng.random(owner.size)
    order = np.lexsort((u, owner))  # arrival times sorted within each customer
    owner, u = owner[order], u[order]
    starts = np.r_[0, np.cumsum(potential)[:-1]]
    within = np.arange(owner.size) - starts[owner]
    keep = within < made[owner]
    owner, u = owner[keep], u[keep]
    repeat_day = first[owner] + np.floor(u * (SPAN_DAYS - first[owner])).astype(np.int64)
    cust = np.r_[np.arange(n), owner]
    day = np.r_[first, repeat_day]
    spend_scale = rng.gamma(4.0, 25.0, n)
    amount = np.round(rng.gamma(3.0, 1.0, cust.size) * spend_scale[cust] / 3.0, 2)
    start = np.datetime64(AS_OF) - np.timedelta64(SPAN_DAYS - 1, "D")
    occurred = start + day.astype("timedelta64[D]")
    due = occurred + np.timedelta64(30, "D")
    late = rng.gamma(0.6, 8.0, cust.size) - 3.0
    paid = due + np.round(late).astype("timedelta64[D]")
    unpaid = rng.random(cust.size) < 0.02
    ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 7))
    tx = pd.DataFrame(
        {
            "customer_id": ids[cust],
            "occurred_at": occurred,
            "amount": amount,
            "cost": np.round(amount * rng.uniform(0.55, 0.85, cust.size), 2),
            "due_at": due,
            "paid_at": pd.Series(paid).where(~unpaid),
        }
    )
    # yearly contracts for a fifth of the customers, renewing with a customer-specific chance
    holders = rng.choice(n, size=n // 5, replace=False)
    c_start = start + first[holders].astype("timedelta64[D]") - np.timedelta64(365, "D")
    renew_p = rng.beta(3.0, 1.2, holders.size)
    rows_c, rows_s, rows_k = [], [], []
    alive = np.ones(holders.size, dtype=bool)
    for k in range(4):
        idx = np.flatnonzero(alive)
        rows_c.append(holders[idx])
        rows_s.append(c_start[idx] + np.timedelta64(365 * k, "D"))
        rows_k.append(np.full(idx.size, k))
        alive &= rng.random(holders.size) < renew_p
        alive &= c_start + np.timedelta64(365 * (k + 1), "D") <= np.datetime64(AS_OF)
    hc, hs, hk = np.concatenate(rows_c), np.concatenate(rows_s), np.concatenate(rows_k)
    cid = np.char.add(np.char.add("K", ids[hc]), np.char.add("-", hk.astype(str)))
    prev = np.where(
        hk > 0, np.char.add(np.char.add("K", ids[hc]), np.char.add("-", (hk - 1).astype(str))), None
    )
    contracts = pd.DataFrame(
        {
            "contract_id": cid,
            "customer_id": ids[hc],
            "start_at": hs,
            "end_at": hs + np.timedelta64(364, "D"),
            "recurring_value": np.round(spend_scale[hc] * 20.0, -1),
            "renewed_from": prev,
            "cancelled_at": pd.NaT,
        }
    )
    return tx, contracts


def load_synthetic(ws: Workspace, tx: pd.DataFrame, contracts: pd.DataFrame) -> None:
    """Write the synthetic tables straight into the workspace's DuckDB file (not timed)."""
    raw = ws.store.raw
    raw.register("tx_arrow", pa.Table.from_pandas(tx, preserve_index=False))
    raw.execute(
        "INSERT INTO transactions (record_key, customer_id, occurred_at, amount, cost, due_at, paid_at) "
        "SELECT CAST(row_number() OVER () AS VARCHAR), customer_id, CAST(occurred_at AS DATE), amount, cost, "
        "CAST(due_at AS DATE), CAST(paid_at AS DATE) FROM tx_arrow"
    )
    raw.unregister("tx_arrow")
    raw.register("c_arrow", pa.Table.from_pandas(contracts, preserve_index=False))
    raw.execute(
        "INSERT INTO contracts SELECT contract_id, contract_id, customer_id, CAST(start_at AS DATE), "
        "CAST(end_at AS DATE), recurring_value, renewed_from, CAST(cancelled_at AS DATE) FROM c_arrow"
    )
    raw.unregister("c_arrow")
    raw.execute(
        "INSERT INTO customers (record_key, customer_id, first_seen_at) "
        "SELECT customer_id, customer_id, min(occurred_at) FROM transactions GROUP BY customer_id"
    )


def our_summary(ws: Workspace, as_of: date, unit_days: float = 7.0, below: str | None = None) -> pd.DataFrame:
    """BTYD summary through the Ibis expression (what lifetimes' summary function returns);
    ``below``: only customers whose id sorts before it."""
    tx = ws.store.table("transactions")
    if below is not None:
        tx = tx.filter(tx.customer_id < below)
    per = purchase_summary(tx, as_of, window_days=365).to_pandas()
    out = pd.DataFrame(
        {"frequency": (per["purchase_days"] - 1).to_numpy()}, index=per["customer_id"].to_numpy()
    )
    out["recency"] = ((per["age_first"] - per["age_last"]) / unit_days).to_numpy()
    out["T"] = (per["age_first"] / unit_days).to_numpy()
    f = out["frequency"].to_numpy()
    out["monetary_value"] = np.where(f > 0, per["repeat_spend"].to_numpy() / np.maximum(f, 1), 0.0)
    return out


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def ratio_line(label: str, ours: float, theirs: dict | None, note: str = "") -> None:
    line = f"{label:<58} churnguard {ours:8.2f} s"
    if theirs is not None:
        line += f" | lifetimes {theirs['seconds']:8.2f} s | ratio {theirs['seconds'] / ours:6.1f}x"
    print(line + (f"  {note}" if note else ""), flush=True)


def value_step(ws: Workspace, as_of: date, label: str) -> None:
    secs, result = timed(lambda: value.compute(context_of(ws, as_of=as_of)))
    parts = ", ".join(f"{k} {v:.2f}" for k, v in result.seconds.items())
    print(f"{label:<58} churnguard {secs:8.2f} s  ({parts})", flush=True)
    for name, rep in result.to_dict()["models"].items():
        shown = {k: v for k, v in rep.items() if k not in ("life_table", "retention_curve")}
        print(f"    {name}: {shown}")
    s = result.summary(top=0).concentration
    print(
        f"    {len(result.frame):,} customers, {int(result.frame['core'].sum()):,} core; "
        f"{s['customers_making_share']:,} of {s['customers_with_value']:,} make {s['share']:.0%} of revenue"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetimes-python", help="python of a venv with lifetimes 0.11.3")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument(
        "--lifetimes-summary-customers",
        type=int,
        default=0,
        help="give lifetimes' summary only the first N customers' lines (0: all); ours is timed on the same",
    )
    parser.add_argument(
        "--lifetimes-fit-customers", type=int, default=0, help="BG/NBD fit sample for lifetimes (0: all)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", help="keep the synthetic workspace in this folder")
    args = parser.parse_args()
    lt = args.lifetimes_python
    differ: list[str] = []  # exact figures that disagree with the reference (lifetimes)
    print(f"numpy {np.__version__}, pandas {pd.__version__}, python {sys.version.split()[0]}", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="value2-bench-"))
    try:
        print("\n== CDNOW sample: 2,357 customers, 6,919 lines; as of 1997-09-30, weeks ==")
        lines = cdnow_transactions()
        with Workspace.init(tmp / "cdnow") as ws:
            frame = pd.DataFrame(
                {
                    "customer_id": lines["customer"].astype(str),
                    "occurred_at": lines["date"].dt.date,
                    "amount": lines["amount"],
                }
            )
            import_data(
                ws, ImportOptions("transactions", frame=pa.Table.from_pandas(frame, preserve_index=False))
            )
            as_of = CALIBRATION_END.date()
            our_summary(ws, as_of)  # warm up the connection
            secs, summ = min((timed(lambda: our_summary(ws, as_of)) for _ in range(3)), key=lambda t: t[0])
            lines.to_csv(tmp / "cdnow_tx.csv", index=False)
            theirs = run_lifetimes(
                lt, {"kind": "summary", "path": str(tmp / "cdnow_tx.csv"), "end": str(as_of)}
            )
            ratio_line("BTYD summary from raw lines (Ibis on DuckDB)", secs, theirs)
            summ.to_csv(tmp / "cdnow_summary.csv", index=False)
            secs, _ = min(
                (
                    timed(lambda: BetaGeoModel().fit(summ["frequency"], summ["recency"], summ["T"]))
                    for _ in range(3)
                ),
                key=lambda t: t[0],
            )
            theirs = run_lifetimes(lt, {"kind": "bgnbd", "path": str(tmp / "cdnow_summary.csv"), "repeat": 3})
            ratio_line("BG/NBD fit", secs, theirs)
            value_step(ws, as_of, "whole value step")

        n = args.customers
        print(
            f"\n== synthetic: {n:,} customers, about {args.lines:,} lines, seed {args.seed}; as of {AS_OF} =="
        )
        secs, (tx, contracts) = timed(lambda: synthetic_log(n, args.lines, args.seed))
        print(f"generated {len(tx):,} lines and {len(contracts):,} contracts in {secs:.1f} s", flush=True)
        ws_dir = Path(args.keep) if args.keep else tmp / "synthetic"
        if ws_dir.exists():
            shutil.rmtree(ws_dir)
        with Workspace.init(ws_dir) as ws:
            secs, _ = timed(lambda: load_synthetic(ws, tx, contracts))
            print(f"loaded into DuckDB in {secs:.1f} s (not part of the comparison)", flush=True)
            secs, summ = timed(lambda: our_summary(ws, AS_OF))
            m = min(args.lifetimes_summary_customers or n, n)
            if m < n:  # lifetimes gets the first m customers; ours is timed on the same ones too
                limit = f"C{m:07d}"
                sample_tx = tx[tx["customer_id"] < limit]
                secs_sample, summ_sample = timed(lambda: our_summary(ws, AS_OF, below=limit))
            else:
                sample_tx, secs_sample, summ_sample = tx, secs, summ
            sample_tx.rename(columns={"customer_id": "customer", "occurred_at": "date"})[
                ["customer", "date", "amount"]
            ].to_csv(tmp / "syn_tx.csv", index=False)
            theirs = run_lifetimes(
                lt, {"kind": "summary", "path": str(tmp / "syn_tx.csv"), "end": str(AS_OF)}
            )
            ratio_line(f"BTYD summary, {m:,} customers, {len(sample_tx):,} lines", secs_sample, theirs)
            if m < n:
                ratio_line(
                    f"BTYD summary, all {n:,} customers, {len(tx):,} lines",
                    secs,
                    None,
                    "(lifetimes not run at this size; see the line above)",
                )
            if theirs is not None:
                print(
                    f"    rows: lifetimes {theirs['rows']:,}, churnguard {len(summ_sample):,}; frequency sum: "
                    f"lifetimes {theirs['frequency_sum']:,.0f}, churnguard {summ_sample['frequency'].sum():,.0f}"
                )
                if (theirs["rows"], round(theirs["frequency_sum"])) != (len(summ_sample),
                                                                          round(summ_sample["frequency"].sum())):
                    differ.append("BTYD summary (rows or frequency sum) differs from lifetimes")
            fit_rows = summ if not args.lifetimes_fit_customers else summ.iloc[: args.lifetimes_fit_customers]
            fit_rows.to_csv(tmp / "syn_summary.csv", index=False)
            secs, bg = timed(lambda: BetaGeoModel().fit(summ["frequency"], summ["recency"], summ["T"]))
            theirs = run_lifetimes(lt, {"kind": "bgnbd", "path": str(tmp / "syn_summary.csv"), "repeat": 1})
            note = f"(lifetimes on {len(fit_rows):,} customers)" if len(fit_rows) < len(summ) else ""
            ratio_line(f"BG/NBD fit, {len(summ):,} customers", secs, theirs, note)
            print("    churnguard params: " + ", ".join(f"{k}={v:.4f}" for k, v in bg.params_.items()))
            if theirs is not None:
                print(
                    "    lifetimes  params: " + ", ".join(f"{k}={v:.4f}" for k, v in theirs["params"].items())
                )
            value_step(ws, AS_OF, f"whole value step, {n:,} customers")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if differ:
        # a comparison with a reference that disagrees must fail the run, not just print
        raise SystemExit("; ".join(differ))


if __name__ == "__main__":
    main()
