"""What every CLI command shares: the --workspace and --json options, error handling, output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from churnguard.errors import ChurnguardError
from churnguard.service.jsonable import to_json
from churnguard.store import Workspace

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $CHURNGUARD_WORKSPACE, else the current folder).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help='Print JSON: {"data": [rows], "count": n, …}.')]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Compute as of this date (YYYY-MM-DD); default: the last date in the data."),
]


def open_workspace(path: Path | None) -> Workspace:
    """Open the workspace named by --workspace (or the default)."""
    return Workspace.open(path)


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on standard output."""
    sys.stdout.write(to_json(obj) + "\n")
    sys.stdout.flush()


def handle_errors(fn: Callable) -> Callable:
    """Turn a :class:`ChurnguardError` into a message on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ChurnguardError as exc:
            err_console.print(f"error: {exc}", style="bold red", highlight=False, markup=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def parse_date_option(value: str | None, option: str = "--as-of") -> date | None:
    """Parse a YYYY-MM-DD option value within the dates the engines handle, with an error naming the option."""
    from churnguard.bounds import check_date
    from churnguard.errors import InputError

    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: {value!r} is not a date; write it as YYYY-MM-DD") from None
    return check_date(parsed, option)
