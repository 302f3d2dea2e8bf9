"""One Records, built from the store's URL: DuckDB and PostgreSQL stores, Parquet folders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churnguard.errors import InputError
from churnguard.schema import TABLES, TRANSACTIONS
from churnguard.store import Records, Store, load_rows, parquet_url, records_from_url
from churnguard.store.records import RECORD_TABLES, conform, parquet_folder

ROWS = [
    {"record_key": "t1", "customer_id": "a", "occurred_at": date(2024, 1, 5), "amount": 10.0},
    {"record_key": "t2", "customer_id": "a", "occurred_at": date(2024, 3, 1), "amount": 5.0},
    {"record_key": "t3", "customer_id": "b", "occurred_at": date(2024, 2, 9), "amount": -2.0},
]


def _transactions() -> pa.Table:
    schema = TRANSACTIONS.ibis_schema().to_pyarrow()
    return pa.table({f.name: pa.array([r.get(f.name) for r in ROWS], f.type) for f in schema})


def _fill(url: str) -> None:
    store = Store(url)
    try:
        store.ensure_tables()
        data = _transactions()
        load_rows(store, TRANSACTIONS, data, kind="transactions", file="test", encoding=None, rows_read=data.num_rows)
    finally:
        store.close()


def _check(records: Records, engine: str) -> None:
    assert records.engine == engine
    for name in RECORD_TABLES:  # canonical columns only: no record_key, no extras
        assert getattr(records, name).columns == tuple(TABLES[name].column_names)
    assert records.transactions.count().execute() == 3
    assert records.last_date() == date(2024, 3, 1)
    assert records.known_at(date(2024, 2, 9)).transactions.count().execute() == 2


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_one_builder_reads_every_store(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if engine == "postgres":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"duckdb:///{tmp_path / 'records.duckdb'}"
    _fill(url)
    with records_from_url(url) as records:
        _check(records, engine)


def test_a_relative_duckdb_url_is_taken_from_base(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    _fill(f"duckdb:///{tmp_path / 'ws' / 'records.duckdb'}")
    with records_from_url("duckdb:///records.duckdb", base=tmp_path / "ws") as records:
        assert records.transactions.count().execute() == 3


def test_parquet_folders_read_by_any_backend(tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(_transactions(), folder / "transactions.parquet")
    # the Spark path reads the same way; DuckDB stands in for it here (the Spark run is in
    # tests/compute/measure)
    records = Records.from_parquet(ibis.duckdb.connect(), folder)
    _check(records, "duckdb")
    assert records.customers.count().execute() == 0  # no customers.parquet: no customers
    with pytest.raises(InputError, match=r"--data: .* holds no transactions\.parquet"):
        Records.from_parquet(ibis.duckdb.connect(), tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        Records.from_parquet(ibis.duckdb.connect(), tmp_path / "nothing", where="spark+parquet:///nothing")


def test_parquet_urls_name_their_folder() -> None:
    assert parquet_folder(parquet_url("/data/pq")) == Path("/data/pq")
    assert parquet_folder(parquet_url("data/pq")) == Path("data/pq")
    assert parquet_folder(parquet_url("data/pq"), Path("/ws")) == Path("/ws/data/pq")
    assert parquet_folder(parquet_url("/a b/100%")) == Path("/a b/100%")
    with pytest.raises(InputError, match="unsupported scheme 'sqlite'"):
        records_from_url("sqlite:///x.db")


def test_conform_types_columns_and_names_a_missing_required_one() -> None:
    t = ibis.memtable({"customer_id": ["a"], "occurred_at": ["2024-01-05"], "amount": [3], "extra": [1]})
    got = conform(t, "transactions", "x.parquet")
    assert got.columns == tuple(TRANSACTIONS.column_names)
    assert str(got.schema()["amount"]) == "float64" and str(got.schema()["paid_at"]) == "date"
    assert got.to_pandas()["quantity"].isna().all()
    with pytest.raises(InputError, match="x.parquet: no column 'amount'; existing columns: customer_id, occurred_at"):
        conform(t.drop("amount", "extra"), "transactions", "x.parquet")
    with pytest.raises(InputError, match="table 'contracts': no column 'contract_id'"):
        conform(ibis.memtable({"customer_id": ["a"]}), "contracts")
