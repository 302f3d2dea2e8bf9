"""Commands about the workspace itself: init, status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnguard.present.cli.common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    console,
    handle_errors,
    open_ctx,
    print_json,
    translator_of,
)


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
def status(workspace: WorkspaceOpt = None, json_out: JsonOpt = False, lang: LangOpt = None) -> None:
    """Show what is loaded: rows per table, date range, last import.

    Example: churnguard status --json
    """
    from churnguard.service.workspace_status import quick_status

    # the driver answers directly (no Ibis, nothing written); a database in memory or a table
    # still to make goes through the store, which brings the tables up to date first
    with open_ctx(workspace, lang=lang, create_tables=False) as ctx:
        result = quick_status(ctx)
    if result is None:
        from churnguard.service import workspace as svc

        with open_ctx(workspace, lang=lang) as ctx:
            result = svc.status(ctx)
    if json_out:
        print_json(result)
        return
    from churnguard.i18n import N_
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    t = render_table(d["data"], [("table", N_("Table"), "text"), ("rows", N_("Rows"), "count"),
                                 ("date_from", N_("From"), "text"), ("date_to", N_("To"), "text"),
                                 ("last_import", N_("Last import"), "text")], tr)
    t.title = f"{d['workspace']} · {d['database']}"
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("init")(init)
    app.command("status")(status)
