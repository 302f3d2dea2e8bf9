"""``create_app(workspace)``: the FastAPI app of one workspace (pages, ``/api``, assets).

Nothing is built at import time: the app, its Jinja environment, its settings and its session
key all come from the workspace given to the factory, so tests make as many apps as they like.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import churnguard
from churnguard.present.errorlog import log_events
from churnguard.present.server.deps import KeepOpen, ServerState
from churnguard.present.server.edge import check_text
from churnguard.present.server.errors import install_error_handlers
from churnguard.present.server.security import BodyLimit, SecurityHeaders, csrf_protect, session_secret
from churnguard.present.server.state import API_PREFIX
from churnguard.service.context import open_context
from churnguard.settings import proxy_networks

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
SESSION_COOKIE = "churnguard_session"


def create_app(workspace_path: Path | str) -> FastAPI:
    """Build the app serving the workspace in ``workspace_path``.

    Checks the workspace opens (a wrong folder fails here, not on the first request) and reads
    its settings (``web.session_hours`` holds until the next start; the rest is read per request).
    """
    from churnguard.present.api import ROUTERS
    from churnguard.present.web.charts import plotly_js
    from churnguard.present.web.pages import PAGES
    from churnguard.present.web.render import make_env, render_error

    path = Path(workspace_path).resolve()
    with open_context(path) as ctx:  # brings the tables up to date once; requests skip it
        settings = ctx.settings
    log_events(path)  # locked logins and other warnings go to the workspace's log
    app = FastAPI(
        title="churnguard",
        summary="客户流失管理 · customer churn management: REST API",
        description=(
            "Every call needs `Authorization: Bearer TOKEN` (a signed-in browser may also read with its session); make a token with "
            "`churnguard user token NAME`. Errors always have the shape "
            '`{"error": {"code", "message", "details"}}`.'
        ),
        version=churnguard.__version__,
        docs_url=None,  # our own /api/docs page: the default one loads Swagger UI from a CDN
        redoc_url=None,
        openapi_url=None,  # served by present/api/docs.py under /api
        dependencies=[Depends(check_text)],  # no control characters in any parameter or form field
    )
    state = ServerState(workspace_path=path, env=make_env(), error_page=render_error,
                        keep_open=KeepOpen(path) if settings.database_url.startswith("duckdb") else None)
    app.state.churnguard = state
    install_error_handlers(app)

    # the API: bearer tokens, no cookies, so no CSRF token
    api = APIRouter(prefix=API_PREFIX)
    for module in ROUTERS:
        api.include_router(module.router)
    app.include_router(api)

    # the pages: every POST is checked for the session's CSRF token
    for module in PAGES:
        app.include_router(module.router, dependencies=[Depends(csrf_protect)], include_in_schema=False)
        if module.NAV is not None:
            state.nav.append(module.NAV)

    js = plotly_js()

    @app.get("/assets/plotly.min.js", include_in_schema=False, name="plotly_js")
    def _plotly() -> FileResponse:
        return FileResponse(js, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="static")

    proxies = [str(n) for n in proxy_networks(settings.web.trusted_proxies)]
    app.add_middleware(BodyLimit, limit_mb=lambda: state.settings().web.max_upload_mb)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(path),
        session_cookie=SESSION_COOKIE,
        max_age=settings.web.session_hours * 3600,
        same_site="lax",
        https_only=settings.web.secure_cookie,  # true behind a TLS proxy (docs/security.md)
    )
    if proxies:  # outermost: the client's address and scheme as the trusted proxy saw them
        # uvicorn's own proxy layer trusts 127.0.0.1 by default: `serve` turns it off and this
        # one, driven by the setting, takes its place (login throttling counts per address)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app
