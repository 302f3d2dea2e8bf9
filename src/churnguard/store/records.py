"""The stored records as Ibis tables, of whichever engine holds them, and as known at a date.

Every compute step (measure, value, detect, predict) reads the record tables through one
:class:`Records`, built by one function from the store's URL (:func:`records_from_url`):

- ``duckdb:///FILE`` and ``postgresql://user@host:port/db``: the workspace's database (an
  open :class:`~churnguard.store.Store` gives the same through :meth:`Records.from_store`);
- ``spark+parquet:///PATH``: a folder of Parquet files, one per record kind
  (``transactions.parquet``, ``contracts.parquet``, ``customers.parquet``, …; each a file or a
  folder of part files as Spark writes them), read by Spark. A missing file is an empty table.
  As with DuckDB, three slashes start a path relative to ``base`` (or the current folder),
  four an absolute one.

"As of D" means the same everywhere (:meth:`Records.known_at`): records dated D or earlier,
and for dated facts about an earlier record (a complaint's ``resolved_at``, an invoice's
``paid_at``, a contract's ``cancelled_at``) the fact only when it happened by D. Scheduled
dates (a contract's ``end_at``, an invoice's ``due_at``) are known in advance and kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from churnguard.errors import InputError
from churnguard.schema import KINDS, TABLES
from churnguard.store.engine import Store, describe_url

#: interaction kinds that are not routine contact
NOT_CONTACT = ("renewal_inquiry", "unsubscribe")

#: the stored table of every record kind, in schema order
RECORD_TABLES: tuple[str, ...] = tuple(t.name for t in KINDS.values())

#: the URL scheme of Parquet files read by Spark
SPARK_PARQUET = "spark+parquet"


def conform(t: ir.Table, name: str, where: str | None = None) -> ir.Table:
    """Table ``t`` with the canonical columns of stored table ``name``, typed as in the schema.

    A missing optional column becomes NULL; a missing required column is an
    :class:`~churnguard.errors.InputError` naming ``where`` (default: the table) and the
    column. Other columns (``record_key``, extras) are left out.
    """
    table = TABLES[name]
    cols = {}
    for c in table.columns:
        if c.name in t.columns:
            cols[c.name] = t[c.name].cast(c.type)
        elif c.required:
            raise InputError(
                f"{where or f'table {name!r}'}: no column {c.name!r}; existing columns: {', '.join(t.columns)}"
            )
        else:
            cols[c.name] = ibis.null(c.type)
    return t.select(**cols)


@dataclass(frozen=True)
class Records:
    """The stored tables of one engine as Ibis expressions, optionally cut at a date.

    Attributes
    ----------
    customers, transactions, contracts, interactions, complaints, surveys, churn_reasons,
    wallet_estimates : ibis.Table
        Canonical columns (``schema``), without ``record_key``.
    engine : str
        The Ibis backend's name (``duckdb``, ``postgres``, ``pyspark``), reported in definitions.
    as_of : date or None
        The day the view is cut at (None: everything stored).
    full : Records or None
        For a sample (:meth:`sampled`), the records of every customer: definitions that depend
        on the whole base (the 'auto' churn threshold) are taken from them.
    """

    customers: ir.Table
    transactions: ir.Table
    contracts: ir.Table
    interactions: ir.Table
    complaints: ir.Table
    surveys: ir.Table
    churn_reasons: ir.Table
    wallet_estimates: ir.Table
    engine: str = ""
    as_of: date | None = None
    full: Records | None = field(default=None, repr=False, compare=False)
    sample: tuple[float, int] = (1.0, 0)
    con: object = field(default=None, repr=False, compare=False)
    # results that depend only on the stored data and a date (e.g. churn thresholds), shared
    # by every view derived from the same records
    cache: dict = field(default_factory=dict, repr=False, compare=False)
    # the store :func:`records_from_url` opened for these records (closed by :meth:`close`)
    opened: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_store(cls, store) -> Records:
        """Read every record table of an open :class:`churnguard.store.Store` (not closed here)."""
        return cls(**{n: conform(store.table(n), n) for n in RECORD_TABLES}, engine=store.con.name,
                   con=store.con)

    @classmethod
    def from_parquet(cls, con, directory: Path, where: str = "--data") -> Records:
        """Read ``KIND.parquet`` for every record table in ``directory`` with Ibis backend ``con``.

        Each may be a file or a folder of part files (as Spark writes them). Only
        ``transactions.parquet`` must exist: another missing file is an empty table (no
        contracts, no customer attributes, …). ``where`` names the source in messages.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise InputError(f"{where}: {directory} is not a folder")
        tables = {}
        for name in RECORD_TABLES:
            path = directory / f"{name}.parquet"
            if path.exists():
                tables[name] = conform(con.read_parquet(str(path), table_name=f"cg_{name}"), name, str(path))
            elif name == "transactions":
                raise InputError(
                    f"{where}: {directory} holds no transactions.parquet; expected "
                    "transactions.parquet, contracts.parquet and customers.parquet"
                )
            else:
                tables[name] = _empty(name)
        return cls(**tables, engine=con.name)

    def close(self) -> None:
        """Close the store :func:`records_from_url` opened for these records (if any)."""
        if self.opened is not None:
            self.opened.close()

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def last_date(self) -> date | None:
        """The latest purchase or contract start (the default as-of date)."""
        latest = None
        for t, col in ((self.transactions, "occurred_at"), (self.contracts, "start_at")):
            value = t[col].max().to_pandas()
            if value is not None and not pd.isna(value):
                d = pd.Timestamp(value).date()
                latest = d if latest is None or d > latest else latest
        return latest

    def known_at(self, as_of: date) -> Records:
        """The records as known at the end of ``as_of`` (see the module docstring)."""
        d = ibis.literal(as_of, "date")
        tx = self.transactions.filter(self.transactions.occurred_at <= d)
        tx = tx.mutate(paid_at=ibis.ifelse(tx.paid_at <= d, tx.paid_at, ibis.null("date")))
        c = self.contracts.filter(self.contracts.start_at <= d)
        c = c.mutate(cancelled_at=ibis.ifelse(c.cancelled_at <= d, c.cancelled_at, ibis.null("date")))
        q = self.complaints.filter(self.complaints.opened_at <= d)
        done = q.resolved_at <= d
        q = q.mutate(
            resolved_at=ibis.ifelse(done, q.resolved_at, ibis.null("date")),
            resolution=ibis.ifelse(done, q.resolution, ibis.null("string")),
        )
        cu = self.customers
        cu = cu.filter(cu.acquired_at.isnull() | (cu.acquired_at <= d))
        return replace(
            self,
            customers=cu,
            transactions=tx,
            contracts=c,
            interactions=self.interactions.filter(self.interactions.occurred_at <= d),
            complaints=q,
            surveys=self.surveys.filter(self.surveys.answered_at <= d),
            churn_reasons=self.churn_reasons.filter(self.churn_reasons.recorded_at <= d),
            wallet_estimates=self.wallet_estimates.filter(self.wallet_estimates.period_start <= d),
            as_of=as_of,
        )

    def sampled(self, fraction: float, seed: int = 0) -> Records:
        """Only a deterministic ``fraction`` of the customers, whole groups at a time.

        A customer is drawn with its group (``group_id``; alone when it has none), so the
        figures of a sampled customer's group — members lost recently, chain defection — are
        the same as in the full data. With a connection, each sampled table is computed once
        into a temporary table: a training set reads the same sample at many dates, and
        hashing every row again for each date would cost more than the aggregations.
        """
        if fraction >= 1:
            return self
        base = self.full or self
        key = ("sample", "ids", fraction, seed)
        if key not in base.cache:
            cu = base.customers
            keys = cu.select("customer_id", key=ibis.coalesce(cu.group_id, cu.customer_id)).to_pandas()
            keys = keys.sort_values("customer_id", kind="stable")
            # drawn here by a seeded hash of the key, not by the engine's own hash: every engine
            # (DuckDB, PostgreSQL) then draws the same customers
            picked = keys.loc[seeded_draw(keys["key"], seed) < fraction, ["customer_id"]].reset_index(drop=True)
            chosen = ibis.memtable(picked)
            if base.con is not None:  # one temporary table, read at every training date
                import uuid

                chosen = base.con.create_table(f"cg_tmp_{uuid.uuid4().hex[:12]}", chosen, temp=True)
            base.cache[key] = chosen
        chosen = base.cache[key]
        tables = {}
        for n in RECORD_TABLES:
            t = getattr(base, n).view()
            ids = chosen.view()
            tables[n] = base.materialize(t.semi_join(ids, t.customer_id == ids.customer_id),
                                         ("sample", n, fraction, seed))
        view = replace(base, full=base, sample=(fraction, seed), **tables)
        return view.known_at(self.as_of) if self.as_of is not None else view

    def materialize(self, expr: ir.Table, key: tuple) -> ir.Table:
        """``expr`` computed once into a temporary table of the engine, reused under ``key``.

        Small per-customer results read several times (the status of every customer on a
        date feeds the population, the group and region figures and later the labels) are
        worth computing once. Without a connection the expression is returned as it is.
        """
        if self.con is None:
            return expr
        base = self.full or self
        if key not in base.cache:
            import uuid

            name = f"cg_tmp_{uuid.uuid4().hex[:12]}"
            base.cache[key] = self.con.create_table(name, expr, temp=True)
        return base.cache[key]

    def pin(self, key: tuple, value: object) -> None:
        """Use ``value`` for ``key`` from now on (e.g. the churn thresholds of one run)."""
        (self.full or self).cache[key] = value

    @property
    def purchases(self) -> ir.Table:
        """Transactions with a positive amount (returns are not purchases)."""
        return self.transactions.filter(self.transactions.amount > 0)

    @property
    def contacts(self) -> ir.Table:
        """Routine contact: every interaction except renewal inquiries and unsubscribes."""
        i = self.interactions
        return i.filter(~i.kind.isin(NOT_CONTACT))


def seeded_draw(values: object, seed: int = 0) -> np.ndarray:
    """A number in [0, 1) for each value, fixed by the value and ``seed`` alone.

    A keyed hash (SipHash, :func:`pandas.util.hash_array`) of the value's text: the same id
    gets the same number on every run, engine and machine, whatever the row order, so a
    sample or a hold-out drawn with it is the same everywhere.

    Examples
    --------
    >>> a = seeded_draw(["C1", "C2", "C3"], seed=3)
    >>> bool(((a >= 0) & (a < 1)).all()), bool((seeded_draw(["C3", "C1"], seed=3) == a[[2, 0]]).all())
    (True, True)
    """
    text = pd.Series(values, dtype="object").astype(str).to_numpy(dtype=object)
    h = pd.util.hash_array(text, hash_key=f"churnguard{int(seed) % 1_000_000:06d}"[:16], categorize=False)
    return (h >> np.uint64(11)).astype("float64") / float(1 << 53)


def parquet_url(directory: str | Path) -> str:
    """The URL of :func:`records_from_url` for a folder of Parquet files read by Spark.

    >>> parquet_url("/data/parquet"), parquet_url("data")
    ('spark+parquet:////data/parquet', 'spark+parquet:///data')
    """
    return f"{SPARK_PARQUET}:///{quote(str(directory))}"


def parquet_folder(url: str, base: Path | None = None) -> Path:
    """The folder of a ``spark+parquet:`` URL; a relative one is taken from ``base`` when given.

    >>> parquet_folder(parquet_url("/data/parquet")), parquet_folder("spark+parquet:///pq", Path("/ws"))
    (PosixPath('/data/parquet'), PosixPath('/ws/pq'))
    """
    parsed = urlparse(url)
    path = unquote(parsed.netloc + parsed.path)
    if not parsed.netloc and path.startswith("/"):  # ///data: relative, ////data: absolute
        path = path[1:]
    folder = Path(path)
    return base / folder if base is not None and not folder.is_absolute() else folder


def records_from_url(url: str, *, base: Path | None = None, where: str | None = None) -> Records:
    """The records of the store at ``url`` (see the module docstring for the forms).

    ``base``: the folder relative paths are taken from (the workspace); ``where``: how
    messages name the source (default: the URL). For a database URL the store is opened
    here: close it with :meth:`Records.close` (or use the records in a ``with`` block).

    Examples
    --------
    >>> with records_from_url("duckdb:///shop.duckdb", base=Path("shop")) as r:  # doctest: +SKIP
    ...     r.transactions.count().execute()
    """
    scheme = urlparse(url).scheme
    if scheme == SPARK_PARQUET:
        return Records.from_parquet(spark_backend(), parquet_folder(url, base), where or url)
    if scheme.split("+")[0] not in ("duckdb", "postgres", "postgresql"):
        raise InputError(
            f"{where or describe_url(url)}: unsupported scheme {scheme!r}; use duckdb:///FILE, "
            f"postgresql://user@host:port/db or {SPARK_PARQUET}:///FOLDER"
        )
    store = Store(url, base)
    try:
        return replace(Records.from_store(store), opened=store)
    except BaseException:
        store.close()
        raise


def spark_backend():
    """An Ibis backend over the active Spark session, or a new local one.

    Under ``spark-submit`` (or any code that built a session first) the active session is
    used as configured; otherwise a local session on all cores
    (``$CHURNGUARD_SPARK_MASTER`` overrides the master URL).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "--engine spark needs pyspark: pip install 'churnguard[spark]' (and a Java runtime)"
        ) from None
    session = SparkSession.getActiveSession()
    if session is None:
        session = (
            SparkSession.builder.appName("churnguard")
            .master(os.environ.get("CHURNGUARD_SPARK_MASTER", "local[*]"))
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    return ibis.pyspark.connect(session)


def _empty(name: str) -> ir.Table:
    """An empty table with the canonical columns of stored table ``name``."""
    columns = TABLES[name].columns
    schema = ibis.schema({c.name: c.type for c in columns})
    frame = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in columns})
    return ibis.memtable(frame, schema=schema)
