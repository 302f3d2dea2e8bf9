"""Signing in and out, and the language switch."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from churnguard.i18n import LANGUAGES
from churnguard.present.server.deps import WorkspaceDep, session_user, translator_for
from churnguard.present.server.errors import NotFound
from churnguard.present.web.render import render
from churnguard.service import audit, logins
from churnguard.service import users as users_svc

router = APIRouter()
NAV = None  # no header link: the login page is where signed-out readers land


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@router.get("/login", name="login")
def login_page(request: Request, ws: WorkspaceDep, next: Annotated[str | None, Query()] = None) -> Response:
    """The sign-in form."""
    if session_user(request, ws) is not None:
        return RedirectResponse(safe_next(next) or str(request.app.url_path_for("overview")), status_code=303)
    return render(request, "login.html", {"next": safe_next(next) or "", "error": None, "user_id": "",
                                          "no_users": users_svc.count_users(ws) == 0})


@router.post("/login", name="login_submit")
def login_submit(
    request: Request,
    ws: WorkspaceDep,
    user_id: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success start a fresh session and go where the reader was going.

    Wrong passwords lock the user name and the client address for a while
    (:mod:`churnguard.service.logins`): while locked, no password is checked and the answer is
    429 with ``Retry-After``."""
    tr = translator_for(request)

    def again(error: str, status: int, headers: dict[str, str] | None = None) -> Response:
        return render(request, "login.html", {
            "next": safe_next(next) or "", "user_id": user_id, "error": error,
            "no_users": users_svc.count_users(ws) == 0,
        }, status=status, headers=headers)

    name = user_id.strip()
    if not name or not password:
        return again(tr.gettext("Wrong user name or password."), 401)
    # the connection's address; behind a proxy of web.trusted_proxies the app's proxy layer has put
    # the client's address from X-Forwarded-For here (create_app)
    address = request.client.host if request.client else None
    names = logins.subjects(name, address)
    wait = logins.wait_seconds(ws, names)
    if wait:
        audit.record(ws, "sign_in_locked", name[:64], {"retry_after": wait}, actor="web:", address=address)
        return again(tr.gettext("Too many wrong passwords: try again in %(n)s seconds.") % {"n": wait}, 429,
                     {"Retry-After": str(wait)})
    user = users_svc.authenticate(ws, name, password)
    if user is None:
        lock = logins.record_failure(ws, names)
        audit.record(ws, "sign_in_failed", name[:64], {"locked_for": lock} if lock else None, actor="web:",
                     address=address)
        return again(tr.gettext("Wrong user name or password."), 401)
    logins.record_success(ws, user.user_id)
    audit.record(ws, "sign_in", user.user_id, actor=f"web:{user.user_id}", address=address)
    lang = request.session.get("lang")
    request.session.clear()  # nothing from before the login carries over (but the language)
    request.session.update({"sid": users_svc.start_session(ws, user.user_id), "csrf": secrets.token_urlsafe(32)})
    if user.language or lang:
        request.session["lang"] = user.language or lang
    return RedirectResponse(safe_next(next) or str(request.app.url_path_for("overview")), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request, ws: WorkspaceDep) -> Response:
    """End the session, on the server too: a copy of the cookie no longer signs anyone in (the
    language choice stays)."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        user = users_svc.session_user(ws, sid)
        users_svc.end_session(ws, sid)
        if user is not None:
            audit.record(ws, "sign_out", user.user_id, actor=f"web:{user.user_id}",
                         address=request.client.host if request.client else None)
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse(str(request.app.url_path_for("login")), status_code=303)


@router.get("/lang/{code}", name="set_language")
def set_language(request: Request, code: str, next: Annotated[str | None, Query()] = None) -> Response:
    """Switch this session's language (a link anyone may follow: it stores nothing)."""
    if code not in LANGUAGES:
        raise NotFound()
    request.session["lang"] = code
    return RedirectResponse(safe_next(next) or str(request.app.url_path_for("overview")), status_code=303)


@router.post("/lang/{code}", name="set_language_submit")
def set_language_submit(request: Request, ws: WorkspaceDep, code: str,
                        next: Annotated[str, Form()] = "") -> Response:
    """The header's switch: this session's language, kept for a signed-in user's next login
    (a POST with the CSRF token, as every change is)."""
    if code not in LANGUAGES:
        raise NotFound()
    request.session["lang"] = code
    user = session_user(request, ws)
    if user is not None:
        users_svc.set_language(ws, user.user_id, code)
    return RedirectResponse(safe_next(next) or str(request.app.url_path_for("overview")), status_code=303)
