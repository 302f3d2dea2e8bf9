"""Shared pieces of the service layer: resolving the as-of date, result objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from churnguard.schema import DATE_COLUMN
from churnguard.store import Store


def last_data_date(store: Store) -> date | None:
    """The latest date in any dated record table (transactions, contracts' starts, …)."""
    latest: date | None = None
    for table, col in DATE_COLUMN.items():
        if table == "customers" or not store.has_table(table):
            continue
        value = store.table(table)[col].max().execute()
        if value is not None and not pd.isna(value):
            d = pd.Timestamp(value).date()
            latest = d if latest is None or d > latest else latest
    return latest


def resolve_as_of(store: Store, as_of: date | None) -> tuple[date, str]:
    """Return the as-of date to use and where it came from (``given`` or ``last date in data``).

    Computations always receive an explicit date; only the edges pick this default, and they
    say so in their output.
    """
    from churnguard.errors import ChurnguardError
    from churnguard.i18n import N_, Message

    if as_of is not None:
        return as_of, "given"
    latest = last_data_date(store)
    if latest is None:
        raise ChurnguardError(
            Message(N_("the workspace holds no dated records yet; import transactions or contracts first"))
        )
    return latest, "last date in the data"


@dataclass
class TableResult:
    """A figure command's result: rows plus whatever else the command reports.

    ``to_dict()`` is the one JSON shape of CLI ``--json`` and the API:
    ``{"data": [rows], "count": n, **extra}``.
    """

    frame: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [rows], "count": n, …}``."""
        from churnguard.service.jsonable import rows_of

        rows = rows_of(self.frame, days=False)
        return {"data": rows, "count": len(rows), **self.extra}
