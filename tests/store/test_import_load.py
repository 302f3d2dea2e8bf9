"""Imports are atomic and idempotent, on DuckDB and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churnguard.errors import InputError, WorkspaceError
from churnguard.service.imports import ImportOptions, import_data
from churnguard.store import Workspace

ORDERS = "客户编号,下单日期,金额,数量\nC1,2024-01-05,\"￥1,200.00\",2\nC1,2024-01-05,\"￥1,200.00\",2\nC2,2024/2/1,-56,1\n"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _rows(ws: Workspace, table: str) -> pd.DataFrame:
    return ws.store.table(table).to_pandas()


def test_import_twice_changes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS, "gbk")
    first = import_data(workspace, ImportOptions("transactions", file=path))
    assert (first.rows_read, first.rows_imported, first.rows_unchanged, first.encoding) == (3, 3, 0, "gbk/gb18030")
    second = import_data(workspace, ImportOptions("transactions", file=path))
    assert (second.rows_imported, second.rows_unchanged) == (0, 3)
    tx = _rows(workspace, "transactions")
    assert len(tx) == 3
    assert sorted(tx["amount"]) == [-56.0, 1200.0, 1200.0]
    # customers first seen in transactions exist from then on
    cust = _rows(workspace, "customers").set_index("customer_id")
    assert sorted(cust.index) == ["C1", "C2"]
    assert str(cust.loc["C2", "first_seen_at"])[:10] == "2024-02-01"
    log = _rows(workspace, "imports")
    assert list(log["rows_imported"]) in ([3, 0], [0, 3]) and len(log) == 2


def test_a_bad_row_leaves_the_store_unchanged(workspace: Workspace, tmp_path: Path) -> None:
    import_data(workspace, ImportOptions("transactions", file=_write(tmp_path, "a.csv", ORDERS)))
    before = _rows(workspace, "transactions").sort_values("record_key").reset_index(drop=True)
    bad = _write(tmp_path, "b.csv", "客户编号,下单日期,金额\nC3,2024-03-01,10\nC4,2024-03-02,十元\n")
    summary = import_data(workspace, ImportOptions("transactions", file=bad))
    assert not summary.ok and summary.error_count == 1 and summary.rows_imported == 0
    after = _rows(workspace, "transactions").sort_values("record_key").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)
    assert "C3" not in set(_rows(workspace, "customers")["customer_id"])


def test_a_failure_while_writing_rolls_everything_back(workspace: Workspace, tmp_path: Path) -> None:
    """The import log is written last: when that write fails, the data writes are undone too."""
    path = _write(tmp_path, "orders.csv", ORDERS)
    with workspace.store.transaction() as cur:
        cur.execute('ALTER TABLE "imports" RENAME TO "imports_gone"')
    with pytest.raises(Exception, match="imports"):
        import_data(workspace, ImportOptions("transactions", file=path))
    assert workspace.store.count("transactions") == 0
    assert workspace.store.count("customers") == 0


def test_dry_run_counts_exactly_and_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS)
    import_data(workspace, ImportOptions("transactions", file=path))
    more = _write(tmp_path, "more.csv", ORDERS + "C9,2024-05-01,7,1\n")
    dry = import_data(workspace, ImportOptions("transactions", file=more, dry_run=True))
    assert (dry.rows_imported, dry.rows_unchanged) == (1, 3)
    assert workspace.store.count("transactions") == 3


def test_customer_file_fills_in_details_and_updates(workspace: Workspace, tmp_path: Path) -> None:
    import_data(workspace, ImportOptions("transactions", file=_write(tmp_path, "o.csv", ORDERS)))
    cust = _write(tmp_path, "c.csv", "客户编号,客户名称,区域,客户类型\nC1,甲公司,华东,大客户\nC3,丙公司,,普通客户\n")
    s = import_data(workspace, ImportOptions("customers", file=cust))
    assert (s.rows_imported, s.rows_unchanged) == (2, 0)
    again = import_data(workspace, ImportOptions("customers", file=cust))
    assert (again.rows_imported, again.rows_unchanged) == (0, 2)
    # a later file with a blank region keeps the stored one; a changed name updates it
    upd = _write(tmp_path, "c2.csv", "客户编号,客户名称,区域\nC1,甲公司（新）,\n")
    s = import_data(workspace, ImportOptions("customers", file=upd))
    assert s.rows_imported == 1
    rows = _rows(workspace, "customers").set_index("customer_id")
    assert rows.loc["C1", "name"] == "甲公司（新）"
    assert rows.loc["C1", "region"] == "华东"
    assert rows.loc["C1", "customer_type"] == "key"
    assert str(rows.loc["C1", "first_seen_at"])[:10] == "2024-01-05"
    assert len(rows) == 3


def test_contracts_update_by_contract_id(workspace: Workspace, tmp_path: Path) -> None:
    a = _write(tmp_path, "k.csv", "合同编号,客户编号,开始日期,结束日期,合同金额\nK1,C1,2024-01-01,2024-12-31,12000\n")
    import_data(workspace, ImportOptions("contracts", file=a))
    b = _write(tmp_path, "k2.csv", "合同编号,客户编号,开始日期,结束日期,合同金额,取消日期\nK1,C1,2024-01-01,2024-12-31,12000,2024-06-30\n")
    s = import_data(workspace, ImportOptions("contracts", file=b))
    assert s.rows_imported == 1
    rows = _rows(workspace, "contracts")
    assert len(rows) == 1 and str(rows["cancelled_at"][0])[:10] == "2024-06-30"


def test_frames_go_through_the_same_validation(workspace: Workspace) -> None:
    import pyarrow as pa

    frame = pa.table({"customer_id": ["A", "B"], "occurred_at": ["2024-01-01", "not a date"], "amount": [1.0, 2.0]})
    s = import_data(workspace, ImportOptions("transactions", frame=frame, frame_name="simulator"))
    assert s.error_count == 1 and s.errors[0].file == "simulator" and s.errors[0].line == 2


def test_unknown_kind_and_missing_source(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown kind 'orders'; choose one of: customers, transactions"):
        import_data(workspace, ImportOptions("orders", file=tmp_path / "x.csv"))
    with pytest.raises(InputError, match="--query needs --source"):
        import_data(workspace, ImportOptions("transactions", query="SELECT 1"))


@pytest.mark.postgres
def test_query_source_postgresql(pg_url: str, duck_workspace: Workspace) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE erp_orders (kh text, rq date, je numeric(12,2))")
        conn.execute("INSERT INTO erp_orders VALUES ('C1', '2024-01-05', 10.50), ('C2', '2024-01-06', 3)")
    s = import_data(duck_workspace, ImportOptions(
        "transactions", source=pg_url,
        query="SELECT kh AS customer_id, rq AS occurred_at, je AS amount FROM erp_orders"))
    assert s.ok and s.rows_imported == 2
    assert sorted(_rows(duck_workspace, "transactions")["amount"]) == [3.0, 10.5]


def test_query_source_mariadb(duck_workspace: Workspace) -> None:
    import pymysql

    from tests.conftest import require

    try:
        conn = pymysql.connect(host="127.0.0.1", user="root", password="", database="test", connect_timeout=3)
    except pymysql.err.OperationalError:
        conn = None
    require(conn is not None, "MariaDB on 127.0.0.1:3306")
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS cg_orders")
        cur.execute("CREATE TABLE cg_orders (客户编号 VARCHAR(20), 日期 DATE, 金额 DECIMAL(10,2)) CHARACTER SET utf8mb4")
        cur.execute("INSERT INTO cg_orders VALUES ('甲', '2024-01-05', 10.50)")
    conn.commit()
    try:
        s = import_data(duck_workspace, ImportOptions("transactions", source="mysql://root@127.0.0.1:3306/test",
                                                      query="SELECT * FROM cg_orders"))
        assert s.ok and s.rows_imported == 1
        assert list(_rows(duck_workspace, "transactions")["customer_id"]) == ["甲"]
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP TABLE cg_orders")
        conn.close()


def test_workspace_errors(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not a churnguard workspace"):
        Workspace.open(tmp_path)
    Workspace.init(tmp_path / "w").close()
    with pytest.raises(WorkspaceError, match="already a workspace"):
        Workspace.init(tmp_path / "w")
    with pytest.raises(WorkspaceError, match="unsupported scheme 'oracle'"):
        Workspace.init(tmp_path / "o", database_url="oracle://x/y")
    assert not (tmp_path / "o" / "churnguard.toml").exists()
    with pytest.raises(WorkspaceError, match="cannot open database"):
        Workspace.init(tmp_path / "p", database_url="postgresql://nobody:secret@127.0.0.1:1/x")


def test_a_locked_duckdb_file_says_who_holds_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    ws = Workspace.init(tmp_path / "w")
    try:
        p = subprocess.run([sys.executable, "-m", "churnguard", "status", "-w", str(tmp_path / "w")],
                           capture_output=True, text=True, check=False)
    finally:
        ws.close()
    assert p.returncode == 2
    assert "another churnguard process" in p.stderr


def _indexes(ws: Workspace) -> set[str]:
    cur = ws.store.raw.cursor()
    if ws.store.dialect == "duckdb":
        cur.execute("SELECT index_name FROM duckdb_indexes()")
    else:
        cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    return {r[0] for r in cur.fetchall()}


def test_indexed_tables_take_imports_and_changes_as_before(workspace: Workspace, tmp_path: Path) -> None:
    """`churnguard run` indexes customer_id for the customer pages; imports into the indexed
    tables (new rows, changed rows, a failed file) behave exactly as without the index."""
    import_data(workspace, ImportOptions("transactions", file=_write(tmp_path, "a.csv", ORDERS)))
    workspace.store.ensure_indexes()
    workspace.store.ensure_indexes()  # once is enough; again changes nothing
    names = _indexes(workspace)
    assert {"ix_transactions_customer_id", "ix_customers_customer_id", "ix_interactions_customer_id"} <= names
    more = _write(tmp_path, "b.csv", ORDERS + "C3,2024-03-01,10,1\n")
    summary = import_data(workspace, ImportOptions("transactions", file=more))
    assert (summary.rows_imported, summary.rows_unchanged) == (1, 3)
    bad = _write(tmp_path, "c.csv", "客户编号,下单日期,金额\nC4,2024-03-01,10\nC5,2024-03-02,十元\n")
    assert not import_data(workspace, ImportOptions("transactions", file=bad)).ok
    t = workspace.store.table("transactions")
    assert len(t.to_pandas()) == 4
    one = workspace.store.customer_rows("transactions", "C1")  # what the customer page asks
    assert len(one) == 2 and set(one["amount"]) == {1200.0} and str(one["occurred_at"].iloc[0]) == "2024-01-05"
    assert "record_key" in one.columns and workspace.store.customer_rows("transactions", "C1' OR '1'='1").empty
