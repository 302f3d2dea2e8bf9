"""The store: workspaces, engines connected by URL, atomic loads and dated snapshots.

The names below are loaded on first use: importing a light module of the store
(:mod:`churnguard.store.quick`) does not pull in Ibis and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from churnguard.store.engine import Store
    from churnguard.store.load import LoadResult, load_rows
    from churnguard.store.records import Records, parquet_url, records_from_url
    from churnguard.store.snapshots import read_snapshot, snapshot_date, snapshot_dates, write_snapshot
    from churnguard.store.workspace import Workspace

_WHERE = {
    "Store": "engine",
    "LoadResult": "load",
    "load_rows": "load",
    "read_snapshot": "snapshots",
    "snapshot_date": "snapshots",
    "snapshot_dates": "snapshots",
    "write_snapshot": "snapshots",
    "Workspace": "workspace",
    "Records": "records",
    "parquet_url": "records",
    "records_from_url": "records",
}

__all__ = [
    "LoadResult",
    "Records",
    "Store",
    "Workspace",
    "load_rows",
    "parquet_url",
    "read_snapshot",
    "records_from_url",
    "snapshot_date",
    "snapshot_dates",
    "write_snapshot",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"churnguard.store.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'churnguard.store' has no attribute {name!r}")
