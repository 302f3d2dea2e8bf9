"""Time the simulator: customers, rows per table, seconds and rows per second.

Run from the repository root::

    PYTHONPATH=src python bench/bench_simulate.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import time

from churnguard.simulate import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="customer counts")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    for n in args.sizes:
        t0 = time.perf_counter()
        sim = simulate(customers=n, months=args.months, seed=args.seed)
        seconds = time.perf_counter() - t0
        rows = {kind: len(df) for kind, df in sim.tables.items()}
        total = sum(rows.values()) + len(sim.truth)
        print(f"customers={n:,} months={args.months} seconds={seconds:.1f} rows={total:,} rows/s={total / seconds:,.0f}")
        for kind, count in rows.items():
            print(f"  {kind:<17} {count:>12,}")
        print(f"  {'truth':<17} {len(sim.truth):>12,}")


if __name__ == "__main__":
    main()
