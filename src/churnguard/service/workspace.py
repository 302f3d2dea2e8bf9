"""Use cases about the workspace: create it, report what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from churnguard.schema import DATE_COLUMN, IMPORTS, KINDS
from churnguard.store import Workspace
from churnguard.store.engine import describe_url


def init_workspace(path: Path, *, database_url: str | None = None, language: str | None = None) -> Workspace:
    """Create a workspace in ``path``."""
    return Workspace.init(Path(path), database_url=database_url, language=language)


def safe_url(ws: Workspace) -> str:
    """The workspace's database URL without its password."""
    return describe_url(ws.settings.database_url)


@dataclass
class Status:
    """What a workspace holds."""

    workspace: str
    database: str
    tables: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"workspace", "database", "tables": {name: {rows, …}}}``."""
        return {"workspace": self.workspace, "database": self.database, "tables": self.tables}


def status(path: Path | None) -> Status:
    """Rows per table, date range and last import of every importable table."""
    with Workspace.open(path) as ws:
        store = ws.store
        imports = store.table(IMPORTS.name)
        last = (
            imports.group_by("kind")
            .aggregate(last_import=imports.imported_at.max())
            .to_pandas()
            .set_index("kind")["last_import"]
        )
        tables: dict[str, dict[str, Any]] = {}
        for kind, table in KINDS.items():
            t = store.table(table.name)
            col = DATE_COLUMN[table.name]
            row = t.aggregate(rows=t.count(), date_from=t[col].min(), date_to=t[col].max()).to_pandas().iloc[0]
            info: dict[str, Any] = {"rows": int(row["rows"])}
            for key in ("date_from", "date_to"):
                info[key] = None if pd.isna(row[key]) else pd.Timestamp(row[key]).date().isoformat()
            info["last_import"] = (
                pd.Timestamp(last[kind]).isoformat(sep=" ") if kind in last.index else None
            )
            tables[table.name] = info
        return Status(str(ws.path.resolve()), safe_url(ws), tables)
