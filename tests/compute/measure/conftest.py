"""Fixtures of the measure tests: tables built by hand on DuckDB, PostgreSQL or Spark.

``engine`` is parametrised over the three engines. PostgreSQL and Spark skip when absent,
unless ``CHURNGUARD_REQUIRE_ALL=1`` (CI), where their absence fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churnguard.compute.measure import Sources
from churnguard.schema import CONTRACTS, CUSTOMERS, TRANSACTIONS, Table
from churnguard.store import Store, load_rows

REQUIRE_ALL = os.environ.get("CHURNGUARD_REQUIRE_ALL") == "1"
PG_ADMIN_URL = os.environ.get("CHURNGUARD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KINDS = {"customers": CUSTOMERS, "transactions": TRANSACTIONS, "contracts": CONTRACTS}


def unavailable(what: str) -> None:
    """Skip, or fail when CI requires every engine."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} (CHURNGUARD_REQUIRE_ALL=1 requires it)")
    pytest.skip(what)


def arrow_rows(table: Table, rows: list[dict]) -> pa.Table:
    """Rows (dicts of canonical columns; missing ones NULL) as an Arrow table with ``record_key``."""
    schema = table.ibis_schema().to_pyarrow()
    names = ["record_key", *table.column_names]
    data = {}
    for name in names:
        if name == "record_key":
            key = table.natural_key
            data[name] = [
                "|".join(str(r[k]) for k in key) if key else f"row{i}" for i, r in enumerate(rows)
            ]
        else:
            data[name] = [r.get(name) for r in rows]
    return pa.table({n: pa.array(data[n], schema.field(n).type) for n in names})


class Builder:
    """Builds :class:`Sources` from rows on one engine."""

    def __init__(self, name: str, make):
        self.name = name
        self._make = make

    def __call__(self, *, customers=(), transactions=(), contracts=()) -> Sources:
        return self._make({"customers": list(customers), "transactions": list(transactions),
                           "contracts": list(contracts)})


def _load_store(store: Store, rows: dict[str, list[dict]]) -> Sources:
    with store.transaction() as cur:
        for name in ("customers", "transactions", "contracts", "imports"):
            cur.execute(f"DELETE FROM {name}")
    for kind, table in KINDS.items():
        if rows[kind]:
            data = arrow_rows(table, rows[kind])
            load_rows(store, table, data, kind=kind, file="test", encoding=None, rows_read=data.num_rows)
    return Sources.from_backend(store.con)


@pytest.fixture
def duck(tmp_path) -> Iterator[Builder]:
    """A builder on a DuckDB file under ``tmp_path``."""
    store = Store(f"duckdb:///{tmp_path / 'measure.duckdb'}")
    store.ensure_tables()
    yield Builder("duckdb", lambda rows: _load_store(store, rows))
    store.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session, dropped at the end."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # no server
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"cg_measure_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def pg_store(pg_url) -> Iterator[Store]:
    """One store on the session's PostgreSQL database."""
    store = Store(pg_url)
    store.ensure_tables()
    yield store
    store.close()


@pytest.fixture(scope="session")
def spark_con():
    """An Ibis backend over one local Spark session (local[2]) for the whole test run."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        unavailable("pyspark is not installed (pip install 'churnguard[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unavailable("no Java runtime for Spark")
    import ibis

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("churnguard-tests")
        .config("spark.sql.shuffle.partitions", "2")
        # tiny tables: planning and code generation cost more than they save
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(spark)
    spark.stop()


def write_parquet(folder: Path, rows: dict[str, list[dict]]) -> Path:
    """Write the rows as ``<kind>.parquet`` files in ``folder`` (the ``--data`` layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, table in KINDS.items():
        if rows.get(kind):
            pq.write_table(arrow_rows(table, rows[kind]), folder / f"{kind}.parquet")
    return folder


@pytest.fixture(params=[
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow]),
])
def engine(request, tmp_path) -> Iterator[Builder]:
    """A builder on each engine in turn: DuckDB, PostgreSQL, Spark (over Parquet files)."""
    if request.param == "duckdb":
        yield request.getfixturevalue("duck")
    elif request.param == "postgres":
        store = request.getfixturevalue("pg_store")
        yield Builder("postgres", lambda rows: _load_store(store, rows))
    else:
        con = request.getfixturevalue("spark_con")
        counter = iter(range(1000))

        def make(rows):
            folder = write_parquet(tmp_path / f"data{next(counter)}", rows)
            return Sources.from_parquet(con, folder)

        yield Builder("spark", make)
