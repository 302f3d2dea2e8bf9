"""Web benchmark: page and API latency of `churnguard serve` on a large workspace, with the stored
figures (web.cache_results = true, after `churnguard refresh`) and without them.

Usage:
  PYTHONPATH=src python bench/bench_web.py --workspace /tmp/web2-1m/shop [--customers 1000000]
      [--requests 200] [--concurrency 4] [--uncached 1] [--seconds 60]

Builds the demo workspace when the folder holds none (`build_demo`, a few minutes for a
million customers), adds a benchmark user, stores the opening figures (`churnguard refresh`),
starts `churnguard serve` on a free local port, signs in, and sends each page `--requests`
requests from `--concurrency` threads (bounded by `--seconds` per page); then restarts the
server with web.cache_results = false and sends each page `--uncached` requests (each
computes its figures: minutes on a million customers). Traffic goes to 127.0.0.1 only.
Prints a table of p50/p95/p99 per page (milliseconds) and the uncached times.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

PAGES = [
    "/",
    "/churn",
    "/churn?period=quarter&by=segment",
    "/churn/groups?by=csm",
    "/churn/cohorts",
    "/churn/retention",
    "/churn/price-volume",
    "/data",
    "/at-risk",
    "/at-risk?signal=complaint",
    "/at-risk?page=100",
    "/core",
    "/defectors",
    "/defectors?kind=partial&page=20",
    "/customers?q=C00123",
]
API = ["/api/overview", "/api/churn-rate", "/api/cohorts", "/api/status", "/api/at-risk?top=50",
       "/api/defectors?kind=partial&limit=50"]
# customer pages: the riskiest customer and one far down the list (found through the API at start)
CUSTOMER_RANKS = (0, 5000)
USER = "bench-admin"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(path: Path, customers: int, password: str) -> str:
    """Build the workspace when missing; (re)create the benchmark user; return an API token."""
    from churnguard.service import users
    from churnguard.service.demo import DemoOptions, build_demo
    from churnguard.store import Workspace

    if not (path / "churnguard.toml").exists():
        t = time.perf_counter()
        print(f"building a demo workspace of {customers:,} customers in {path} …", flush=True)
        build_demo(DemoOptions(directory=path, customers=customers, months=24, seed=42),
                   step=lambda m: print(f"  {time.perf_counter() - t:6.0f}s {m}", flush=True))
    from churnguard.service.context import open_context
    from churnguard.service.run import run
    from churnguard.store import snapshot_dates

    with Workspace.open(path) as ws:
        has_run = bool(snapshot_dates(ws.store, "scores"))
    if not has_run:  # the worklist, customer, core and defectors pages read what a run stored
        t = time.perf_counter()
        with open_context(path) as ctx:
            run(ctx)
        print(f"churnguard run in {time.perf_counter() - t:.0f} s", flush=True)
    with Workspace.open(path) as ws:
        if users.get_user(ws, USER) is None:
            users.add_user(ws, users.UserCreate(USER, "admin", password))
        else:
            users.set_password(ws, USER, password)
        return users.create_token(ws, USER)


def set_cache(path: Path, on: bool) -> None:
    from churnguard.service.context import open_context
    from churnguard.service.workspace import update_settings

    with open_context(path) as ctx:
        update_settings(ctx, {"web.cache_results": "true" if on else "false"})


def refresh(path: Path) -> None:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "churnguard", "refresh", "-w", str(path)], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    print(f"figures stored in {time.perf_counter() - t:.0f} s", flush=True)


class Server:
    """`churnguard serve` in a subprocess on a free local port."""

    def __init__(self, path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "churnguard", "serve", "--port", str(self.port), "-w", str(path)],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.url + "/login", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError("churnguard serve did not start: " + self.log.read().decode(errors="replace"))
            time.sleep(0.3)

    def tail(self, n: int = 3000) -> str:
        """The end of the server's log."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-n:]

    def stop(self, failed: bool = False) -> None:
        if failed:
            print("--- churnguard serve log (end) ---\n" + self.tail(), file=sys.stderr)
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def signed_in(url: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=1800, headers={"Accept-Language": "zh-CN"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"user_id": USER, "password": password, "csrf_token": token})
    if r.status_code != 303:
        raise RuntimeError(f"login failed: {r.status_code}")
    return c


def measure(url: str, path: str, cookies: httpx.Cookies, headers: dict, n: int, concurrency: int,
            seconds: float) -> list[float]:
    """Latencies (ms) of up to ``n`` GETs of ``path`` from ``concurrency`` threads, within ``seconds``."""
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    left = [n]

    def worker() -> None:
        with httpx.Client(base_url=url, cookies=cookies, headers=headers, timeout=1800) as c:
            while True:
                with lock:
                    if left[0] <= 0 or time.monotonic() > deadline:
                        return
                    left[0] -= 1
                t = time.perf_counter()
                r = c.get(path)
                ms = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                with lock:
                    times.append(ms)

    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    return times


def apache_bench(url: str, path: str, cookies: httpx.Cookies, headers: dict, n: int, concurrency: int,
                 seconds: float) -> dict | None:
    """The same page through ApacheBench (``ab``, Debian's apache2-utils), a load tool apart from
    this script: its p50/p95/p99 (ms) and requests per second, or None when ``ab`` is missing."""
    ab = shutil.which("ab")
    if ab is None:
        return None
    cmd = [ab, "-q", "-t", str(int(seconds)), "-n", str(n), "-c", str(concurrency), "-s", "600"]  # -n after -t
    for k, v in cookies.items():
        cmd += ["-C", f"{k}={v}"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url + path], capture_output=True, text=True, check=True).stdout
    if "Non-2xx responses" in out:
        raise RuntimeError(f"ab {path}: some answers were not 200\n{out}")
    q = {int(m[0]): float(m[1]) for m in re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.M)}
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))
    return {"p50": q[50], "p95": q[95], "p99": q[99], "rps": rps}


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, default=Path("/tmp/web2-1m/shop"))
    ap.add_argument("--customers", type=int, default=1_000_000, help="size of a workspace built here")
    ap.add_argument("--requests", type=int, default=200, help="requests per page with stored figures")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60, help="at most this long per page")
    ap.add_argument("--uncached", type=int, default=1, help="requests per page without stored figures (0: skip)")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    password = secrets.token_urlsafe(16)
    token = prepare(args.workspace, args.customers, password)
    set_cache(args.workspace, True)
    refresh(args.workspace)

    rows: dict[str, dict] = {}
    server = Server(args.workspace)
    failed = True
    try:
        page_client = signed_in(server.url, password)
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as api:
            for rank in CUSTOMER_RANKS:
                r = api.get("/api/at-risk", params={"top": 1, "offset": rank})
                r.raise_for_status()
                PAGES.append(f"/customers/{r.json()['data'][0]['customer_id']}")
        for path in PAGES + API:
            api = path.startswith("/api/")
            headers = {"Authorization": f"Bearer {token}"} if api else {"Accept-Language": "zh-CN"}
            cookies = httpx.Cookies() if api else page_client.cookies
            first = measure(server.url, path, cookies, headers, 1, 1, args.seconds)  # computes any figure not stored
            t = measure(server.url, path, cookies, headers, args.requests, args.concurrency, args.seconds)
            rows[path] = {"n": len(t), "first": first[0], "p50": pct(t, 50), "p95": pct(t, 95), "p99": pct(t, 99),
                          "ab": apache_bench(server.url, path, cookies, headers, args.requests, args.concurrency,
                                             args.seconds)}
            ab = rows[path]["ab"]
            print(f"{path:36} n={len(t):4}  p50 {rows[path]['p50']:7.1f}  p95 {rows[path]['p95']:7.1f}  "
                  f"p99 {rows[path]['p99']:7.1f} ms" + (f"   ab: p95 {ab['p95']:.0f} ms, {ab['rps']:.1f}/s" if ab else ""),
                  flush=True)
        failed = False
    finally:
        server.stop(failed)

    if args.uncached:
        set_cache(args.workspace, False)
        server = Server(args.workspace)
        failed = True
        try:
            page_client = signed_in(server.url, password)
            for path in PAGES + API:
                api = path.startswith("/api/")
                headers = {"Authorization": f"Bearer {token}"} if api else {"Accept-Language": "zh-CN"}
                cookies = httpx.Cookies() if api else page_client.cookies
                t = measure(server.url, path, cookies, headers, args.uncached, 1, 3600)
                rows[path]["uncached"] = statistics.median(t)
                print(f"{path:36} uncached {rows[path]['uncached'] / 1000:8.1f} s", flush=True)
            failed = False
        finally:
            server.stop(failed)
            set_cache(args.workspace, True)

    print()
    print(f"workspace {args.workspace}; {args.requests} requests per page, {args.concurrency} at a time")
    print("| page | requests | p50 ms | p95 ms | p99 ms | ab p95 ms | ab req/s | uncached | uncached ÷ p50 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path, r in rows.items():
        unc, ab = r.get("uncached"), r.get("ab")
        print(f"| `{path}` | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | "
              + (f"{ab['p95']:.0f} | {ab['rps']:.1f} | " if ab else "– | – | ")
              + (f"{unc / 1000:.1f} s | {unc / r['p50']:,.0f}x |" if unc else "– | – |"))


if __name__ == "__main__":
    main()
