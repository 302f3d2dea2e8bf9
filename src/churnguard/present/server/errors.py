"""Errors at the HTTP edge, and the one place that turns every error into a response.

The API answers every error with one JSON shape::

    {"error": {"code": "invalid_input", "message": "…", "details": …}}

and pages answer with the error page in the reader's language (a missing login sends the
browser to the login page instead). :class:`~churnguard.errors.ChurnguardError` is mapped
to a status in :data:`CHURNGUARD_STATUS`; a user's mistake is always a 4xx with a message.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from churnguard.errors import (
    ChurnguardError,
    ConfigError,
    FitError,
    InputError,
    NotComputedError,
    NotFittedError,
    NotFoundError,
    OptionError,
    SettingsError,
    ValidationError,
    WorkspaceError,
)
from churnguard.i18n import N_, Translator, message_of, translate_message
from churnguard.present.errorlog import one_line, write_trace
from churnguard.present.server.state import is_api, server_state, translator_for

log = logging.getLogger("churnguard.server")

class HttpError(Exception):
    """An error of the HTTP edge itself (not of the service): status, code and a message.

    ``message`` is an English msgid with ``%(name)s`` placeholders filled from ``values``;
    it is translated when the response is made.
    """

    status = 400
    code = "bad_request"
    message = N_("The request cannot be served.")

    def __init__(self, message: str | None = None, details: Any = None, **values: Any):
        if message is not None:
            self.message = message
        self.details = details
        self.values = values
        super().__init__(self.message % values if values else self.message)


class Unauthorized(HttpError):
    """No valid API token (or, for a page, no login)."""

    status = 401
    code = "unauthorized"
    message = N_("Send a valid API token: 'Authorization: Bearer TOKEN' (make one with 'churnguard user token NAME').")


class LoginRequired(Unauthorized):
    """A page needs a signed-in user: the browser is sent to the login page."""

    code = "login_required"
    message = N_("Please sign in.")


class Forbidden(HttpError):
    """Signed in, but the role may not do this."""

    status = 403
    code = "forbidden"
    message = N_("Your role (%(role)s) may not do this; it needs: %(roles)s.")


class CsrfFailed(HttpError):
    """A form arrived without the token of the page it came from."""

    status = 403
    code = "csrf_failed"
    message = N_("This form has expired or did not come from this site. Reload the page and send it again.")


class NotFound(HttpError):
    """No such page or resource."""

    status = 404
    code = "not_found"
    message = N_("There is nothing at this address.")


#: ChurnguardError subclasses -> (HTTP status, error code); the first match wins.
CHURNGUARD_STATUS: tuple[tuple[type[ChurnguardError], int, str], ...] = (
    (ValidationError, 422, "rows_rejected"),
    (SettingsError, 422, "invalid_settings"),
    (InputError, 422, "invalid_input"),
    (FitError, 422, "fit_failed"),
    (NotFoundError, 404, "not_found"),
    (NotComputedError, 409, "not_computed"),
    (NotFittedError, 409, "not_computed"),
    (ConfigError, 503, "config_error"),
    (WorkspaceError, 503, "workspace_unavailable"),
    (ChurnguardError, 409, "not_possible"),
)

_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
               415: "unsupported_media_type", 422: "invalid_input"}
_HTTP_MESSAGES = {
    404: N_("There is nothing at this address."),
    405: N_("This address does not take a %(method)s request."),
    413: N_("The upload is larger than the limit of %(mb)s MB (setting web.max_upload_mb)."),
}


def churnguard_status(exc: ChurnguardError) -> tuple[int, str]:
    """The HTTP status and error code of a service error."""
    for cls, status, code in CHURNGUARD_STATUS:
        if isinstance(exc, cls):
            return status, code
    return 409, "not_possible"  # pragma: no cover - ChurnguardError is the last row


def _details(exc: ChurnguardError) -> Any:
    if isinstance(exc, ValidationError):
        return {"error_count": exc.error_count, "errors": [e.to_dict() for e in exc.errors]}
    if isinstance(exc, SettingsError):
        return {"problems": exc.problems}
    if isinstance(exc, OptionError):  # the option as the API names it: its field
        return {"field": exc.field, "problem": exc.problem}
    return None


def error_translator(request: Request) -> Translator:
    """The reader's language for an error, without touching the database."""
    return translator_for(request)


def error_response(request: Request, status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    """The error as JSON (API) or as the error page (pages)."""
    if is_api(request):
        return JSONResponse({"error": {"code": code, "message": message, "details": details}},
                            status_code=status, headers=headers)
    page = server_state(request).error_page  # the pages' renderer, given by the app
    if page is None:
        return PlainTextResponse(message, status_code=status, headers=headers)
    return page(request, status, code, message, details, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error its one shape."""

    @app.exception_handler(HttpError)
    async def _http_error(request: Request, exc: HttpError) -> Response:
        if isinstance(exc, LoginRequired) and not is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{request.scope.get('root_path', '')}/login?next={quote(target)}",
                                    status_code=303)
        tr = error_translator(request)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(request, exc.status, exc.code, tr.gettext(exc.message, **exc.values),
                              exc.details, headers)

    @app.exception_handler(ChurnguardError)
    async def _service_error(request: Request, exc: ChurnguardError) -> Response:
        status, code = churnguard_status(exc)
        tr = error_translator(request)
        if status == 503:
            # the workspace cannot be used: its message names files, paths, a process id — for the
            # operator's eyes (the server's log), not for whoever happens to open the page
            log.warning("%s %s: %s", request.method, request.url.path, one_line(exc, 2000))
            message = tr.gettext("The workspace cannot be used right now; the server's log "
                                 "(logs/churnguard.log in the workspace) says why.")
            return error_response(request, status, code, message, None)
        return error_response(request, status, code, translate_message(tr, message_of(exc)), _details(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        tr = error_translator(request)
        problems = [
            {"loc": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        shown = "; ".join(f"{p['loc']}: {p['message']}" for p in problems)
        message = tr.gettext("The request is not valid: %(problems)s", problems=shown)
        return error_response(request, 422, "invalid_request", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _starlette_http(request: Request, exc: StarletteHTTPException) -> Response:
        tr = error_translator(request)
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        if exc.status_code in _HTTP_MESSAGES:
            mb = request.app.state.churnguard.settings().web.max_upload_mb
            message = tr.gettext(_HTTP_MESSAGES[exc.status_code], method=request.method, mb=mb)
        else:
            message = str(exc.detail)
        return error_response(request, exc.status_code, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return unexpected_response(request, exc)

    # innermost of the app's own middleware (added first): the error is answered here and not
    # raised further, so the server's console shows one line instead of uvicorn's traceback
    app.add_middleware(CatchUnexpected)


def _log_unexpected(request: Request, exc: Exception) -> Path | None:
    """One line on the server's log, the full trace in the workspace's log file."""
    what = f"{request.method} {request.url.path}"
    state = getattr(request.app.state, "churnguard", None)
    path = write_trace(exc, what, getattr(state, "workspace_path", None))
    log.error("%s failed: %s (full trace in %s)", what, one_line(exc), path)
    return path


def unexpected_response(request: Request, exc: Exception) -> Response:
    """A fault of the program: one line on the console, the trace in the log, a 500 in the one shape."""
    path = _log_unexpected(request, exc)
    tr = error_translator(request)
    what = f"{request.method} {request.url.path}"
    if path is None:
        message = tr.gettext("Something went wrong on the server; the log says what.")
    else:
        message = tr.gettext("Something went wrong on the server: %(what)s failed (%(error)s); the full "
                             "trace is in %(log)s.", what=what, error=one_line(exc, 200), log=str(path))
    return error_response(request, 500, "internal_error", message, {"log": None if path is None else str(path)})


class CatchUnexpected:
    """ASGI middleware: an exception a route lets through becomes :func:`unexpected_response`.

    Starlette answers such an exception with the app's handler too, but then raises it again
    so that the server prints its traceback; here it stops.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the edge: no traceback reaches anyone
            request = Request(scope, receive)
            if started:  # part of the answer is out: nothing more can be said to the client
                _log_unexpected(request, exc)
                return
            await unexpected_response(request, exc)(scope, receive, send)
