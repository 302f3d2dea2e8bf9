"""The store: workspaces, engines connected by URL, atomic loads and dated snapshots."""

from churnguard.store.engine import Store
from churnguard.store.load import LoadResult, load_rows
from churnguard.store.snapshots import read_snapshot, snapshot_date, snapshot_dates, write_snapshot
from churnguard.store.workspace import Workspace

__all__ = [
    "LoadResult",
    "Store",
    "Workspace",
    "load_rows",
    "read_snapshot",
    "snapshot_date",
    "snapshot_dates",
    "write_snapshot",
]
