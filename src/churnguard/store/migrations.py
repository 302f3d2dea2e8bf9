"""Schema versions: the workspace records its version, and opening an older one migrates it.

Table ``schema_info`` holds one row per migration applied (``version``, ``applied_at``,
``description``); the workspace's version is the highest. Opening a workspace
(:meth:`Store.ensure_tables`) applies the migrations it lacks, in order:

- on DuckDB, after a copy of the database file as it was (``<file>.before-v<N>``, N the version
  migrated to; the log says where), then in one transaction;
- on PostgreSQL, in one transaction (holding a lock, so two processes opening the same old
  workspace migrate it once).

A workspace made before versions were recorded (tables, but no ``schema_info``) counts as
version 0: every step below checks what is there first (a table made, a column added only
when missing), so it is brought up to date whatever part of the schema it had. A workspace of
a newer version than this code knows is refused with a message saying so.

**Later work changes the schema here only**: add a :class:`Migration` with the next number at
the end of :data:`MIGRATIONS` (new tables, new columns, a :class:`Transform` of stored
values), and the same change to :mod:`churnguard.schema`; a test checks that the migrations
from nothing give exactly the tables of the schema. Never edit a migration that has shipped.

After migrating (or finding the version current), tables or columns of the schema that are
missing all the same — a workspace damaged by hand — are made again, with a warning.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from churnguard.errors import WorkspaceError
from churnguard.schema import TABLES
from churnguard.store.engine import Store, column_types, quote_ident

log = logging.getLogger("churnguard.store")

#: the table that records the versions applied
SCHEMA_INFO = "schema_info"
#: the advisory lock id of a migration on PostgreSQL ("cgmg")
_MIGRATE_LOCK_KEY = 0x63676D67
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _columns(spec: str) -> tuple[tuple[str, str], ...]:
    """``"a TEXT, b DOUBLE PRECISION"`` -> ``(("a", "TEXT"), ("b", "DOUBLE PRECISION"))``."""
    return tuple(tuple(part.strip().split(" ", 1)) for part in spec.split(","))  # type: ignore[misc]


class _Run:
    """One migration run: the open transaction and the tables and columns there now."""

    def __init__(self, store: Store, cur: Any, have: dict[str, list[str]]):
        self.store, self.cur, self.have = store, cur, have

    def create_table(self, table: str, columns: Iterable[tuple[str, str]]) -> None:
        columns = list(columns)
        if table not in self.have:
            ddl = ", ".join(f"{quote_ident(n)} {t}" for n, t in columns)
            self.cur.execute(f"CREATE TABLE {quote_ident(table)} ({ddl})")
            self.have[table] = [n for n, _ in columns]
            return
        for name, sql_type in columns:  # a table an unversioned workspace had in part
            self.add_column(table, name, sql_type)

    def add_column(self, table: str, name: str, sql_type: str) -> None:
        if name in self.have[table]:
            return
        self.cur.execute(f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(name)} {sql_type}")
        self.have[table].append(name)


@dataclass(frozen=True)
class CreateTable:
    """Make table ``name`` with ``columns`` (``"col TYPE, col TYPE"``; add the missing ones
    when it exists)."""

    name: str
    columns: str

    def apply(self, run: _Run) -> None:
        run.create_table(self.name, _columns(self.columns))


@dataclass(frozen=True)
class AddColumn:
    """Add column ``name`` of SQL type ``sql_type`` to ``table`` (empty for the rows there)."""

    table: str
    name: str
    sql_type: str

    def apply(self, run: _Run) -> None:
        run.add_column(self.table, self.name, self.sql_type)


@dataclass(frozen=True)
class Transform:
    """Change stored values: ``function(cur, store)`` runs parameterised statements on the
    migration's transaction (``store.paramstyle`` gives the placeholder)."""

    function: Callable[[Any, Store], None]

    def apply(self, run: _Run) -> None:
        self.function(run.cur, run.store)


@dataclass(frozen=True)
class Migration:
    """Version ``version`` of the schema: what ``steps`` do to the version before."""

    version: int
    description: str
    steps: tuple[CreateTable | AddColumn | Transform, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the tables of the release before issue 17", (
        CreateTable("customers", "record_key TEXT, customer_id TEXT, name TEXT, segment TEXT, region TEXT, "
                    "customer_type TEXT, acquired_at DATE, birthday DATE, group_id TEXT, csm TEXT, email TEXT, "
                    "phone TEXT, first_seen_at DATE"),
        CreateTable("transactions", "record_key TEXT, customer_id TEXT, occurred_at DATE, amount DOUBLE PRECISION, "
                    "quantity DOUBLE PRECISION, unit_price DOUBLE PRECISION, cost DOUBLE PRECISION, product TEXT, "
                    "category TEXT, order_id TEXT, due_at DATE, paid_at DATE"),
        CreateTable("contracts", "record_key TEXT, contract_id TEXT, customer_id TEXT, start_at DATE, end_at DATE, "
                    "recurring_value DOUBLE PRECISION, renewed_from TEXT, cancelled_at DATE"),
        CreateTable("interactions", "record_key TEXT, customer_id TEXT, occurred_at DATE, kind TEXT, channel TEXT, "
                    "direction TEXT"),
        CreateTable("complaints", "record_key TEXT, complaint_id TEXT, customer_id TEXT, opened_at DATE, "
                    "category TEXT, severity TEXT, text TEXT, resolved_at DATE, resolution TEXT"),
        CreateTable("surveys", "record_key TEXT, customer_id TEXT, answered_at DATE, satisfaction BIGINT, "
                    "nps BIGINT, comment TEXT"),
        CreateTable("churn_reasons", "record_key TEXT, customer_id TEXT, recorded_at DATE, reason TEXT, kind TEXT, "
                    "competitor TEXT, notes TEXT, source TEXT"),
        CreateTable("wallet_estimates", "record_key TEXT, customer_id TEXT, period_start DATE, "
                    "estimated_total_spend DOUBLE PRECISION"),
        CreateTable("imports", "record_key TEXT, import_id TEXT, kind TEXT, file TEXT, encoding TEXT, "
                    "rows_read BIGINT, rows_imported BIGINT, rows_unchanged BIGINT, imported_at TIMESTAMP"),
        CreateTable("truth", "record_key TEXT, customer_id TEXT, churned BOOLEAN, churned_at DATE, churn_kind TEXT, "
                    "partial_from DATE, churn_reason TEXT, acquired_at DATE, contractual BOOLEAN, "
                    "price_sensitive BOOLEAN, satisfaction DOUBLE PRECISION"),
        CreateTable("users", "record_key TEXT, user_id TEXT, role TEXT, password_hash TEXT, csm_name TEXT, "
                    "language TEXT, created_at TIMESTAMP"),
        CreateTable("api_tokens", "record_key TEXT, token_hash TEXT, user_id TEXT, created_at TIMESTAMP"),
    )),
    Migration(2, "issue 17: disabled users, expiring tokens, server-side sessions, login throttling, audit log", (
        AddColumn("users", "disabled_at", "TIMESTAMP"),
        AddColumn("api_tokens", "expires_at", "TIMESTAMP"),
        AddColumn("api_tokens", "last_used_at", "TIMESTAMP"),
        CreateTable("sessions", "record_key TEXT, session_hash TEXT, user_id TEXT, created_at TIMESTAMP, "
                    "last_seen_at TIMESTAMP"),
        CreateTable("login_failures", "record_key TEXT, subject TEXT, failures BIGINT, last_failure_at TIMESTAMP, "
                    "locked_until TIMESTAMP"),
        CreateTable("audit_log", "record_key TEXT, event_id TEXT, at TIMESTAMP, actor TEXT, action TEXT, "
                    "subject TEXT, details TEXT, address TEXT"),
    )),
    Migration(3, "issue 15: richer churn reasons, defector investigations, improvement actions, survey sends", (
        AddColumn("churn_reasons", "secondary_reason", "TEXT"),
        AddColumn("churn_reasons", "recoverable", "BOOLEAN"),
        AddColumn("churn_reasons", "attempts", "BIGINT"),
        AddColumn("churn_reasons", "confidence", "DOUBLE PRECISION"),
        CreateTable("investigations", "record_key TEXT, investigation_id TEXT, period TEXT, period_start DATE, "
                    "period_end DATE, as_of DATE, partial_sample DOUBLE PRECISION, seed BIGINT, status TEXT, "
                    "created_at TIMESTAMP, created_by TEXT"),
        CreateTable("interviews", "record_key TEXT, investigation_id TEXT, customer_id TEXT, position BIGINT, "
                    "kind TEXT, lost_value DOUBLE PRECISION, interviewer TEXT, status TEXT, done_at DATE, "
                    "reason TEXT, secondary_reason TEXT, competitor TEXT, recoverable BOOLEAN, attempts BIGINT, "
                    "notes TEXT, reviewed_reason TEXT"),
        CreateTable("investigation_reviews", "record_key TEXT, review_id TEXT, investigation_id TEXT, "
                    "milestone DOUBLE PRECISION, reviewed_at TIMESTAMP, reviewer TEXT, notes TEXT"),
        CreateTable("improvement_actions", "record_key TEXT, action_id TEXT, investigation_id TEXT, reason TEXT, "
                    "action TEXT, owner TEXT, due_at DATE, starts_at DATE, created_at TIMESTAMP, done_at DATE"),
        CreateTable("survey_sends", "record_key TEXT, sample_id TEXT, customer_id TEXT, sent_at DATE, "
                    "stratum TEXT, seed BIGINT"),
    )),
)

#: the schema version this code writes
LATEST = MIGRATIONS[-1].version


def schema_after(migrations: Iterable[Migration] = MIGRATIONS) -> dict[str, dict[str, str]]:
    """``{table: {column: SQL type}}`` that ``migrations`` make from an empty database."""
    out: dict[str, dict[str, str]] = {}
    for m in migrations:
        for step in m.steps:
            if isinstance(step, CreateTable):
                cols = out.setdefault(step.name, {})
                for name, sql_type in _columns(step.columns):
                    cols.setdefault(name, sql_type)
            elif isinstance(step, AddColumn):
                out[step.table].setdefault(step.name, step.sql_type)
    return out


# -- reading the state -------------------------------------------------------------------------
def _tables(store: Store, cur: Any) -> dict[str, list[str]]:
    schema = "main" if store.dialect == "duckdb" else "public"
    cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                f"{store.paramstyle} ORDER BY table_name, ordinal_position", (schema,))
    have: dict[str, list[str]] = {}
    for table, column in cur.fetchall():
        have.setdefault(table, []).append(column)
    return have


def _version(cur: Any, have: dict[str, list[str]]) -> int:
    if SCHEMA_INFO not in have:
        return 0
    cur.execute(f"SELECT max(version) FROM {quote_ident(SCHEMA_INFO)}")
    value = cur.fetchone()[0]
    return int(value) if value is not None else 0


def schema_version(store: Store) -> int:
    """The schema version of the workspace in ``store`` (0: made before versions were recorded,
    or empty)."""
    cur = store.raw.cursor()
    try:
        return _version(cur, _tables(store, cur))
    finally:
        with contextlib.suppress(Exception):
            cur.close()


def _missing(have: dict[str, list[str]]) -> list[str]:
    """``table`` or ``table.column`` of the schema that the database lacks."""
    out = []
    for table in TABLES.values():
        if table.name not in have:
            out.append(table.name)
        else:
            out.extend(f"{table.name}.{c}" for c in column_types(table) if c not in have[table.name])
    return out


# -- migrating -----------------------------------------------------------------------------------
def _too_new(version: int) -> WorkspaceError:
    return WorkspaceError(
        f"this workspace has schema version {version}, newer than this churnguard knows ({LATEST}): "
        "a newer churnguard wrote it; upgrade churnguard to open it"
    )


def backup_path(path: Path, version: int) -> Path:
    """Where the copy of DuckDB file ``path`` goes before it is migrated to ``version`` (a free name)."""
    target = path.with_name(f"{path.name}.before-v{version}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.before-v{version}.{n}")
    return target


def _backup(store: Store, version: int) -> Path:
    assert store.path is not None
    with contextlib.suppress(Exception):  # fold the write-ahead log into the file first
        store.raw.execute("CHECKPOINT")
    target = backup_path(store.path, version)
    shutil.copyfile(store.path, target)
    target.chmod(0o600)  # the same personal data as the file itself
    wal = store.path.with_name(store.path.name + ".wal")
    if wal.exists() and wal.stat().st_size:
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def _lock(store: Store) -> threading.Lock:
    key = store.url if store.path is None else str(store.path)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def migrate(store: Store) -> int:
    """Bring the workspace in ``store`` to :data:`LATEST` (see the module notes); return the
    version it had. Refuses a newer one."""
    with _lock(store):
        cur = store.raw.cursor()
        try:
            have = _tables(store, cur)
            before = _version(cur, have)
        finally:
            with contextlib.suppress(Exception):
                cur.close()
        if before > LATEST:
            raise _too_new(before)
        if before == LATEST and not _missing(have):
            return before  # the usual open: two quick queries
        backup = None
        if before < LATEST and store.dialect == "duckdb" and store.path is not None and have:
            backup = _backup(store, LATEST)
            log.warning("workspace schema version %s -> %s: the database as it was is copied to %s",
                        before, LATEST, backup)
        try:
            _apply(store, before)
        except WorkspaceError:
            raise
        except Exception as exc:
            kept = f"; the database as it was is in {backup}" if backup else ""
            raise WorkspaceError(f"migrating the workspace from schema version {before} to {LATEST} failed "
                                 f"(nothing was changed{kept}): {exc}") from exc
        return before


def _apply(store: Store, before: int) -> None:
    with store.transaction() as cur:
        if store.dialect == "postgres":  # another process may be migrating the same workspace
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK_KEY,))
        have = _tables(store, cur)
        fresh = not have
        version = _version(cur, have)  # read again under the lock
        if version > LATEST:
            raise _too_new(version)
        run = _Run(store, cur, have)
        run.create_table(SCHEMA_INFO, (("version", "BIGINT"), ("applied_at", "TIMESTAMP"), ("description", "TEXT")))
        for m in MIGRATIONS:
            if m.version <= version:
                continue
            for step in m.steps:
                step.apply(run)
            p = store.paramstyle
            cur.execute(f"INSERT INTO {quote_ident(SCHEMA_INFO)} (version, applied_at, description) "
                        f"VALUES ({p}, {p}, {p})",
                        (m.version, datetime.now(UTC).replace(tzinfo=None, microsecond=0), m.description))
            if not fresh:
                log.info("workspace schema migrated to version %s: %s", m.version, m.description)
        missing = _missing(run.have)
        if missing:
            log.warning("the workspace lacked %s of its schema version; made again (empty)", ", ".join(missing))
            for table in TABLES.values():
                run.create_table(table.name, column_types(table).items())
