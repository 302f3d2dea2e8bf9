"""Where the measure computations read from: the stored tables as Ibis expressions.

The same :class:`Sources` is built from a workspace's store (DuckDB, PostgreSQL) or from
Parquet files read by another Ibis backend (Spark), so every computation is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from churnguard.errors import InputError
from churnguard.schema import CONTRACTS, CUSTOMERS, TRANSACTIONS, Table

#: the tables the measure computations read, and the columns they need from each
NEEDED: dict[str, tuple[Table, tuple[str, ...]]] = {
    "transactions": (TRANSACTIONS, ("customer_id", "occurred_at", "amount", "quantity")),
    "contracts": (
        CONTRACTS,
        ("contract_id", "customer_id", "start_at", "end_at", "recurring_value", "cancelled_at"),
    ),
    "customers": (CUSTOMERS, ("customer_id", "segment", "region", "customer_type", "csm")),
}

#: customer columns that ``--by`` accepts; ``relationship`` is derived (contractual or not)
GROUP_COLUMNS = ("segment", "region", "customer_type", "csm", "relationship")


def _conform(t: ir.Table, table: Table, columns: tuple[str, ...], where: str) -> ir.Table:
    """Select ``columns`` typed as in the schema; a missing optional column becomes NULL."""
    out = {}
    for name in columns:
        typ = table.column(name).type
        if name in t.columns:
            out[name] = t[name].cast(typ)
        elif table.column(name).required:
            raise InputError(
                f"{where}: no column {name!r}; existing columns: {', '.join(t.columns)}"
            )
        else:
            out[name] = ibis.null(typ)
    return t.select(**out)


@dataclass(frozen=True)
class Sources:
    """The transactions, contracts and customers tables of one engine, as Ibis tables.

    Attributes
    ----------
    transactions, contracts, customers : ibis.Table
        Canonical columns only (see :data:`NEEDED`), typed as in :mod:`churnguard.schema`.
    engine : str
        The backend's name (``duckdb``, ``postgres``, ``pyspark``), reported in definitions.
    """

    transactions: ir.Table
    contracts: ir.Table
    customers: ir.Table
    engine: str

    @classmethod
    def from_backend(cls, con, names: dict[str, str] | None = None) -> Sources:
        """Read the stored tables from Ibis backend ``con`` (``names``: kind -> table name)."""
        names = names or {k: k for k in NEEDED}
        tables = {
            kind: _conform(con.table(names[kind]), table, cols, f"table {names[kind]!r}")
            for kind, (table, cols) in NEEDED.items()
        }
        return cls(**tables, engine=con.name)

    @classmethod
    def from_parquet(cls, con, directory: Path) -> Sources:
        """Read ``transactions.parquet``, ``contracts.parquet`` and ``customers.parquet`` in ``directory``.

        Each may be a file or a folder of part files (as Spark writes them). A missing
        ``contracts`` or ``customers`` file means no contracts / no customer attributes.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise InputError(f"--data: {directory} is not a folder")
        tables = {}
        for kind, (table, cols) in NEEDED.items():
            path = directory / f"{kind}.parquet"
            if path.exists():
                raw = con.read_parquet(str(path), table_name=f"cg_{kind}")
            elif kind == "transactions":
                raise InputError(
                    f"--data: {directory} holds no transactions.parquet; expected "
                    "transactions.parquet, contracts.parquet and customers.parquet"
                )
            else:
                raw = _empty(con, table, cols, kind)
            tables[kind] = _conform(raw, table, cols, str(path))
        return cls(**tables, engine=con.name)

    def last_date(self) -> date | None:
        """The latest purchase or contract start (the default as-of date)."""
        latest = None
        for t, col in ((self.transactions, "occurred_at"), (self.contracts, "start_at")):
            value = t[col].max().to_pandas()
            if value is not None and not pd.isna(value):
                d = pd.Timestamp(value).date()
                latest = d if latest is None or d > latest else latest
        return latest

    def check_group(self, by: str | None) -> str | None:
        """Return ``by`` when it is a column ``--by`` accepts; else an error listing them."""
        if by is not None and by not in GROUP_COLUMNS:
            raise InputError(f"--by: unknown column {by!r}; allowed: {', '.join(GROUP_COLUMNS)}")
        return by


def spark_backend():
    """An Ibis backend over the active Spark session, or a new local one.

    Under ``spark-submit`` (or any code that built a session first) the active session is
    used as configured; otherwise a local session on all cores
    (``$CHURNGUARD_SPARK_MASTER`` overrides the master URL).
    """
    import os

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


def _empty(con, table: Table, cols: tuple[str, ...], kind: str) -> ir.Table:
    schema = ibis.schema({c: table.column(c).type for c in cols})
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    return ibis.memtable(frame, schema=schema)
