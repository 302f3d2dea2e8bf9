"""The ``churnguard`` command line: thin commands over the service layer.

Each command module has ``register(app)``; adding a module here adds its commands.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from churnguard.present.cli import (
    customer_cmds,
    demo_cmds,
    detect_cmds,
    import_cmds,
    investigate_cmds,
    listen_cmds,
    measure_cmds,
    overview_cmds,
    predict_cmds,
    reasons_cmds,
    report_cmds,
    serve_cmds,
    suggest_cmds,
    user_cmds,
    value_cmds,
    workspace_cmds,
)
from churnguard.present.cli.common import command_line, report_unexpected

app = typer.Typer(
    name="churnguard",
    help="客户流失管理 · customer churn management. Run 'churnguard COMMAND --help' for examples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # help as written: Rich markup would eat words in square brackets ("the [signals] section")
    rich_markup_mode=None,
)


@app.callback()
def _who() -> None:
    """客户流失管理 · customer churn management. Run 'churnguard COMMAND --help' for examples."""
    import getpass

    from churnguard.service.actor import set_actor

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        name = "unknown"
    set_actor(f"cli:{name}")  # the audit log's who, for every command of this process
    _say_settings_warnings()


class _Once(logging.Filter):
    """Let each message through once (a command may open its workspace several times)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text in self.seen:
            return False
        self.seen.add(text)
        return True


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a message comes (not when it was made)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _say_settings_warnings() -> None:
    """A settings file broken by hand (the last good copy in force) is said on standard error."""
    logger = logging.getLogger("churnguard.settings")
    for h in logger.handlers:  # a new command: every message may be said once again
        for f in h.filters:
            if isinstance(f, _Once):
                f.seen.clear()
    if not any(getattr(h, "_churnguard_cli", False) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler.addFilter(_Once())
        handler._churnguard_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


for _module in (workspace_cmds, import_cmds, demo_cmds, measure_cmds, value_cmds, detect_cmds, reasons_cmds, suggest_cmds,
                predict_cmds, customer_cmds, overview_cmds, investigate_cmds, listen_cmds, report_cmds, user_cmds,
                serve_cmds):
    _module.register(app)


def _workspace_in(argv: list[str]) -> Path | None:
    """The ``--workspace``/``-w`` value of a command line, if any (for the error log's folder)."""
    for i, arg in enumerate(argv):
        if arg in ("--workspace", "-w") and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--workspace="):
            return Path(arg.split("=", 1)[1])
    return None


def main() -> None:
    """Entry point of the ``churnguard`` script.

    Commands turn errors into messages themselves (``handle_errors``); whatever still escapes
    (an error while the command line is parsed or a command is set up) ends here as one line,
    with the trace in the log, never as a traceback.
    """
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the outermost edge
        sys.exit(report_unexpected(exc, command_line(), _workspace_in(sys.argv[1:])))
