"""Simulated tables written straight into a workspace's store (no import files), for tests that
need a company's records on one or more engines."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from churnguard.schema import KINDS
from churnguard.store import Workspace


def load_tables(ws: Workspace, tables: dict[str, pd.DataFrame]) -> None:
    """Replace every stored table of a kind in ``tables`` (e.g. ``simulate(...).tables``) by its frame."""
    for kind, frame in tables.items():
        table = KINDS[kind]
        ws.store.replace_rows(table, pa.Table.from_pandas(frame[table.column_names], preserve_index=False))
