"""Schema versions and migrations: a workspace written by the previous release opens, migrated,
with its rows; a newer one is refused; a failed migration changes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from churnguard.errors import WorkspaceError
from churnguard.schema import TABLES
from churnguard.service import audit, users
from churnguard.settings import SETTINGS_FILE, Settings, save_settings
from churnguard.store import Store, Workspace, migrations
from churnguard.store.engine import column_types

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
PW = "correct horse battery"
TOKEN = "cg_" + "t" * 43

#: the tables as the release before issue 17 made them, word for word (no schema_info; users
#: without disabled_at, api_tokens without expiry and last use; no sessions, login_failures or
#: audit_log)
PREVIOUS_RELEASE_DDL = (
    'CREATE TABLE IF NOT EXISTS "customers" ("record_key" TEXT, "customer_id" TEXT, "name" TEXT, "segment" TEXT, '
    '"region" TEXT, "customer_type" TEXT, "acquired_at" DATE, "birthday" DATE, "group_id" TEXT, "csm" TEXT, '
    '"email" TEXT, "phone" TEXT, "first_seen_at" DATE)',
    'CREATE TABLE IF NOT EXISTS "transactions" ("record_key" TEXT, "customer_id" TEXT, "occurred_at" DATE, '
    '"amount" DOUBLE PRECISION, "quantity" DOUBLE PRECISION, "unit_price" DOUBLE PRECISION, '
    '"cost" DOUBLE PRECISION, "product" TEXT, "category" TEXT, "order_id" TEXT, "due_at" DATE, "paid_at" DATE)',
    'CREATE TABLE IF NOT EXISTS "contracts" ("record_key" TEXT, "contract_id" TEXT, "customer_id" TEXT, '
    '"start_at" DATE, "end_at" DATE, "recurring_value" DOUBLE PRECISION, "renewed_from" TEXT, "cancelled_at" DATE)',
    'CREATE TABLE IF NOT EXISTS "interactions" ("record_key" TEXT, "customer_id" TEXT, "occurred_at" DATE, '
    '"kind" TEXT, "channel" TEXT, "direction" TEXT)',
    'CREATE TABLE IF NOT EXISTS "complaints" ("record_key" TEXT, "complaint_id" TEXT, "customer_id" TEXT, '
    '"opened_at" DATE, "category" TEXT, "severity" TEXT, "text" TEXT, "resolved_at" DATE, "resolution" TEXT)',
    'CREATE TABLE IF NOT EXISTS "surveys" ("record_key" TEXT, "customer_id" TEXT, "answered_at" DATE, '
    '"satisfaction" BIGINT, "nps" BIGINT, "comment" TEXT)',
    'CREATE TABLE IF NOT EXISTS "churn_reasons" ("record_key" TEXT, "customer_id" TEXT, "recorded_at" DATE, '
    '"reason" TEXT, "kind" TEXT, "competitor" TEXT, "notes" TEXT, "source" TEXT)',
    'CREATE TABLE IF NOT EXISTS "wallet_estimates" ("record_key" TEXT, "customer_id" TEXT, "period_start" DATE, '
    '"estimated_total_spend" DOUBLE PRECISION)',
    'CREATE TABLE IF NOT EXISTS "imports" ("record_key" TEXT, "import_id" TEXT, "kind" TEXT, "file" TEXT, '
    '"encoding" TEXT, "rows_read" BIGINT, "rows_imported" BIGINT, "rows_unchanged" BIGINT, "imported_at" TIMESTAMP)',
    'CREATE TABLE IF NOT EXISTS "truth" ("record_key" TEXT, "customer_id" TEXT, "churned" BOOLEAN, '
    '"churned_at" DATE, "churn_kind" TEXT, "partial_from" DATE, "churn_reason" TEXT, "acquired_at" DATE, '
    '"contractual" BOOLEAN, "price_sensitive" BOOLEAN, "satisfaction" DOUBLE PRECISION)',
    'CREATE TABLE IF NOT EXISTS "users" ("record_key" TEXT, "user_id" TEXT, "role" TEXT, "password_hash" TEXT, '
    '"csm_name" TEXT, "language" TEXT, "created_at" TIMESTAMP)',
    'CREATE TABLE IF NOT EXISTS "api_tokens" ("record_key" TEXT, "token_hash" TEXT, "user_id" TEXT, '
    '"created_at" TIMESTAMP)',
)


def previous_release_workspace(folder: Path, url: str | None) -> Workspace:
    """A workspace as the previous release left it: its settings, its tables, a few rows."""
    folder.mkdir(parents=True)
    save_settings(folder / SETTINGS_FILE, Settings(**({"database_url": url} if url else {})))
    ws = Workspace(folder, Settings(**({"database_url": url} if url else {})))
    store = ws.store
    p = store.paramstyle
    now = datetime(2026, 5, 4, 3, 2, 1)
    with store.transaction() as cur:
        for ddl in PREVIOUS_RELEASE_DDL:
            cur.execute(ddl)
        cur.execute(f"INSERT INTO customers (record_key, customer_id, name) VALUES ({p}, {p}, {p})",
                    ("C1", "C1", "华东贸易"))
        for n, amount in enumerate((120.0, 80.5)):
            cur.execute(f"INSERT INTO transactions (record_key, customer_id, occurred_at, amount) "
                        f"VALUES ({p}, {p}, {p}, {p})", (f"k{n}", "C1", now.date(), amount))
        cur.execute(f"INSERT INTO imports (record_key, import_id, kind, rows_read, imported_at) "
                    f"VALUES ({p}, {p}, {p}, {p}, {p})", ("i1", "i1", "transactions", 2, now))
        cur.execute(f"INSERT INTO users (record_key, user_id, role, password_hash, created_at) "
                    f"VALUES ({p}, {p}, {p}, {p}, {p})", ("王芳", "王芳", "admin", users.hash_password(PW), now))
        h = users.token_hash(TOKEN)
        cur.execute(f"INSERT INTO api_tokens (record_key, token_hash, user_id, created_at) VALUES ({p}, {p}, {p}, {p})",
                    (h, h, "王芳", now))
    ws.close()
    return ws


def _url(engine: str, request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("pg_url") if engine == "postgres" else None


def _columns(store: Store, table: str) -> list[str]:
    return list(store.table(table).columns)


def test_the_migrations_from_nothing_make_exactly_the_schema() -> None:
    assert migrations.schema_after() == {t.name: column_types(t) for t in TABLES.values()}
    assert [m.version for m in migrations.MIGRATIONS] == list(range(1, migrations.LATEST + 1))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_workspace_records_the_latest_version(engine: str, workspace: Workspace) -> None:
    assert migrations.schema_version(workspace.store) == migrations.LATEST
    for table in TABLES.values():
        assert set(_columns(workspace.store, table.name)) == set(column_types(table))
    assert not list(workspace.path.glob("*.before-v*"))  # nothing to keep a copy of


@pytest.mark.parametrize("engine", ENGINES)
def test_opens_a_workspace_written_by_the_previous_release(engine: str, tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    folder = tmp_path / "old"
    previous_release_workspace(folder, _url(engine, request))
    with Workspace.open(folder) as ws:
        store = ws.store
        assert migrations.schema_version(store) == migrations.LATEST
        rows = store.raw.execute("SELECT version FROM schema_info ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, migrations.LATEST + 1))
        for table in TABLES.values():  # new tables and new columns
            assert set(_columns(store, table.name)) == set(column_types(table))
        # the rows are kept, and the new features work on them
        assert store.count("customers") == 1 and store.count("transactions") == 2 and store.count("imports") == 1
        assert users.authenticate(ws, "王芳", PW).user_id == "王芳"
        assert users.user_for_token(ws, TOKEN).user_id == "王芳"  # no expiry on an old token
        assert users.session_user(ws, users.start_session(ws, "王芳")).user_id == "王芳"
        audit.record(ws, "sign_in", "王芳", actor="web:王芳")
        assert audit.events(ws).to_dict()["count"] == 1
        assert users.list_users(ws).to_dict()["data"][0]["disabled_at"] is None
    backups = sorted(folder.glob("*.before-v*"))
    if engine == "duckdb":  # a copy of the file as the previous release left it
        assert [b.name for b in backups] == [f"churnguard.duckdb.before-v{migrations.LATEST}"]
        con = duckdb.connect(str(backups[0]), read_only=True)
        try:
            assert "disabled_at" not in [r[0] for r in con.execute("DESCRIBE users").fetchall()]
            assert con.execute("SELECT user_id FROM users").fetchall() == [("王芳",)]
            assert "schema_info" not in [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        finally:
            con.close()
    else:
        assert backups == []
    with Workspace.open(folder) as again:  # current now: no second migration, no second copy
        assert migrations.schema_version(again.store) == migrations.LATEST
        assert again.store.raw.execute("SELECT count(*) FROM schema_info").fetchone()[0] == migrations.LATEST
    assert sorted(folder.glob("*.before-v*")) == backups


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failed_migration_changes_nothing(engine: str, tmp_path: Path, request: pytest.FixtureRequest,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "old"
    previous_release_workspace(folder, _url(engine, request))

    def fail(cur: object, store: Store) -> None:
        raise RuntimeError("a value that cannot be converted")

    broken = (*migrations.MIGRATIONS, migrations.Migration(migrations.LATEST + 1, "fails",
                                                            (migrations.Transform(fail),)))
    monkeypatch.setattr(migrations, "MIGRATIONS", broken)
    monkeypatch.setattr(migrations, "LATEST", migrations.LATEST + 1)
    with pytest.raises(WorkspaceError, match="cannot be converted"):
        Workspace.open(folder)
    monkeypatch.undo()
    with Workspace.open(folder, create_tables=False) as ws:  # as the previous release left it
        assert migrations.schema_version(ws.store) == 0
        assert "disabled_at" not in _columns(ws.store, "users")
        assert not ws.store.has_table("sessions") and not ws.store.has_table("schema_info")
        assert ws.store.count("transactions") == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_workspace_of_a_newer_version_is_refused(engine: str, workspace: Workspace) -> None:
    p = workspace.store.paramstyle
    with workspace.store.transaction() as cur:
        cur.execute(f"INSERT INTO schema_info (version, description) VALUES ({p}, {p})",
                    (migrations.LATEST + 1, "from the future"))
    workspace.close()
    with pytest.raises(WorkspaceError, match=f"schema version {migrations.LATEST + 1}, newer"):
        Workspace.open(workspace.path)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_workspace_of_this_schema_made_before_versions_were_recorded(engine: str, workspace: Workspace) -> None:
    users.add_user(workspace, users.UserCreate("admin", "admin", PW))
    with workspace.store.transaction() as cur:
        cur.execute('DROP TABLE "schema_info"')
    workspace.close()
    with Workspace.open(workspace.path) as ws:
        assert migrations.schema_version(ws.store) == migrations.LATEST
        assert users.authenticate(ws, "admin", PW).user_id == "admin"
    assert len(list(workspace.path.glob("*.before-v*"))) == (engine == "duckdb")
