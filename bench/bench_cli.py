"""Start-up benchmark of the command line: how long `churnguard --help` and `churnguard status`
take against `python -c "import duckdb"` on the same machine (medians of N runs).

Usage: python bench/bench_cli.py [--runs 9] [--workspace DIR]

Without --workspace a small demo workspace (300 customers, 12 months) is built in a temporary
folder first. The bars (issue 14): --help within 3x and status within 5x of importing DuckDB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def churnguard_script() -> list[str]:
    """The installed ``churnguard`` script next to this Python, else ``python -m`` of the package."""
    script = Path(sys.executable).with_name("churnguard")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from churnguard.present.cli import main; main()"]


def median_seconds(cmd: list[str], runs: int) -> float:
    """The median wall time of ``runs`` runs of ``cmd`` (one warm-up run first, not counted)."""
    subprocess.run(cmd, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()
    cg = churnguard_script()
    tmp = None
    workspace = args.workspace
    if workspace is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-cli-"))
        workspace = tmp / "shop"
        subprocess.run([*cg, "demo", "--dir", str(workspace), "--customers", "300", "--months", "12", "--json"],
                       capture_output=True, check=True)
    try:
        base = median_seconds([sys.executable, "-c", "import duckdb"], args.runs)
        help_ = median_seconds([*cg, "--help"], args.runs)
        status = median_seconds([*cg, "status", "-w", str(workspace)], args.runs)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; medians of {args.runs} runs")
    print(f"python -c 'import duckdb'   {base:6.3f} s")
    print(f"churnguard --help           {help_:6.3f} s   {help_ / base:4.1f}x  (bar 3x)")
    print(f"churnguard status           {status:6.3f} s   {status / base:4.1f}x  (bar 5x)")


if __name__ == "__main__":
    main()
