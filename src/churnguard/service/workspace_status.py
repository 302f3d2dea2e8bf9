"""What a workspace holds (``churnguard status``): light to import, so the command answers at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from churnguard.service.context import Context


@dataclass
class Status:
    """What a workspace holds."""

    workspace: str
    database: str
    tables: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"data": [{table, rows, date_from, date_to, last_import}], "count",
        "workspace", "database", "tables": {name: {rows, …}}}`` (``tables``: the same rows by name)."""
        data = [{"table": name, **info} for name, info in self.tables.items()]
        return {"data": data, "count": len(data), "workspace": self.workspace, "database": self.database,
                "tables": self.tables}


def quick_status(ctx: Context) -> Status | None:
    """:func:`churnguard.service.workspace.status` asked of the database driver directly (no
    Ibis, no pandas); None when that does not apply (the caller then takes the full path).
    Open the context with ``create_tables=False``: nothing is written."""
    from churnguard.store.quick import table_status
    from churnguard.store.urls import describe_url

    ws = ctx.workspace
    tables = table_status(ws)
    if tables is None:
        return None
    return Status(str(ws.path.resolve()), describe_url(ws.settings.database_url), tables)
