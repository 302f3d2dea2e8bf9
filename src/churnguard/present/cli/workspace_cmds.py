"""Commands about the workspace itself: init, status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from churnguard.present.cli.common import JsonOpt, WorkspaceOpt, console, handle_errors, print_json


@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    database: Annotated[
        str | None,
        typer.Option("--database", help="Database URL (default: an embedded DuckDB file in the folder)."),
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="zh or en (default zh).")] = None,
) -> None:
    """Create a workspace: churnguard.toml and its database.

    Example: churnguard init shop --database postgresql://me@127.0.0.1:5432/shop
    """
    from churnguard.service import workspace as svc

    ws = svc.init_workspace(directory, database_url=database, language=language)
    console.print(f"workspace created in {ws.path} (database: {svc.safe_url(ws)})")


@handle_errors
def status(workspace: WorkspaceOpt = None, json_out: JsonOpt = False) -> None:
    """Show what is loaded: rows per table, date range, last import.

    Example: churnguard status --json
    """
    from churnguard.service.workspace_status import quick_status

    result = quick_status(workspace)
    if result is None:  # a database in memory or a table still to make: through the store
        from churnguard.service import workspace as svc

        result = svc.status(workspace)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    t = RichTable(title=f"{d['workspace']} · {d['database']}")
    for col in ("table", "rows", "from", "to", "last import"):
        t.add_column(col, justify="right" if col == "rows" else "left")
    for name, info in d["tables"].items():
        t.add_row(name, f"{info['rows']:,}", str(info.get("date_from") or ""),
                  str(info.get("date_to") or ""), str(info.get("last_import") or ""))
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("init")(init)
    app.command("status")(status)
