"""Web sessions: started at sign-in, ended by logout, a new password or role, disabling or
deleting the user, idleness (``web.session_idle_minutes``) or age (``web.session_hours``).
Only the SHA-256 of a session id is stored."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from churnguard.service.accounts import User, as_datetime, get_user, utc_now
from churnguard.service.passwords import token_hash
from churnguard.store import Store, Workspace
from churnguard.store import users as repo

#: a session's last request is written at most this often (not on every page)
SESSION_TOUCH_SECONDS = 60


def start_session(ws: Workspace, user_id: str) -> str:
    """Start a web session for ``user_id``; return its id (256 random bits) for the login cookie.
    Only its SHA-256 is stored, so the table cannot be used to take over a session."""
    sid = secrets.token_urlsafe(32)
    repo.insert_session(ws.store, token_hash(sid), user_id, utc_now())
    return sid


def session_user(ws: Workspace, sid: str, now: datetime | None = None) -> User | None:
    """The user of a live session, or None: unknown, ended, idle longer than
    ``web.session_idle_minutes``, older than ``web.session_hours``, or its user disabled."""
    if not isinstance(sid, str) or not sid or len(sid) > 200:
        return None
    now = now or utc_now()
    h = token_hash(sid)
    row = repo.session_row(ws.store, h)
    if row is None:
        return None
    user_id, created, seen = row[0], as_datetime(row[1]), as_datetime(row[2])
    web = ws.settings.web
    if (created is None or seen is None or now - created > timedelta(hours=web.session_hours)
            or now - seen > timedelta(minutes=web.session_idle_minutes)):
        end_session(ws, sid)
        return None
    user = get_user(ws, user_id)
    if user is None or not user.active:
        return None
    if (now - seen).total_seconds() > SESSION_TOUCH_SECONDS:
        note_use(repo.touch_session, ws, h, now)
    return user


def note_use(note: Callable[[Store, str, datetime], None], ws: Workspace, key_hash: str, now: datetime) -> None:
    """Note when a session or token was last used. Bookkeeping only: when requests of the same
    session arrive together, DuckDB lets one update the row and refuses the others ("Conflict on
    update"); the one that went through has noted the time, so a refused one is let go."""
    try:
        note(ws.store, key_hash, now)
    except Exception:  # noqa: BLE001 - see above: a concurrent request has written the same time
        pass


def end_session(ws: Workspace, sid: str) -> None:
    """End one web session (logout)."""
    if not isinstance(sid, str) or not sid:
        return
    repo.delete_session(ws.store, token_hash(sid))


def end_sessions(ws: Workspace, user_id: str) -> int:
    """End every web session of ``user_id``; return how many there were."""
    return repo.delete_sessions(ws.store, user_id)
