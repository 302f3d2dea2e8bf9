"""Time ``churnguard run`` (value, signals, defectors, model training and scoring) on a large base.

    PYTHONPATH=src python bench/bench_run.py --dir /tmp/detect-1m            # reuse a workspace
    PYTHONPATH=src python bench/bench_run.py --dir /tmp/detect-1m --build 1000000

Prints the seconds of each step, the total, the peak memory and the rows scored.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

from churnguard.service.context import open_context
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.service.run import run
from churnguard.store import Workspace


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--build", type=int, default=None, help="build a demo of this many customers first")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    if args.build:
        t = time.perf_counter()
        build_demo(DemoOptions(args.dir, customers=args.build, seed=args.seed, replace=True))
        print(f"demo built in {time.perf_counter() - t:.0f} s")
    with Workspace.open(args.dir) as ws:
        rows = {n: ws.store.count(n) for n in ("customers", "transactions", "interactions", "contracts")}
    t0 = time.perf_counter()
    with open_context(args.dir) as ctx:
        result = run(ctx, step=lambda m: print(f"{time.perf_counter() - t0:8.1f} s  {m}", flush=True))
    total = time.perf_counter() - t0
    d = result.to_dict()
    print(json.dumps({
        "rows": rows,
        "as_of": d["as_of"],
        "counts": d["counts"],
        "seconds": d["seconds"],
        "total_seconds": round(total, 1),
        "peak_memory_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
        "training_rows": d["model"].get("rows"),
        "customer_sample": d["model"].get("customer_sample"),
        "machine": f"{platform.python_version()}, {platform.machine()}",
    }, indent=2))


if __name__ == "__main__":
    main()
