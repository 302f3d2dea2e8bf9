"""The serve command: the web pages and the REST API of one workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from churnguard.present.cli.common import LangOpt, WorkspaceOpt, console, handle_errors


@handle_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Serve the web pages (Chinese and English) and the REST API under /api.

    Add a user first (churnguard user add NAME --role admin); the API takes tokens from
    'churnguard user token NAME'. Put a TLS proxy in front when others connect.

    Examples:
      churnguard serve -w demo
      churnguard serve --host 0.0.0.0 --port 8080 -w /srv/shop
    """
    import uvicorn

    from churnguard.present.app import create_app
    from churnguard.settings import default_workspace_dir

    app = create_app(workspace or default_workspace_dir())
    console.print(f"churnguard serving {app.state.churnguard.workspace_path} on http://{host}:{port}/ "
                  f"(API docs: http://{host}:{port}/api/docs); Ctrl+C stops it", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve)
