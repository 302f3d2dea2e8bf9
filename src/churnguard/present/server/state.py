"""What the server knows about itself and its reader, needing nothing else of the server:
the app's state (workspace folder, settings read when they change, the kept-open connection),
whether a request is for the API, and the reader's language."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from churnguard.i18n import LANGUAGES, Translator, negotiate
from churnguard.service.context import Context, open_context
from churnguard.settings import SETTINGS_FILE, Settings, read_settings

log = logging.getLogger("churnguard.server")

API_PREFIX = "/api"


def is_api(request: Request) -> bool:
    """Whether ``request`` is for the JSON API (token auth, JSON errors)."""
    path = request.url.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


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
        self._ws: Context | None = None
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
                    self._ws = open_context(self.path)
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
    #: ``page(request, status, code, message, details, headers=…)``: the error page (the pages'
    #: renderer, given by the app: the server's plumbing does not import the pages)
    error_page: Callable[..., Any] | None = None
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


def language_for(request: Request) -> str:
    """The reader's language: their own choice, else the browser's, else the workspace's.

    On pages the choice is in the session (set at login from the user's saved language, and
    by the language switch); on the API it is the token user's saved language.
    """
    chosen = request.session.get("lang") if "session" in request.scope else None
    if chosen in LANGUAGES:
        return chosen
    user: Any = getattr(request.state, "user", None)  # a service.users.User once signed in
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


