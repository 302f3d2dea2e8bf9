"""Reading files as they come: encodings, delimiters, Excel, Parquet, queries."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churnguard.errors import InputError
from churnguard.ingest import detect_encoding, read_file, read_query

ROWS = "客户编号,下单日期,金额\nC1,2024-01-05,100\n客户二,2024/1/6,\"1,234.50\"\n"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_encoding_is_detected_and_text_survives(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(ROWS.encode(encoding))
    assert detect_encoding(path) == expected
    raw = read_file(path)
    assert raw.headers == ["客户编号", "下单日期", "金额"]
    assert raw.table.column("客户编号").to_pylist() == ["C1", "客户二"]
    assert raw.table.column("金额").to_pylist() == ["100", "1,234.50"]
    assert raw.table.column("_line").to_pylist() == [2, 3]


def test_encoding_can_be_forced_and_a_wrong_one_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(ROWS.encode("gbk"))
    with pytest.raises(InputError, match="encoding"):
        read_file(path, encoding="utf-8")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_file(path, encoding="klingon")


def test_tab_and_semicolon_delimiters(tmp_path: Path) -> None:
    for sep in ("\t", ";"):
        path = tmp_path / "x.csv"
        path.write_text(ROWS.replace(",", sep).replace('"1' + sep + '234.50"', "1234.50"), encoding="utf-8")
        raw = read_file(path)
        assert raw.headers == ["客户编号", "下单日期", "金额"]


def test_header_problems_name_the_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"dup.csv:1: header 'a' appears twice"):
        read_file(path)
    path.write_text("a,,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 2 has an empty header"):
        read_file(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_file(path)


def test_ragged_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(InputError, match="wrong number of columns"):
        read_file(path)


def test_excel_reads_typed_cells_as_text_with_sheet_lines(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])  # a blank first row: the header is the first non-empty row
    ws.append(["客户编号", "下单日期", "金额"])
    ws.append(["C1", datetime(2024, 1, 5), 1234.5])
    ws.append([None, None, None])
    ws.append([1001, 45292, 100.0])
    wb.save(path)
    raw = read_file(path)
    assert raw.headers == ["客户编号", "下单日期", "金额"]
    assert raw.table.column("客户编号").to_pylist() == ["C1", "1001"]
    assert raw.table.column("下单日期").to_pylist() == ["2024-01-05", "45292"]
    assert raw.table.column("金额").to_pylist() == ["1234.5", "100"]
    assert raw.table.column("_line").to_pylist() == [3, 5]
    with pytest.raises(InputError, match="no sheet 'Nope'"):
        read_file(path, sheet="Nope")


def test_parquet_and_bad_file_types(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"customer_id": ["a"], "occurred_at": [date(2024, 1, 5)], "amount": [1.5]}), path)
    raw = read_file(path)
    assert raw.table.num_rows == 1 and raw.table.column("_line").to_pylist() == [1]
    with pytest.raises(InputError, match="unknown file type '.doc'"):
        read_file(tmp_path / "x.doc")
    with pytest.raises(InputError, match="no such file"):
        read_file(tmp_path / "missing.csv")
    (tmp_path / "fake.xlsx").write_text("not a workbook")
    with pytest.raises(InputError, match="not a readable .xlsx"):
        read_file(tmp_path / "fake.xlsx")


def test_query_sources_sqlite_and_duckdb(tmp_path: Path) -> None:
    db = tmp_path / "erp.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (cust TEXT, d TEXT, amt REAL)")
        conn.execute("INSERT INTO orders VALUES ('C1', '2024-01-05', 12.5), ('C2', '2024-01-06', 3)")
    raw = read_query(f"sqlite:///{db}", "SELECT cust AS customer_id, d AS occurred_at, amt AS amount FROM orders")
    assert raw.table.column("customer_id").to_pylist() == ["C1", "C2"]
    assert raw.table.column("amount").to_pylist() == ["12.5", "3"]
    ddb = tmp_path / "erp.duckdb"
    with duckdb.connect(str(ddb)) as conn:
        conn.execute("CREATE TABLE o AS SELECT 'C9' AS customer_id, DATE '2024-02-01' AS occurred_at, 5.0 AS amount")
    raw = read_query(f"duckdb:///{ddb}", "SELECT * FROM o")
    assert raw.table.column("occurred_at").to_pylist() == ["2024-02-01"]
    with pytest.raises(InputError, match="the query failed"):
        read_query(f"sqlite:///{db}", "SELECT * FROM nope")
    with pytest.raises(InputError, match="unsupported database"):
        read_query("oracle://x/y", "SELECT 1")
