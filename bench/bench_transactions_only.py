"""A workspace holding nothing but a transactions file, through every step a new user takes.

Reads the CDNOW music purchase log (Fader & Hardie's CDNOW sample: customer id, date, CDs,
dollars), writes it as a plain CSV of ``customer_id, occurred_at, amount, quantity`` and runs,
as separate processes the way a user types them: ``init``, ``import transactions``, ``run``,
``at-risk``, ``backtest``, ``report`` (HTML and Excel), ``churn-rate``, ``overview``, ``value``,
``defectors``, ``signals``, ``survival``, ``customer ID``; then ``serve``, signs in and fetches
every page and every ``/api`` GET route. Prints each step's exit code and seconds and a few
figures; exits non-zero when any step fails, a response is 5xx, or a traceback shows anywhere.
Never asserts a time.

    PYTHONPATH=src python bench/bench_transactions_only.py                  # the 2,357-customer sample in tests/
    pip download lifetimes==0.11.3 --no-deps -d /tmp/lt
    PYTHONPATH=src python bench/bench_transactions_only.py --wheel /tmp/lt/Lifetimes-0.11.3-py3-none-any.whl

The public data are read from the repository's test sample or from the ``lifetimes`` wheel,
never copied into the repository.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "reference" / "data" / "CDNOW_sample.txt"
PASSWORD = "bench-pass-123"


def cdnow(wheel: Path | None) -> pd.DataFrame:
    """The CDNOW log as ``customer_id, occurred_at, amount, quantity``."""
    if wheel is None:
        raw = SAMPLE.read_text()
        frame = pd.read_csv(io.StringIO(raw), sep=r"\s+", header=None, dtype=str,
                            names=["customer_id", "sample_id", "date", "quantity", "amount"])
    else:
        raw = zipfile.ZipFile(wheel).read("lifetimes/datasets/CDNOW_master.txt").decode()
        frame = pd.read_csv(io.StringIO(raw), sep=r"\s+", dtype=str)
        frame.columns = ["customer_id", "date", "quantity", "amount"]
    frame["occurred_at"] = pd.to_datetime(frame["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    return frame[["customer_id", "occurred_at", "amount", "quantity"]]


def cli() -> list[str]:
    return [sys.executable, "-c", "from churnguard.present.cli import main; main()"]


def step(name: str, args: list[str], failures: list[str], stdin: str | None = None) -> str:
    t = time.perf_counter()
    r = subprocess.run(cli() + args, capture_output=True, text=True, input=stdin)
    seconds = time.perf_counter() - t
    bad = r.returncode != 0 or "Traceback" in r.stdout + r.stderr
    print(f"  {name:<16} exit {r.returncode}  {seconds:7.1f} s{'   <-- FAILED' if bad else ''}")
    if bad:
        failures.append(f"{name}: {r.stderr.strip()[-500:]}")
    return r.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crawl(ws: Path, customer: str, failures: list[str]) -> None:
    """Serve the workspace, sign in, GET every page and API route."""
    from starlette.routing import Route

    from churnguard.present.api import ROUTERS
    from churnguard.present.web.pages import PAGES

    step("user add", ["user", "add", "bench", "--role", "admin", "--password-stdin", "-w", str(ws)], failures,
         stdin=PASSWORD + "\n")
    token = step("user token", ["user", "token", "bench", "-w", str(ws)], failures).strip().split()[-1]
    port = free_port()
    server = subprocess.Popen(cli() + ["serve", "--port", str(port), "-w", str(ws)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    t = time.perf_counter()
    try:
        for _ in range(240):
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        routes = [("/api", r) for m in ROUTERS for r in m.router.routes]
        routes += [("", r) for m in PAGES for r in m.router.routes]
        paths = sorted({re.sub(r"\{customer_id[^}]*\}", customer, prefix + r.path) for prefix, r in routes
                        if isinstance(r, Route) and "GET" in (r.methods or set())})
        paths = [p for p in paths if "{" not in p and p != "/logout"]
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600)
        web = httpx.Client(base_url=base, timeout=600)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text).group(1)
        web.post("/login", data={"user_id": "bench", "password": PASSWORD, "csrf_token": csrf})
        codes = {}
        for p in paths:
            r = (api if p.startswith("/api") else web).get(p)
            codes[p] = r.status_code
            if r.status_code >= 500 or "Traceback" in r.text:
                failures.append(f"GET {p}: {r.status_code} {r.text[:300]}")
        worst = max(codes.values())
        print(f"  {'serve + GET':<16} {len(paths)} routes, statuses {sorted(set(codes.values()))} "
              f"(worst {worst})  {time.perf_counter() - t:7.1f} s")
    finally:
        server.terminate()
        try:
            out, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _ = server.communicate()
        if "Traceback" in out:
            failures.append("serve printed a traceback:\n" + out[-2000:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help="the lifetimes 0.11.3 wheel: use its full CDNOW_master.txt")
    ap.add_argument("--dir", type=Path, help="work folder (default: a temporary one, removed afterwards)")
    ap.add_argument("--customer", default="00004", help="the customer whose page is fetched")
    ap.add_argument("--period", default="1998-Q1", help="the period a defector investigation is opened for")
    a = ap.parse_args()
    work = a.dir or Path(tempfile.mkdtemp(prefix="cg-tx-only-"))
    ws = work / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    frame = cdnow(a.wheel)
    csv = work / "transactions.csv"
    frame.to_csv(csv, index=False)
    print(f"CDNOW {'master' if a.wheel else 'sample'}: {len(frame):,} lines, {frame['customer_id'].nunique():,} "
          f"customers, {frame['occurred_at'].min()} to {frame['occurred_at'].max()}; transactions file only")
    failures: list[str] = []
    w = ["-w", str(ws)]
    step("init", ["init", str(ws)], failures)
    step("import", ["import", "transactions", str(csv), *w], failures)
    run = step("run", ["run", *w, "--json"], failures)
    risk = step("at-risk", ["at-risk", *w, "--json", "--top", "20"], failures)
    bt = step("backtest", ["backtest", *w, "--json"], failures)
    step("report html", ["report", *w, "--out", str(work / "report.html")], failures)
    step("report xlsx", ["report", *w, "--out", str(work / "report.xlsx")], failures)
    for name in ("churn-rate", "overview", "value", "defectors", "signals"):
        step(name, [name, *w, "--json"], failures)
    step("survival", ["survival", *w, "--by", "all", "--json"], failures)
    step("customer", ["customer", a.customer, *w, "--json"], failures)
    # learning from defectors: a transactions file has no recorded reasons, texts or surveys,
    # so every defector is "not recorded", nothing is suggested, and the investigation lists them
    why = step("reasons", ["reasons", *w, "--json"], failures)
    step("suggest-reasons", ["suggest-reasons", *w, "--json"], failures)
    inv = step("investigate start", ["investigate", "start", "--period", a.period, *w, "--json"], failures)
    step("investigate review", ["investigate", "review", a.period, *w, "--json"], failures)
    step("survey report", ["survey", "report", *w, "--json"], failures)
    step("complaints", ["complaints", *w, "--json"], failures)
    prof = step("profile-defectors", ["profile-defectors", *w, "--json"], failures)
    crawl(ws, a.customer, failures)
    if why and inv and prof:
        y, i, p = json.loads(why), json.loads(inv), json.loads(prof)
        lost = sum(r["lost_value"] for r in y["data"])
        print(f"reasons {y['from']} to {y['to']}: {sum(r['defectors'] for r in y['data']):,} defectors, "
              f"lost value {lost:,.0f}; " + ", ".join(f"{r['reason']} {r['defectors']:,}" for r in y["data"]))
        print(f"investigate {a.period}: " + json.dumps({k: v for k, v in i.items() if k not in ("data", "interviewers")},
                                                     ensure_ascii=False)[:300])
        top = p["data"][:3]
        print("profile-defectors, largest differences: " + "; ".join(
            f"{r['attribute']}{'=' + str(r['value']) if r.get('value') not in (None, '') else ''}: "
            f"{r['defectors']:.3g} vs {r['stayed']:.3g}" for r in top))
    if run and bt and risk:
        for name, out in (("run", run), ("backtest", bt), ("at-risk", risk)):
            (work / f"{name}.json").write_text(out, encoding="utf-8")
        r, b, k = json.loads(run), json.loads(bt), json.loads(risk)
        print(f"run: {r['counts']['customers']:,} customers, {r['counts']['active']:,} active, "
              f"{r['counts']['scored']:,} scored on {r['model'].get('features_used')} features; left out: "
              + ", ".join(f"{i['family']} ({'+'.join(i['needs'])})" for i in r["features_left_out"]))
        choice = r["model"].get("model_choice") or {}
        print(f"run: scorer in use {r['model'].get('model_kind')}; chosen by {choice.get('method')} "
              f"({choice.get('held_out_date') or 'a held-out fifth'}): ROC AUC trees "
              f"{(choice.get('gradient_boosting') or {}).get('roc_auc')}, baseline "
              f"{(choice.get('logistic_baseline') or {}).get('roc_auc')}")
        print(f"backtest as of {b['as_of']}, {b['horizon_days']} days: {b['n_customers']:,} active, "
              f"{b['n_lost']:,} lost; ROC AUC / PR AUC model {b['model']['roc_auc']} / {b['model']['pr_auc']}, "
              f"baseline {b['baseline']['roc_auc']} / {b['baseline']['pr_auc']}, "
              f"heuristic {b['heuristic']['roc_auc']} / {b['heuristic']['pr_auc']}; in use: {b.get('model_kind')} "
              f"{b.get('in_use', {}).get('roc_auc')} / {b.get('in_use', {}).get('pr_auc')}")
        for w in b.get("warnings", []):
            print(f"backtest warning: {w['en']}\n                  {w['zh']}")
        top = k["data"][0] if k["data"] else None
        if top:
            print(f"at-risk #1: {top['customer_id']} p={top['probability']:.2f}: "
                  + "; ".join(x["text"] for x in top["reasons"]))
    if a.dir is None:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAILED:", f)
    print("result:", "every step ran without an error" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
