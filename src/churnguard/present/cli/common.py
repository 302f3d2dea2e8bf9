"""What every CLI command shares: the option types, error handling, output.

Light on purpose: importing it (and so ``churnguard --help``) loads no store, no pandas; each
command imports the services it calls when it runs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from churnguard.errors import ChurnguardError
from churnguard.service.jsonable import to_json

if TYPE_CHECKING:
    from churnguard.i18n import Translator
    from churnguard.service.context import Context
    from churnguard.service.workspace import Workspace

def N_(message: str) -> str:
    """Mark ``message`` for translation (as :func:`churnguard.i18n.N_`, without loading the catalog
    machinery when only help is asked for)."""
    return message


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
    typer.Option("--as-of", help="Date of knowledge (YYYY-MM-DD): nothing later is read; default: the last date "
                                 "in the data (the output says which).", show_default=False),
]
FromOpt = Annotated[
    str | None,
    typer.Option("--from", help="First day of the window (YYYY-MM-DD): the period holding it is the first; "
                                "default: the first in the data.", show_default=False),
]
ToOpt = Annotated[
    str | None,
    typer.Option("--to", help="Last day of the window (YYYY-MM-DD): the period holding it is the last; "
                              "default: the as-of date.", show_default=False),
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="zh or en: the language of headers, labels and messages "
                                "(default: the workspace's language).", show_default=False),
]


def open_workspace(path: Path | None) -> Workspace:
    """The workspace of a command whose use cases take the open workspace (users, tokens, the
    audit log, imports), opened through a context; use it in a ``with``."""
    return open_ctx(path).workspace


def open_ctx(workspace: Path | None, as_of: str | date | None = None, lang: str | None = None,
             **kwargs: Any) -> Context:
    """The command's one :class:`~churnguard.service.context.Context`: the workspace named by
    ``--workspace`` (or the default), as of ``--as-of``, in ``--lang``; use it in a ``with``."""
    from churnguard.service.context import open_context

    when = parse_date_option(as_of) if isinstance(as_of, str) else as_of
    return open_context(workspace, as_of=when, lang=lang, **kwargs)


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on standard output."""
    sys.stdout.write(to_json(obj) + "\n")
    sys.stdout.flush()


#: exit code of an unexpected error (a fault of the program, not of the input): EX_SOFTWARE
UNEXPECTED_EXIT = 70


def report_unexpected(exc: BaseException, what: str, workspace: Path | None = None) -> int:
    """Say in one line on stderr that ``what`` failed and where the full trace went; return the exit code."""
    from churnguard.present.errorlog import one_line, write_trace

    path = write_trace(exc, what, workspace)
    where = f"full trace in {path}" if path is not None else "no log folder could be written"
    err_console.print(f"error: {what} failed unexpectedly: {one_line(exc)} ({where})", style="bold red",
                      highlight=False, markup=False, soft_wrap=True)
    return UNEXPECTED_EXIT


def _context_path() -> str | None:
    """The running command's path (``churnguard model train``) from the command-line library's
    context, when there is one (Typer ≥ 0.29 carries its own copy of Click)."""
    for name in ("typer._click.globals", "click.globals"):
        try:
            module = __import__(name, fromlist=["get_current_context"])
        except ImportError:
            continue
        ctx = module.get_current_context(silent=True)
        if ctx is not None:
            return "churnguard " + " ".join(ctx.command_path.split()[1:]) if " " in ctx.command_path else None
    return None


def command_line(argv: list[str] | None = None) -> str:
    """The running command (``churnguard run``); outside one, ``churnguard`` and the words of the
    command line before its first option (at most three)."""
    if argv is None and (path := _context_path()):
        return path
    words = []
    for arg in sys.argv[1:] if argv is None else argv:
        if arg.startswith("-") or len(words) == 3:
            break
        words.append(arg)
    return " ".join(["churnguard", *words])


#: exceptions that are the command line's own way out (exit codes, usage errors): not faults
_PASS = (typer.Exit, typer.Abort, typer.BadParameter, getattr(typer, "TyperException", typer.Exit), KeyboardInterrupt)


def language_of(lang: str | None, workspace: Path | None = None) -> str:
    """The language to print in: ``--lang`` when given, else the workspace's (read from its
    ``churnguard.toml`` without validating the rest), else ``zh`` (the default of a workspace);
    ``en`` when there is no readable workspace."""
    from churnguard.errors import OptionError
    from churnguard.i18n import LANGUAGES

    if lang is not None:
        if lang not in LANGUAGES:
            raise OptionError("lang", f"must be one of {', '.join(LANGUAGES)} (got {lang!r})")
        return lang
    import os
    import tomllib

    folder = Path(workspace or os.environ.get("CHURNGUARD_WORKSPACE") or ".")
    try:
        value = tomllib.loads((folder / "churnguard.toml").read_text(encoding="utf-8")).get("language", "zh")
    except (OSError, ValueError):  # no workspace, or a broken file: the command reports it
        return "en"
    return value if value in LANGUAGES else "en"


def translator_of(lang: str | None, workspace: Path | None = None) -> Translator:
    """A :class:`~churnguard.i18n.Translator` for :func:`language_of`."""
    from churnguard.i18n import Translator

    return Translator(language_of(lang, workspace))


def error_text(exc: ChurnguardError, lang: str | None = None, workspace: Path | None = None) -> str:
    """The message of ``exc`` as the command line says it: an option by its flag (``--top``),
    in the reader's language when the catalog knows the message."""
    from churnguard.errors import OptionError
    from churnguard.i18n import message_of, translate_message

    text = exc.for_cli() if isinstance(exc, OptionError) else message_of(exc)
    try:
        language = language_of(lang, workspace)
    except ChurnguardError:
        language = "en"
    if language == "en":
        return str(text)
    from churnguard.i18n import Translator

    tr = Translator(language)
    if isinstance(exc, OptionError):
        return f"--{exc.field.replace('_', '-')}: {translate_message(tr, exc.problem)}"
    return translate_message(tr, text)


def handle_errors(fn: Callable) -> Callable:
    """Turn a :class:`ChurnguardError` into a message on stderr (in ``--lang``) and its exit code;
    any other error into one line on stderr, with the full trace in the workspace's log
    (:mod:`churnguard.present.errorlog`) and exit code :data:`UNEXPECTED_EXIT`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        workspace = kwargs.get("workspace")
        workspace = workspace if isinstance(workspace, Path) else None
        try:
            return fn(*args, **kwargs)
        except ChurnguardError as exc:
            err_console.print(f"error: {error_text(exc, kwargs.get('lang'), workspace)}", style="bold red",
                              highlight=False, markup=False)
            raise typer.Exit(exc.exit_code) from None
        except _PASS:
            raise
        except Exception as exc:  # noqa: BLE001 - the edge: no traceback reaches the user
            code = report_unexpected(exc, command_line(), workspace)
            raise typer.Exit(code) from None

    return wrapper


def list_output(result: Any, run: str, json_out: bool, lang: str | None,
                workspace: Path | None) -> tuple[dict[str, Any], Translator] | None:
    """A list command's output: with ``--json`` print it (``"run": "computed"`` added when no run
    of its date was stored) and return None; else say how it was got and return its dict and the
    reader's translator, for the command to print."""
    if json_out:
        print_json(result if run == "stored" else {**result.to_dict(), "run": run})
        return None
    tr = translator_of(lang, workspace)
    d = result.to_dict()
    say_run(run, d["as_of"], tr)
    return d, tr


def say_run(run: str, as_of: str | None, tr: Translator) -> None:
    """Say on standard error when a list was computed afresh (no run of its date was stored)."""
    if run == "computed":
        from churnguard.i18n import N_

        err_console.print(tr.gettext(N_("no run stored for %(date)s: computed afresh"), date=as_of or "—"),
                          style="yellow", highlight=False, markup=False)


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
