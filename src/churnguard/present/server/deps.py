"""Typed dependencies shared by the API and the pages: workspace, context, user, role, scope, language.

Every route says what it needs in its signature::

    def page(ws: WorkspaceDep, user: ManagerUser, tr: TranslatorDep): ...

Permissions are decided here only: :func:`current_user` finds the user (bearer token on
``/api``, session cookie on pages) and :func:`require_role` refuses the wrong role.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from starlette.datastructures import FormData

from churnguard.i18n import LANGUAGES, Translator, negotiate
from churnguard.present.server.errors import Forbidden, LoginRequired, Unauthorized, is_api
from churnguard.service import results
from churnguard.service import users as users_svc
from churnguard.service.context import Context, context_of
from churnguard.service.users import User
from churnguard.settings import SETTINGS_FILE, Settings, read_settings
from churnguard.store import Workspace

log = logging.getLogger("churnguard.server")


class KeepOpen:
    """Keeps one connection to the workspace's database while requests come, and lets it go
    after ``idle`` seconds without any.

    Each request opens its own connection (connections are not shared between threads). With
    DuckDB, the first connection to a file loads the database (tens of milliseconds on a large
    one) and the last one to close unloads it; holding one open between the requests of a busy
    minute saves that on every request. When the pages are idle the file is let go, so
    ``churnguard import`` or ``churnguard run`` can open it from a terminal.
    """

    def __init__(self, path: Path, idle: float = 5.0):
        self.path = path
        self.idle = idle
        self._ws: Workspace | None = None
        self._last = 0.0
        self._active = 0
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        # let the file go before the interpreter ends: a DuckDB database still open then is torn
        # down with the process, and its worker threads end it with "terminate called without an
        # active exception" (exit status 134) now and then — after Ctrl+C on serve, or a test run
        atexit.register(self.close)

    def enter(self) -> None:
        """A request starts: make sure the connection is held."""
        with self._lock:
            self._active += 1
            self._last = time.monotonic()
            if self._ws is None:
                try:
                    self._ws = Workspace.open(self.path)
                except Exception:  # the request's own open reports the problem
                    self._ws = None
            if self._reaper is None or not self._reaper.is_alive():
                self._reaper = threading.Thread(target=self._reap, name="churnguard-keep-open", daemon=True)
                self._reaper.start()

    def leave(self) -> None:
        """A request ends."""
        with self._lock:
            self._active -= 1
            self._last = time.monotonic()

    def _reap(self) -> None:
        while True:
            time.sleep(min(1.0, self.idle / 2))
            with self._lock:
                if self._active or time.monotonic() - self._last < self.idle:
                    continue
                if self._ws is not None:
                    self._ws.close()
                    self._ws = None
                self._reaper = None
                return

    def close(self) -> None:
        """Let the connection go now."""
        with self._lock:
            if self._ws is not None:
                self._ws.close()
                self._ws = None


@dataclass
class ServerState:
    """What the app knows about itself (kept on ``app.state.churnguard``; no module globals)."""

    workspace_path: Path
    env: Any = None  # the Jinja environment of the pages (made by web.render.make_env)
    nav: list[Any] = field(default_factory=list)  # NavItem of each page module
    keep_open: KeepOpen | None = None
    url_paths: dict[tuple, str] = field(default_factory=dict)  # route name and parameters -> path
    _settings: tuple[float, Settings, str | None] | None = None

    def settings(self) -> Settings:
        """The workspace's settings, read again whenever churnguard.toml changes (the last good
        copy while the file is broken: :meth:`settings_problem` says what is wrong)."""
        path = self.workspace_path / SETTINGS_FILE
        mtime = path.stat().st_mtime_ns if path.exists() else -1
        if self._settings is None or self._settings[0] != mtime:
            settings, problem = read_settings(path)
            if problem:
                log.warning("%s; the last good copy is in force", problem)
            self._settings = (mtime, settings, problem)
        return self._settings[1]

    def settings_problem(self) -> str | None:
        """What is wrong with churnguard.toml while its last good copy is in force."""
        self.settings()
        return self._settings[2] if self._settings else None


def server_state(request: Request) -> ServerState:
    """The app's :class:`ServerState`."""
    return request.app.state.churnguard


def get_workspace(request: Request) -> Iterator[Workspace]:
    """The workspace, opened for this request and closed after it.

    One connection per request: connections are not shared between threads. A DuckDB file
    stays loaded while requests come (:class:`KeepOpen`) and is free for the CLI once the
    pages are idle for a few seconds.
    """
    state = server_state(request)
    keeper = state.keep_open
    if keeper is not None:
        keeper.enter()
    try:
        ws = Workspace.open(state.workspace_path, create_tables=False)  # create_app made them
        try:
            yield ws
        finally:
            ws.close()
    finally:
        if keeper is not None:
            keeper.leave()


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


def get_context(request: Request, ws: WorkspaceDep) -> Context:
    """The request's :class:`Context`: its one open workspace, in the reader's language.

    The as-of date is the latest unless a route names one (``ctx.with_as_of(as_of)``); use
    cases called with it open nothing more.
    """
    return context_of(ws, lang=translator_for(request).language)


ContextDep = Annotated[Context, Depends(get_context)]


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def session_user(request: Request, ws: Workspace) -> User | None:
    """The user of the login cookie's session when that session is still live on the server
    (not logged out, idle or too old, its user not disabled, its password not changed since);
    a dead session's id is dropped from the cookie."""
    sid = request.session.get("sid")
    user = users_svc.session_user(ws, sid) if isinstance(sid, str) else None
    if user is None:
        request.session.pop("sid", None)
    return user


def current_user(request: Request, ws: WorkspaceDep) -> User:
    """The signed-in user: by bearer token on ``/api``, by session cookie on pages.

    A signed-in browser may also *read* the API with its session (``GET``/``HEAD`` without a
    token): the pages link their JSON twins. Anything that changes data on ``/api`` needs the
    token, so the session cookie never stands in for a CSRF check there."""
    if is_api(request):
        token = _bearer(request)
        if token:
            user = users_svc.user_for_token(ws, token)
        elif request.method in ("GET", "HEAD"):
            user = session_user(request, ws)
        else:
            user = None
        if user is None:
            raise Unauthorized()
    else:
        user = session_user(request, ws)
        if user is None:
            raise LoginRequired()
    request.state.user = user
    return user


def require_role(*roles: str) -> Callable[..., User]:
    """A dependency that lets through the given roles (and admin) and refuses the rest."""

    def check(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        if not user.has_role(*roles):
            raise Forbidden(role=user.role, roles=", ".join(sorted({"admin", *roles})))
        return user

    return check


AnyUser = Annotated[User, Depends(current_user)]
ManagerUser = Annotated[User, Depends(require_role("manager"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


@dataclass(frozen=True)
class CustomerScope:
    """Which customers a list shows: those of one CSM (``csm``), or all (``csm`` is None)."""

    csm: str | None
    mine: bool


def customer_scope(
    user: AnyUser,
    scope: Annotated[Literal["mine", "all"] | None, Query(description="mine: my customers; all: everyone's")] = None,
) -> CustomerScope:
    """A CSM sees their own customers unless they ask for all; managers and admins see all."""
    chosen = scope or ("mine" if user.role == "csm" else "all")
    if chosen == "mine" and user.csm_name:
        return CustomerScope(user.csm_name, True)
    return CustomerScope(None, False)


ScopeDep = Annotated[CustomerScope, Depends(customer_scope)]


def own_customers(user: AnyUser) -> str | None:
    """Whose customers ``user`` may open one by one: a CSM only their own (their ``csm_name``),
    managers and admins anyone's (None)."""
    return (user.csm_name or "") if user.role == "csm" else None


#: the CSM a customer must belong to for this user to open it (None: any customer)
OwnCustomersDep = Annotated[str | None, Depends(own_customers)]


def language_for(request: Request) -> str:
    """The reader's language: their own choice, else the browser's, else the workspace's.

    On pages the choice is in the session (set at login from the user's saved language, and
    by the language switch); on the API it is the token user's saved language.
    """
    chosen = request.session.get("lang") if "session" in request.scope else None
    if chosen in LANGUAGES:
        return chosen
    user: User | None = getattr(request.state, "user", None)
    if user is not None and user.language in LANGUAGES:
        return user.language
    return negotiate(request.headers.get("accept-language")) or (
        "en" if is_api(request) else server_state(request).settings().language
    )


def translator_for(request: Request) -> Translator:
    """A :class:`Translator` in the reader's language and the workspace's time zone."""
    try:
        settings = server_state(request).settings()
        tz = settings.timezone
    except Exception:  # an error page must render even when churnguard.toml is broken
        tz = "UTC"
    try:
        language = language_for(request)
    except Exception:
        language = "en"
    return Translator(language, tz)


def get_translator(request: Request) -> Translator:
    """Dependency form of :func:`translator_for`."""
    return translator_for(request)


TranslatorDep = Annotated[Translator, Depends(get_translator)]


async def read_form(request: Request) -> FormData:
    """The posted form (for pages whose fields are not fixed, such as the settings form)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


@dataclass
class Figures:
    """Stored figures of the request's workspace (:mod:`churnguard.service.results`).

    ``figures.get("churn-rate", period="month")`` reads the figure stored for the current data
    version, computing and storing it first when there is none; with ``web.cache_results =
    false`` it computes every time. The data version is read once per request.
    """

    ws: Workspace
    use_cache: bool
    _version: str | None = None

    def get(self, name: str, **options: Any) -> results.Stored:
        """The figure ``name`` with ``options`` (see :func:`churnguard.service.results.figure`)."""
        if self.use_cache and self._version is None:
            self._version = results.data_version(self.ws)
        return results.figure(self.ws, name, options, use_cache=self.use_cache, version=self._version)


def get_figures(request: Request, ws: WorkspaceDep) -> Figures:
    """The request's :class:`Figures`."""
    return Figures(ws, server_state(request).settings().web.cache_results)


FiguresDep = Annotated[Figures, Depends(get_figures)]
