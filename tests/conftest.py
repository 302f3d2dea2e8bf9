"""Shared fixtures: workspaces on every engine, a throw-away PostgreSQL database per session.

Tests that need PostgreSQL (or Spark, or Chromium) skip when it is absent on a user's
machine, but fail instead when CHURNGUARD_REQUIRE_ALL=1 (CI sets it): no silent skips in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pytest

from churnguard.store import Workspace

PG_ADMIN_URL = os.environ.get("CHURNGUARD_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def require(ok: bool, what: str) -> None:
    """Skip (on a user's machine) or fail (in CI) when a needed service is missing."""
    if ok:
        return
    if os.environ.get("CHURNGUARD_REQUIRE_ALL") == "1":
        pytest.fail(f"{what} is required (CHURNGUARD_REQUIRE_ALL=1) but not available")
    pytest.skip(f"{what} not available")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"engines: duckdb {duckdb.__version__}, ibis {ibis.__version__}; postgres admin {PG_ADMIN_URL}"]


def _pg_admin():
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1), autocommit=True,
                               connect_timeout=3)
    except Exception:
        return None


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end; yields its URL."""
    admin = _pg_admin()
    require(admin is not None, f"PostgreSQL at {PG_ADMIN_URL}")
    name = f"cg_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """The session database, emptied of tables before each test."""
    import psycopg

    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield pg_server_url


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> str:
    """The name of each store engine in turn."""
    return request.param


@pytest.fixture
def workspace(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """An empty workspace on each engine."""
    url = request.getfixturevalue("pg_url") if engine == "postgres" else None
    ws = Workspace.init(tmp_path / "ws", database_url=url)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def duck_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace on the embedded DuckDB file."""
    ws = Workspace.init(tmp_path / "ws")
    try:
        yield ws
    finally:
        ws.close()


def same_figures(a: object, b: object, rel: float = 1e-9) -> bool:
    """Whether two JSON results hold the same figures; floats may differ in the last bits.

    DuckDB sums in parallel, so the order of additions (and the last bits of a float sum)
    can differ between two runs of the same query.
    """
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == pytest.approx(b, rel=rel, abs=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_figures(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_figures(x, y, rel) for x, y in zip(a, b, strict=True))
    return a == b


def call(path: Path, use_case, *args, as_of=None, **kwargs):
    """``use_case(ctx, *args, **kwargs)`` in a context opened on the workspace ``path`` for this
    call alone (as one CLI command does), as of ``as_of``."""
    from churnguard.service.context import open_context

    with open_context(path, as_of=as_of) as ctx:
        return use_case(ctx, *args, **kwargs)
