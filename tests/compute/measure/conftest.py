"""Fixtures of the measure tests: tables built by hand on DuckDB, PostgreSQL or Spark.

``engine`` is parametrised over the three engines. PostgreSQL and Spark skip when absent,
unless ``CHURNGUARD_REQUIRE_ALL=1`` (CI), where their absence fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from measure_rows import Builder, load_store, write_parquet

from churnguard.store import Store
from churnguard.store.records import Records

REQUIRE_ALL = os.environ.get("CHURNGUARD_REQUIRE_ALL") == "1"
PG_ADMIN_URL = os.environ.get("CHURNGUARD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def unavailable(what: str) -> None:
    """Skip, or fail when CI requires every engine."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} (CHURNGUARD_REQUIRE_ALL=1 requires it)")
    pytest.skip(what)


@pytest.fixture
def duck(tmp_path) -> Iterator[Builder]:
    """A builder on a DuckDB file under ``tmp_path``."""
    store = Store(f"duckdb:///{tmp_path / 'measure.duckdb'}")
    store.ensure_tables()
    yield Builder("duckdb", lambda rows: load_store(store, rows))
    store.close()


@pytest.fixture(scope="session")
def measure_pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session, dropped at the end."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # no server
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"cg_measure_{uuid.uuid4().hex[:10]}"  # random: parallel sessions never collide
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def measure_pg_store(measure_pg_url) -> Iterator[Store]:
    """One store on the session's PostgreSQL database.

    Its own database (not the shared ``pg_server_url``, whose per-test schema reset would
    wait on this session-long connection).
    """
    store = Store(measure_pg_url)
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
        store = request.getfixturevalue("measure_pg_store")
        yield Builder("postgres", lambda rows: load_store(store, rows))
    else:
        con = request.getfixturevalue("spark_con")
        counter = iter(range(1000))

        def make(rows):
            folder = write_parquet(tmp_path / f"data{next(counter)}", rows)
            return Records.from_parquet(con, folder)

        yield Builder("spark", make)
