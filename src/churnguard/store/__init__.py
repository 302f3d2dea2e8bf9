"""The store: workspaces, engines connected by URL, atomic loads and dated snapshots."""

from churnguard.store.engine import Store
from churnguard.store.load import LoadResult, load_rows
from churnguard.store.records import Records, parquet_url, records_from_url
from churnguard.store.snapshots import read_snapshot, snapshot_date, snapshot_dates, write_snapshot
from churnguard.store.workspace import Workspace

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
