"""Session secret, CSRF tokens and security headers.

Sessions are signed cookies (Starlette's ``SessionMiddleware``, itsdangerous underneath):
the browser keeps ``{uid, csrf, lang}``, signed with the workspace's secret so it cannot be
forged; the user is looked up again on every request, so a deleted user is out at once.

CSRF: every session carries a random token; every form has it in a hidden field and every
POST to a page is checked against it (:func:`csrf_protect`, a dependency of every page
router). The API takes no cookies, only bearer tokens, so it needs no CSRF token.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from churnguard.errors import ConfigError
from churnguard.present.server.errors import CsrfFailed
from churnguard.settings import WebSettings

SECRET_ENV = "CHURNGUARD_SECRET_KEY"
SECRET_FILE = ".secret_key"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_PLACEHOLDERS = {"changeme", "change-me", "secret", "secret_key", "your-secret-key", "changethis"}


def session_secret(workspace: Path) -> str:
    """The key that signs session cookies.

    ``$CHURNGUARD_SECRET_KEY`` when set (servers sharing one PostgreSQL workspace set the same
    one); else ``.secret_key`` in the workspace, made (readable by its owner only) on first use,
    so logins survive a restart.
    """
    env = os.environ.get(SECRET_ENV)
    if env is not None:
        if len(env) < 32 or env.strip().lower() in _PLACEHOLDERS:
            raise ConfigError(f"${SECRET_ENV} must be a random string of 32 or more characters "
                              "(for example: python -c 'import secrets; print(secrets.token_hex(32))')")
        return env
    path = Path(workspace) / SECRET_FILE
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic, and never replaces a key another process just made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path}: the session key is too short; delete the file to make a new one")
    return key


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request whose form (or header) lacks this session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    expected = request.session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()


# Pages load scripts and styles only from this server (Plotly included); charts get their
# data from JSON script blocks, so no inline script is needed. Plotly sets inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in (
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ):
                    if k not in names:
                        headers.append((k, v))
                # pages and API answers hold one user's data: no browser or proxy may keep them
                # (a shared computer's back button, a caching proxy); assets set their own policy
                if b"cache-control" not in names and not scope.get("path", "").startswith("/assets/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """ASGI middleware refusing request bodies over ``limit_mb()`` MB with a 413.

    The error is raised where the body is read (form parsing), so it reaches the app's error
    handlers and answers in the one error shape (API) or as the error page. The limit is read
    on each request: a changed ``web.max_upload_mb`` holds at once.
    """

    def __init__(self, app: ASGIApp, limit_mb: Callable[[], int], overhead: int = 1 << 20):
        self.app = app
        self.limit_mb = limit_mb
        self.overhead = overhead  # multipart framing and the other fields around the file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        limit: int | None = None
        seen = 0

        async def limited_receive() -> Message:
            nonlocal limit, seen
            if limit is None:  # settings are read only when a body is read
                limit = self._limit()
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise HTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, limited_receive, send)

    def _limit(self) -> int:
        try:
            mb = self.limit_mb()
        except Exception:  # unreadable settings answer elsewhere (503); keep the default limit
            mb = WebSettings().max_upload_mb
        return mb * (1 << 20) + self.overhead
