"""Connect to a store by URL: DuckDB (embedded, default) or PostgreSQL.

Reads and computations go through an Ibis backend (``Store.con``), so one expression runs on
whichever engine holds the data. Writes go through the backend's own DB-API connection inside
an explicit transaction (``Store.transaction``), so an import is all or nothing.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from churnguard.errors import WorkspaceError
from churnguard.schema import TABLES, Table
from churnguard.store.urls import describe_url, dialect_of, duckdb_file, open_error, postgres_params

# Ibis type name -> SQL type understood by both DuckDB and PostgreSQL.
_SQL_TYPES = {
    "string": "TEXT",
    "date": "DATE",
    "float64": "DOUBLE PRECISION",
    "int64": "BIGINT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

# DuckDB shares one database instance between the connections of a process to the same file
# and drops it with the last one; a connect racing that drop fails ("Unique file handle
# conflict"). Connects and disconnects to DuckDB files are therefore taken one at a time
# (threads of a web server open and close connections per request).
_DUCKDB_OPEN_CLOSE = threading.Lock()
_MEMO: dict[tuple, Any] = {}  # see Store.memo
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 512


#: the advisory lock id of a workspace's writers on PostgreSQL ("cgwr")
_WRITE_LOCK_KEY = 0x63677772
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock_of(database: str) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(database, threading.Lock())


def quote_ident(name: str) -> str:
    """Quote an identifier we control (table or column name); refuse anything else."""
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def column_types(table: Table) -> dict[str, str]:
    """Return ``{column: SQL type}`` of ``table`` as stored, ``record_key`` first."""
    cols = {"record_key": "string"}
    cols.update({c.name: c.type for c in (*table.columns, *table.extra)})
    return {name: _SQL_TYPES[t] for name, t in cols.items()}


def ddl_columns(table: Table) -> str:
    """Return the column list of ``table`` as SQL DDL."""
    return ", ".join(f"{quote_ident(n)} {t}" for n, t in column_types(table).items())


class Store:
    """A connection to the workspace's database.

    Parameters
    ----------
    url : str
        ``duckdb:///path/file.duckdb`` (relative paths are taken from ``base``),
        ``duckdb://:memory:`` or ``postgresql://user[:password]@host[:port]/database``.
    base : Path, optional
        Folder that relative DuckDB paths are relative to (the workspace).
    """

    def __init__(self, url: str, base: Path | None = None):
        self.url = url
        parsed = urlparse(url)
        self.dialect = dialect_of(url)
        if self.dialect is None:
            raise WorkspaceError(
                f"database URL {describe_url(url)!r}: unsupported scheme {parsed.scheme!r}; "
                "use duckdb:///FILE or postgresql://user@host:port/db"
            )
        try:
            if self.dialect == "duckdb":
                p = duckdb_file(url, base)
                if p is None:
                    self.path: Path | None = None
                    self.con = ibis.duckdb.connect()
                else:
                    self.path = p
                    new = not p.exists()
                    with _DUCKDB_OPEN_CLOSE:
                        self.con = ibis.duckdb.connect(str(p))
                    if new and p.exists():
                        # personal data and password hashes: readable by the owner only, like the
                        # secret key (DuckDB itself creates the file with the process umask)
                        p.chmod(0o600)
            else:
                self.path = None
                self.con = ibis.postgres.connect(**postgres_params(url))
        except Exception as exc:  # the driver's own error says why (refused, no such db, …)
            raise open_error(url, exc) from exc
        self.raw = self.con.con  # the DB-API connection under Ibis
        self.paramstyle = "?" if self.dialect == "duckdb" else "%s"

    # -- one writer at a time -------------------------------------------------------------
    @contextlib.contextmanager
    def write_lock(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the workspace's write lock for the block: one import or ``run`` at a time.

        Two imports of the same file at once could both find a row missing and both add it
        (PostgreSQL runs them side by side), and a ``run`` should not score half an import. A
        second writer therefore waits here — ``on_wait`` is called once first, so the person
        waiting is told why — and goes on when the first is done; nothing is lost either way.
        Across processes on PostgreSQL it is a session advisory lock (released when the
        connection ends, however the process ends); on DuckDB another process cannot open the
        file at all while one writes (it is refused with a message saying so), and within one
        process (the server's threads) a lock per database serialises the writers.
        """
        told = False

        def wait() -> None:
            nonlocal told
            if on_wait is not None and not told:
                told = True
                on_wait()

        local = _write_lock_of(self.url if self.path is None else str(self.path))
        if not local.acquire(blocking=False):
            wait()
            local.acquire()
        try:
            if self.dialect == "postgres":
                if not self.raw.execute("SELECT pg_try_advisory_lock(%s)", (_WRITE_LOCK_KEY,)).fetchone()[0]:
                    wait()
                    self.raw.execute("SELECT pg_advisory_lock(%s)", (_WRITE_LOCK_KEY,))
                try:
                    yield
                finally:
                    with contextlib.suppress(Exception):  # a lost connection has released it already
                        self.raw.execute("SELECT pg_advisory_unlock(%s)", (_WRITE_LOCK_KEY,))
            else:
                yield
        finally:
            local.release()

    # -- tables ---------------------------------------------------------------------------
    def ensure_tables(self) -> None:
        """Bring the workspace's tables to the schema of this version: an empty database gets
        every table, an older workspace the migrations it lacks (:mod:`churnguard.store.migrations`,
        after a backup copy on DuckDB); a newer one is refused."""
        from churnguard.store.migrations import migrate

        migrate(self)

    def ensure_indexes(self) -> None:
        """Index ``customer_id`` in every record table that has it (once; later writes keep it).

        A customer page reads one customer's records out of tables of millions of rows: with
        the index DuckDB answers ``WHERE customer_id = x`` in about a millisecond instead of
        scanning the table (60-100 ms each at 1M customers; docs/benchmarks.md). DuckDB uses it
        only when that is the scan's one filter (see :func:`one_customer`). Building the
        indexes costs ~30 s the first time at 1M customers, and large imports into an indexed
        table run slower, so `churnguard run` builds them, not the first import.
        """
        with self.transaction() as cur:
            for table in TABLES.values():
                if "customer_id" in table.column_names:
                    name = quote_ident(f"ix_{table.name}_customer_id")
                    cur.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {quote_ident(table.name)} (customer_id)")

    def table(self, name: str) -> ibis.Table:
        """Return stored table ``name`` as an Ibis expression."""
        return self.con.table(name)

    def customer_rows(self, name: str, customer_id: str) -> pd.DataFrame:
        """Every row of stored table ``name`` of one customer, by one parameterised query.

        A customer page reads a few rows from each of a dozen tables of millions: DuckDB
        answers a lone ``customer_id = ?`` from the index (:meth:`ensure_indexes`) in about a
        millisecond, and asking the driver directly saves Ibis's compiling and converting
        (5-10 ms a query; measured on the 1M-customer workspace, docs/benchmarks.md). Values
        come back as the driver gives them (dates as ``datetime.date``, NULL as None).
        """
        cur = self.raw.cursor()
        try:
            cur.execute(f"SELECT * FROM {quote_ident(name)} WHERE customer_id = {self.paramstyle}", (customer_id,))
            columns = [d[0] for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns, dtype=object)
        finally:
            with contextlib.suppress(Exception):
                cur.close()

    def has_table(self, name: str) -> bool:
        """Whether table ``name`` exists."""
        return name in self.con.list_tables()

    def count(self, name: str) -> int:
        """Number of rows in table ``name``."""
        return int(self.table(name).count().execute())

    # -- writes ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Any]:
        """Run the block in one transaction: commit on success, roll back on any error.

        With ``commit=False`` the block always rolls back (a dry run that sees its own writes).
        """
        cur = self.raw.cursor()
        cur.execute("BEGIN")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            with contextlib.suppress(Exception):
                cur.close()

    def stage(self, cur: Any, name: str, table: Table, data: pa.Table, columns: list[str]) -> None:
        """Load ``data``'s ``columns`` into temporary table ``name``, typed as in ``table``."""
        types = column_types(table)
        self.stage_typed(cur, name, data, {c: types[c] for c in columns})

    def stage_typed(self, cur: Any, name: str, data: pa.Table, types: dict[str, str]) -> None:
        """Load ``data`` into temporary table ``name`` (``types``: column -> SQL type).

        Runs inside the open transaction ``cur``: DuckDB scans the Arrow table in place;
        PostgreSQL receives it by ``COPY`` in CSV batches (far faster than INSERTs).
        """
        columns = list(types)
        cur.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
        if self.dialect == "duckdb":
            view = f"{name}_arrow"
            cur.register(view, data)
            try:
                select = ", ".join(
                    f"CAST({quote_ident(c)} AS {types[c]}) AS {quote_ident(c)}" for c in columns
                )
                cur.execute(f"CREATE TEMP TABLE {quote_ident(name)} AS SELECT {select} FROM {view}")
            finally:
                cur.unregister(view)
            return
        cols_sql = ", ".join(f"{quote_ident(c)} {types[c]}" for c in columns)
        cur.execute(f"CREATE TEMP TABLE {quote_ident(name)} ({cols_sql})")
        copy_sql = (
            f"COPY {quote_ident(name)} ({', '.join(quote_ident(c) for c in columns)}) "
            "FROM STDIN WITH (FORMAT csv, HEADER false)"
        )
        with cur.copy(copy_sql) as copy:
            for batch in data.select(columns).to_batches(max_chunksize=200_000):
                sink = pa.BufferOutputStream()
                pacsv.write_csv(
                    pa.Table.from_batches([batch]),
                    sink,
                    pacsv.WriteOptions(include_header=False, quoting_style="needed"),
                )
                copy.write(sink.getvalue().to_pybytes())

    def replace_rows(self, table: Table, data: pa.Table) -> int:
        """Replace every row of ``table`` with ``data`` in one transaction (e.g. the simulator's truth)."""
        types = column_types(table)
        cols = [c for c in types if c in data.column_names]
        with self.transaction() as cur:
            cur.execute(f"DELETE FROM {quote_ident(table.name)}")
            self.stage_typed(cur, "cg_replace", data, {c: types[c] for c in cols})
            col_sql = ", ".join(quote_ident(c) for c in cols)
            cur.execute(f"INSERT INTO {quote_ident(table.name)} ({col_sql}) SELECT {col_sql} FROM cg_replace")
            cur.execute("DROP TABLE cg_replace")
        return data.num_rows

    # -- answers kept while the data stays as it was ------------------------------------------
    def file_stamp(self) -> tuple | None:
        """What the embedded DuckDB file and its write-ahead log look like on disk, or None.

        Every committed write changes one of them (the log grows, or a checkpoint rewrites the
        file); opening and reading do not. A PostgreSQL store (shared with other writers) has
        no such stamp.
        """
        if self.path is None:
            return None
        stamp = []
        for f in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = f.stat()
            except FileNotFoundError:
                stamp.append(None)
                continue
            stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamp)

    def memo(self, key: tuple, compute: Any) -> Any:
        """``compute()``, kept in this process while the DuckDB file stays as it was.

        For small answers that the pages ask again on every request and that would otherwise
        scan a large table each time (the dates of a snapshot, the count of its rows): on a
        million customers each is 5-20 ms of a page's time. A PostgreSQL store computes every
        time. Callers must not change what comes back.
        """
        stamp = self.file_stamp()
        if stamp is None:
            return compute()
        k = (str(self.path), stamp, key)
        with _MEMO_LOCK:
            if k in _MEMO:
                return _MEMO[k]
        value = compute()
        with _MEMO_LOCK:
            if len(_MEMO) >= _MEMO_SIZE:
                _MEMO.clear()
            _MEMO[k] = value
        return value

    def close(self) -> None:
        """Close the connection."""
        lock = _DUCKDB_OPEN_CLOSE if self.dialect == "duckdb" and self.path is not None else contextlib.nullcontext()
        with lock, contextlib.suppress(Exception):
            self.con.disconnect()

