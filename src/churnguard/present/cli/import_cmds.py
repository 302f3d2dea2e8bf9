"""The import command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from churnguard.present.cli.common import (
    N_,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    open_workspace,
    print_json,
    translator_of,
)
from churnguard.schema import KINDS

if TYPE_CHECKING:
    from churnguard.errors import RowError
    from churnguard.i18n import Translator

KIND_HELP = "What the file holds: " + ", ".join(KINDS) + "."


@handle_errors
def import_(
    kind: Annotated[str, typer.Argument(help=KIND_HELP, show_default=False)],
    file: Annotated[Path | None, typer.Argument(help="CSV (UTF-8 or GBK), .xlsx or .parquet file.")] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help='TOML file: [columns] canonical = "your header".')
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="CSV encoding (default: detected; e.g. gbk, utf-8).")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel sheet (default: the first).")] = None,
    query: Annotated[str | None, typer.Option("--query", help="SQL to read rows from --source instead of a file.")] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Database URL for --query: postgresql://, mysql://, sqlite:///, duckdb:///."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Import customers, transactions, contracts … from a file or a query. All or nothing.

    Headers in Chinese or English are recognised (客户编号 → customer_id, 金额 → amount …).
    Every bad value is reported with file, line, column and reason, and then nothing is
    imported. Importing the same file twice changes nothing.

    Examples:
      churnguard import transactions 订单.csv
      churnguard import customers customers.xlsx --mapping columns.toml --dry-run
      churnguard import transactions --query "SELECT * FROM orders" --source postgresql://me@db/erp
    """
    from churnguard.service.imports import ImportOptions, import_data

    ws = open_workspace(workspace)
    opts = ImportOptions(kind=kind, file=file, query=query, source=source, mapping_file=mapping,
                         encoding=encoding, sheet=sheet, dry_run=dry_run)
    tr = translator_of(lang, workspace)

    def waiting() -> None:
        err_console.print(tr.gettext(N_("waiting for another import or run of this workspace to finish…")),
                          highlight=False)

    with ws:
        if json_out or file is None:
            summary = import_data(ws, opts, on_wait=waiting)
        else:
            with Progress(TextColumn("reading {task.description}"), BarColumn(), DownloadColumn(),
                          TimeRemainingColumn(), console=err_console, transient=True) as bar:
                task = bar.add_task(file.name, total=None)
                summary = import_data(ws, opts, progress=lambda done, total: bar.update(task, completed=done, total=total),
                                      on_wait=waiting)
    if json_out:
        print_json(summary)
    else:
        _print_summary(summary, tr)
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("import")(import_)


def _row_error(e: RowError, tr: Translator) -> str:
    """One rejected value as the reader reads it (in English, as the error itself says it)."""
    if tr.language == "en":
        return str(e)
    from churnguard.i18n import translate_message

    shown = "" if e.value is None else " " + tr.gettext(N_("value %(value)s:"), value=repr(e.value))
    return (f"{e.file}:{e.line}: " + tr.gettext(N_("column %(column)s:"), column=repr(e.column))
            + f"{shown} {translate_message(tr, e.reason)}")


def _print_summary(s, tr: Translator) -> None:
    from churnguard.service.imports import MAX_ERRORS_SHOWN

    mapping = ", ".join(f"{h} → {c}" for c, h in s.mapping.items())
    console.print(f"{s.file}: {s.kind}, " + tr.gettext(N_("encoding %(encoding)s"), encoding=s.encoding or "n/a"),
                  highlight=False)
    console.print("  " + tr.gettext(N_("columns used: %(mapping)s"), mapping=mapping), highlight=False)
    if not s.ok:
        bad = tr.gettext(N_("%(n)s bad value(s); nothing was imported."), n=tr.format_number(s.error_count))
        first = tr.gettext(N_("First %(n)s:"), n=tr.format_number(min(s.error_count, MAX_ERRORS_SHOWN)))
        err_console.print(f"[bold red]{bad}[/] {first}")
        for e in s.errors:
            err_console.print(f"  {_row_error(e, tr)}", highlight=False, markup=False)
        return
    counts = {"read": tr.format_number(s.rows_read), "imported": tr.format_number(s.rows_imported),
              "unchanged": tr.format_number(s.rows_unchanged)}
    line = (tr.gettext(N_("%(read)s rows read; would import %(imported)s; unchanged %(unchanged)s"), **counts)
            if s.dry_run else
            tr.gettext(N_("%(read)s rows read; imported %(imported)s; unchanged %(unchanged)s"), **counts))
    console.print("  " + line + ("  " + tr.gettext(N_("(dry run: nothing written)")) if s.dry_run else ""),
                  highlight=False)
