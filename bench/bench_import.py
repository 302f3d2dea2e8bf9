"""Import benchmark: `churnguard import transactions` against DuckDB's own read_csv, same file, one run.

Usage: python bench/bench_import.py --rows 10000000 [--gbk] [--postgres URL]

Writes a transactions CSV with Chinese headers and values as people write them (¥ amounts with
thousands separators, mixed date forms), then times:
  1. DuckDB read_csv of that file into a table (typed by DuckDB's sniffer) — the floor;
  2. churnguard's import (read, map headers, parse and check every value, hash record keys,
     atomic load into a DuckDB workspace);
  3. the same import again (idempotent: everything unchanged).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb


def make_csv(path: Path, rows: int, gbk: bool) -> None:
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT 'C' || lpad(CAST((i * 7919) % {max(rows // 10, 1)} AS VARCHAR), 7, '0') AS "客户编号",
                 CASE WHEN i % 3 = 0 THEN strftime(DATE '2023-01-01' + CAST(i % 700 AS INTEGER), '%Y/%-m/%-d')
                      ELSE strftime(DATE '2023-01-01' + CAST(i % 700 AS INTEGER), '%Y-%m-%d') END AS "下单日期",
                 '¥' || format('{{:,.2f}}', ((i * 31) % 500000) / 100.0) AS "金额",
                 CAST(1 + i % 5 AS VARCHAR) AS "数量",
                 'P' || CAST(i % 300 AS VARCHAR) AS "产品",
                 'O' || CAST(i AS VARCHAR) AS "订单号"
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    if gbk:
        data = path.read_text(encoding="utf-8").replace("¥", "￥")
        path.write_bytes(data.encode("gbk"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--gbk", action="store_true", help="write the file in GBK")
    ap.add_argument("--postgres", default=None, help="also import into this PostgreSQL database URL")
    args = ap.parse_args()

    from churnguard.service.imports import ImportOptions, import_data
    from churnguard.store import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-import-"))
    try:
        csv = tmp / "订单.csv"
        t = time.perf_counter()
        make_csv(csv, args.rows, args.gbk)
        print(f"wrote {args.rows:,} rows, {csv.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t:.1f}s"
              f" ({'GBK' if args.gbk else 'UTF-8'})")

        con = duckdb.connect(str(tmp / "plain.duckdb"))
        t = time.perf_counter()
        enc = ", encoding='utf-8'" if not args.gbk else ""
        if args.gbk:  # DuckDB cannot read GBK without a downloadable extension: transcode first
            utf = tmp / "utf8.csv"
            utf.write_text(csv.read_bytes().decode("gb18030"), encoding="utf-8")
            src = utf
        else:
            src = csv
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{src}'{enc})")
        duck_s = time.perf_counter() - t
        con.close()
        print(f"duckdb read_csv into a table: {duck_s:.1f}s")

        ws = Workspace.init(tmp / "ws")
        t = time.perf_counter()
        s = import_data(ws, ImportOptions("transactions", file=csv))
        ours = time.perf_counter() - t
        assert s.ok and s.rows_imported == args.rows, s.to_dict()
        print(f"churnguard import: {ours:.1f}s ({args.rows / ours:,.0f} rows/s) = {ours / duck_s:.1f}x duckdb read_csv")
        t = time.perf_counter()
        s2 = import_data(ws, ImportOptions("transactions", file=csv))
        again = time.perf_counter() - t
        assert s2.rows_unchanged == args.rows and s2.rows_imported == 0
        print(f"churnguard import again (all unchanged): {again:.1f}s")
        ws.close()
        if args.postgres:
            pws = Workspace.init(tmp / "pg", database_url=args.postgres)
            t = time.perf_counter()
            s3 = import_data(pws, ImportOptions("transactions", file=csv))
            pg_s = time.perf_counter() - t
            assert s3.ok
            print(f"churnguard import into PostgreSQL: {pg_s:.1f}s ({args.rows / pg_s:,.0f} rows/s)")
            pws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
