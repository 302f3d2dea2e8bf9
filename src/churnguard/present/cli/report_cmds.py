"""The report command: the overview's figures, charts and tables as HTML or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnguard.present.cli.common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    open_ctx,
    print_json,
)


@handle_errors
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: ….html (charts and tables, one "
                                      "self-contained page) or ….xlsx (the tables, one sheet each).")],
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: the workspace's language).")] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the report: headline figures, warnings, churn rate (by customers, value and
    segment), revenue retention, cohorts and price–volume, from the same stored figures as
    the web pages. The file is written whole or not at all.

    Examples:
      churnguard report --out 流失报告.html
      churnguard report --out churn.xlsx --lang en -w demo
    """
    from churnguard.present.report import ReportOptions, write_report

    opts = ReportOptions(out=out)
    with err_console.status("writing the report"), open_ctx(workspace, lang=lang) as ctx:
        result = write_report(ctx, opts)
    if json_out:
        print_json(result)
        return
    console.print(f"wrote {result.out} ({result.format}, {result.language}, {result.bytes / 1e6:.1f} MB; "
                  f"data as of {result.as_of or '–'})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("report")(report)
