"""The ``churnguard`` command line: thin commands over the service layer.

Each command module has ``register(app)``; adding a module here adds its commands.
"""

from __future__ import annotations

import typer

from churnguard.present.cli import (
    customer_cmds,
    demo_cmds,
    detect_cmds,
    import_cmds,
    measure_cmds,
    overview_cmds,
    predict_cmds,
    report_cmds,
    serve_cmds,
    user_cmds,
    value_cmds,
    workspace_cmds,
)

app = typer.Typer(
    name="churnguard",
    help="客户流失管理 · customer churn management. Run 'churnguard COMMAND --help' for examples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (workspace_cmds, import_cmds, demo_cmds, measure_cmds, value_cmds, detect_cmds, predict_cmds,
                customer_cmds, overview_cmds, report_cmds, user_cmds, serve_cmds):
    _module.register(app)


def main() -> None:
    """Entry point of the ``churnguard`` script."""
    app()
