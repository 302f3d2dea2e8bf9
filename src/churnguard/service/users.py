"""Users, roles and API tokens: who may sign in to the web pages and the API, and as what.

Roles:

- ``admin`` — everything, including settings and users;
- ``manager`` — every customer and every figure, imports; no settings or users;
- ``csm`` — a customer success manager: their own customers by default (``csm_name`` is the
  value of ``customers.csm`` that is them), read-only elsewhere.

Passwords are stored as scrypt hashes and API tokens and session ids as their SHA-256
(:mod:`churnguard.service.passwords`); the rows themselves are read and written by
:mod:`churnguard.store.users`.

Examples
--------
>>> from churnguard.service.users import hash_password, verify_password
>>> stored = hash_password("correct horse battery")
>>> stored.startswith("scrypt$")
True
>>> verify_password("correct horse battery", stored), verify_password("wrong", stored)
(True, False)
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from churnguard.errors import InputError
from churnguard.service import audit
from churnguard.service.common import TableResult
from churnguard.service.passwords import (  # noqa: F401 - hash_password, verify_password: part of this interface
    MIN_PASSWORD,
    check_password,
    dummy_hash,
    hash_password,
    token_hash,
    verify_password,
)
from churnguard.store import Workspace
from churnguard.store import users as repo

ROLES = ("admin", "manager", "csm")
LANGUAGES = ("zh", "en")
TOKEN_PREFIX = "cg_"

_USER_ID = re.compile(r"^[^\s/\\:@]{1,64}$")


@dataclass(frozen=True)
class User:
    """A user as the rest of the system sees it (never with the password hash)."""

    user_id: str
    role: str
    csm_name: str | None = None
    language: str | None = None
    created_at: datetime | None = None
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the user may sign in and use its tokens (not disabled)."""
        return self.disabled_at is None

    def has_role(self, *roles: str) -> bool:
        """Whether the user is one of ``roles`` (admin always is)."""
        return self.role == "admin" or self.role in roles

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a user in ``user list --json`` and ``GET /api/users``."""
        return {
            "user_id": self.user_id,
            "role": self.role,
            "csm_name": self.csm_name,
            "language": self.language,
            "created_at": self.created_at.isoformat(sep=" ") if self.created_at else None,
            "disabled_at": self.disabled_at.isoformat(sep=" ") if self.disabled_at else None,
        }


@dataclass
class UserCreate:
    """What ``add_user`` needs.

    Parameters
    ----------
    user_id : str
        The login name (Chinese names are fine; no spaces, ``/``, ``\\``, ``:`` or ``@``).
    role : str
        ``admin``, ``manager`` or ``csm``.
    password : str
        At least 8 characters; only its hash is stored.
    csm_name : str, optional
        The value of ``customers.csm`` that is this user; required for the ``csm`` role.
    language : str, optional
        ``zh`` or ``en``; empty follows the browser.
    """

    user_id: str
    role: str
    password: str
    csm_name: str | None = None
    language: str | None = None


# -- storage ------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


_USER_COLS = repo.USER_COLUMNS


def _dt(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    return (value if isinstance(value, datetime) else pd.Timestamp(value).to_pydatetime()).replace(tzinfo=None)


def _user(row: tuple) -> User:
    return User(row[0], row[1], row[2] or None, row[3] or None, _dt(row[4]), _dt(row[5]))


def _check_new_user(new: UserCreate) -> None:
    if not _USER_ID.match(new.user_id or ""):
        raise InputError(
            f"user name {new.user_id!r}: use 1–64 characters without spaces, '/', '\\', ':' or '@'"
        )
    _check_role(new.role, new.csm_name)
    if new.language and new.language not in LANGUAGES:
        raise InputError(f"language {new.language!r}: choose zh or en")
    check_password(new.password)


def _check_role(role: str, csm_name: str | None) -> None:
    if role not in ROLES:
        raise InputError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    if role == "csm" and not csm_name:
        raise InputError(
            "a csm user needs --csm NAME: the value of the csm column in your customers that is this person"
        )


def add_user(ws: Workspace, new: UserCreate) -> User:
    """Create a user; refuses a name that exists, an unknown role or a short password."""
    _check_new_user(new)
    created = _now()
    values = {"user_id": new.user_id, "role": new.role, "password_hash": hash_password(new.password),
              "csm_name": new.csm_name or None, "language": new.language or None, "created_at": created}
    if not repo.insert_user(ws.store, values):
        raise InputError(f"user {new.user_id!r} already exists")
    audit.record(ws, "user_added", new.user_id, {"role": new.role, "csm_name": new.csm_name or None})
    return User(new.user_id, new.role, new.csm_name or None, new.language or None, created)


def get_user(ws: Workspace, user_id: str) -> User | None:
    """The user called ``user_id``, or None."""
    rows = repo.user_rows(ws.store, user_id)
    return _user(rows[0]) if rows else None


def list_users(ws: Workspace) -> TableResult:
    """Every user, by name: ``{data: [user], count}`` (no password hashes)."""
    users = [_user(r).to_dict() for r in repo.user_rows(ws.store)]
    frame = pd.DataFrame(users, columns=list(_USER_COLS))
    return TableResult(frame)


def count_users(ws: Workspace) -> int:
    """How many users exist (the login page tells how to add the first one)."""
    return repo.count_users(ws.store)


def authenticate(ws: Workspace, user_id: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None (same time for unknown names)."""
    stored = repo.password_hash(ws.store, user_id)
    if stored is None:
        verify_password(password, dummy_hash())
        return None
    if not verify_password(password, stored):
        return None
    user = get_user(ws, user_id)
    return user if user is not None and user.active else None


def set_language(ws: Workspace, user_id: str, language: str | None) -> None:
    """Remember ``language`` (zh, en, or None to follow the browser) for ``user_id``."""
    if language is not None and language not in LANGUAGES:
        raise InputError(f"language {language!r}: choose zh or en")
    repo.update_user(ws.store, user_id, {"language": language})


def _existing(ws: Workspace, user_id: str) -> User:
    user = get_user(ws, user_id)
    if user is None:
        raise InputError(f"no user {user_id!r}; see 'churnguard user list'")
    return user


def set_password(ws: Workspace, user_id: str, password: str) -> int:
    """Give ``user_id`` a new password and end its web sessions (a stolen session dies with the
    old password); its API tokens stay until revoked. Returns how many sessions ended."""
    check_password(password)
    _existing(ws, user_id)
    ended = repo.update_user(ws.store, user_id, {"password_hash": hash_password(password)}, end_sessions=True)
    audit.record(ws, "password_changed", user_id, {"sessions_ended": ended})
    return ended


def _keep_an_admin(ws: Workspace, user_id: str, what: str) -> None:
    if repo.active_admins(ws.store) == [user_id]:
        raise InputError(f"{user_id!r} is the only active admin: add another admin before you {what} it")


def set_role(ws: Workspace, user_id: str, role: str, csm_name: str | None = None) -> User:
    """Give ``user_id`` another role (and, for a csm, the ``customers.csm`` value that is them);
    its web sessions end, so the new role holds from the next sign-in."""
    user = _existing(ws, user_id)
    _check_role(role, csm_name or user.csm_name)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(ws, user_id, "take the admin role from")
    csm = (csm_name or user.csm_name) if role == "csm" else None
    repo.update_user(ws.store, user_id, {"role": role, "csm_name": csm}, end_sessions=True)
    audit.record(ws, "role_changed", user_id, {"from": user.role, "to": role, "csm_name": csm})
    return _existing(ws, user_id)


def disable_user(ws: Workspace, user_id: str) -> User:
    """Stop ``user_id`` signing in; its sessions end and its tokens stop working (kept, so
    :func:`enable_user` brings them back)."""
    user = _existing(ws, user_id)
    if not user.active:
        return user
    if user.role == "admin":
        _keep_an_admin(ws, user_id, "disable")
    repo.update_user(ws.store, user_id, {"disabled_at": _now()}, end_sessions=True)
    audit.record(ws, "user_disabled", user_id)
    return _existing(ws, user_id)


def enable_user(ws: Workspace, user_id: str) -> User:
    """Let a disabled user sign in again."""
    _existing(ws, user_id)
    repo.update_user(ws.store, user_id, {"disabled_at": None})
    audit.record(ws, "user_enabled", user_id)
    return _existing(ws, user_id)


def delete_user(ws: Workspace, user_id: str) -> None:
    """Remove ``user_id`` with its sessions and tokens."""
    user = _existing(ws, user_id)
    if user.role == "admin":
        _keep_an_admin(ws, user_id, "delete")
    repo.delete_user(ws.store, user_id)
    audit.record(ws, "user_deleted", user_id, {"role": user.role})


# -- web sessions ---------------------------------------------------------------------------
#: a session's last request is written at most this often (not on every page)
SESSION_TOUCH_SECONDS = 60


def start_session(ws: Workspace, user_id: str) -> str:
    """Start a web session for ``user_id``; return its id (256 random bits) for the login cookie.
    Only its SHA-256 is stored, so the table cannot be used to take over a session."""
    sid = secrets.token_urlsafe(32)
    repo.insert_session(ws.store, token_hash(sid), user_id, _now())
    return sid


def session_user(ws: Workspace, sid: str, now: datetime | None = None) -> User | None:
    """The user of a live session, or None: unknown, ended, idle longer than
    ``web.session_idle_minutes``, older than ``web.session_hours``, or its user disabled."""
    if not isinstance(sid, str) or not sid or len(sid) > 200:
        return None
    now = now or _now()
    h = token_hash(sid)
    row = repo.session_row(ws.store, h)
    if row is None:
        return None
    user_id, created, seen = row[0], _dt(row[1]), _dt(row[2])
    web = ws.settings.web
    if (created is None or seen is None or now - created > timedelta(hours=web.session_hours)
            or now - seen > timedelta(minutes=web.session_idle_minutes)):
        end_session(ws, sid)
        return None
    user = get_user(ws, user_id)
    if user is None or not user.active:
        return None
    if (now - seen).total_seconds() > SESSION_TOUCH_SECONDS:
        _touch(repo.touch_session, ws, h, now)
    return user


def _touch(note: Any, ws: Workspace, key_hash: str, now: datetime) -> None:
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


#: a token is named by this many leading characters of its hash (``user tokens``, ``user revoke``)
TOKEN_ID_LENGTH = 12


def create_token(ws: Workspace, user_id: str, expires_days: int | None = None) -> str:
    """Make a new API token for ``user_id`` and return it; only its hash is kept. With
    ``expires_days`` it stops working that many days from now."""
    _existing(ws, user_id)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InputError(f"--expires: give 1 to 3650 days; got {expires_days}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    h = token_hash(token)
    now = _now()
    expires = now + timedelta(days=expires_days) if expires_days else None
    repo.insert_token(ws.store, h, user_id, now, expires)
    audit.record(ws, "token_created", user_id, {"token_id": h[:TOKEN_ID_LENGTH], "expires_at": expires})
    return token


def token_id(token: str) -> str:
    """The name a token is listed and revoked by: the start of its hash (not the token)."""
    return token_hash(token)[:TOKEN_ID_LENGTH]


def list_tokens(ws: Workspace, user_id: str | None = None) -> TableResult:
    """API tokens (never the tokens themselves): ``{data: [{token_id, user_id, created_at,
    expires_at, last_used_at, expired}], count}``, newest first."""
    rows = repo.token_rows(ws.store, user_id)
    now = _now()
    cols = ["token_id", "user_id", "created_at", "expires_at", "last_used_at", "expired"]
    data = [{"token_id": r[0][:TOKEN_ID_LENGTH], "user_id": r[1], "created_at": _dt(r[2]), "expires_at": _dt(r[3]),
             "last_used_at": _dt(r[4]), "expired": bool(_dt(r[3]) and _dt(r[3]) <= now)} for r in rows]
    return TableResult(pd.DataFrame(data, columns=cols))


def revoke_token(ws: Workspace, token_ref: str) -> int:
    """Revoke the token named ``token_ref`` (its id from ``user tokens``, or the token itself);
    return how many went (0: no such token)."""
    ref = (token_ref or "").strip()
    h_prefix = token_id(ref) if ref.startswith(TOKEN_PREFIX) else ref.lower()
    if not re.fullmatch(f"[0-9a-f]{{{TOKEN_ID_LENGTH}}}", h_prefix):
        raise InputError(f"token {token_ref!r}: give the {TOKEN_ID_LENGTH}-character id 'churnguard user tokens' "
                         "shows, or the token itself")
    n = repo.delete_tokens(ws.store, h_prefix)
    if n:
        audit.record(ws, "token_revoked", None, {"token_id": h_prefix})
    return n


def user_for_token(ws: Workspace, token: str) -> User | None:
    """The user an API token belongs to, or None for an unknown, expired or revoked token or a
    disabled user."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    h = token_hash(token)
    row = repo.token_row(ws.store, h)
    if row is None:
        return None
    now = _now()
    expires, used = _dt(row[1]), _dt(row[2])
    if expires is not None and expires <= now:
        return None
    user = get_user(ws, row[0])
    if user is None or not user.active:
        return None
    if used is None or (now - used).total_seconds() > SESSION_TOUCH_SECONDS:
        _touch(repo.touch_token, ws, h, now)
    return user
