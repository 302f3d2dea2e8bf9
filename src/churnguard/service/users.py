"""Users, roles and API tokens: who may sign in to the web pages and the API, and as what.

Roles:

- ``admin`` — everything, including settings and users;
- ``manager`` — every customer and every figure, imports; no settings or users;
- ``csm`` — a customer success manager: their own customers by default (``csm_name`` is the
  value of ``customers.csm`` that is them), read-only elsewhere.

Passwords are stored as scrypt hashes (standard library, RFC 7914) with a random salt and the
cost parameters beside them, so the cost can be raised later without breaking old hashes.
API tokens are random (256 bits) and stored as their SHA-256: a token is shown once, when it
is made, and cannot be read back.

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

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from churnguard.errors import InputError
from churnguard.schema import API_TOKENS, SESSIONS, USERS
from churnguard.service import audit
from churnguard.service.common import TableResult
from churnguard.store import Store, Workspace
from churnguard.store.engine import quote_ident

ROLES = ("admin", "manager", "csm")
LANGUAGES = ("zh", "en")
MIN_PASSWORD = 8
TOKEN_PREFIX = "cg_"

# scrypt cost: n=2**15, r=8 takes ~0.1 s and 32 MiB per check on one core (OWASP's minimum
# is n=2**17 with r=8 p=1 *or* equivalent; n=2**15 r=8 p=1 stays under a login's patience on
# 2 shared cores). Stored with each hash, so raising it later keeps old hashes valid.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
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


# -- passwords and tokens -----------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for ``password`` (salt and hash in base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                            maxmem=_SCRYPT_MAXMEM, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` result), in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash to check against when the user does not exist, so an unknown name takes as long to
# refuse as a wrong password (no user enumeration by timing).
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def _token_hash(token: str) -> str:
    # tokens are 256 random bits: a plain SHA-256 cannot be brute-forced, and looking it up
    # by hash keeps token checks fast (no per-request scrypt).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- storage ------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _fetch(store: Store, sql: str, params: tuple = ()) -> list[tuple]:
    # one statement reads a consistent state: no explicit transaction (the pages ask on every request)
    return list(store.raw.execute(sql, params).fetchall())


_USER_COLS = ("user_id", "role", "csm_name", "language", "created_at", "disabled_at")


def _dt(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    return (value if isinstance(value, datetime) else pd.Timestamp(value).to_pydatetime()).replace(tzinfo=None)


def _user(row: tuple) -> User:
    return User(row[0], row[1], row[2] or None, row[3] or None, _dt(row[4]), _dt(row[5]))


def _select_users(where: str = "") -> str:
    cols = ", ".join(quote_ident(c) for c in _USER_COLS)
    return f"SELECT {cols} FROM {quote_ident(USERS.name)} {where} ORDER BY user_id"


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


def check_password(password: str) -> None:
    """Refuse a password that is too short (or absurdly long), with a message that says so."""
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InputError("the password is longer than 1024 characters")


def add_user(ws: Workspace, new: UserCreate) -> User:
    """Create a user; refuses a name that exists, an unknown role or a short password."""
    _check_new_user(new)
    store = ws.store
    p = store.paramstyle
    created = _now()
    cols = ("record_key", "user_id", "role", "password_hash", "csm_name", "language", "created_at")
    with store.transaction() as cur:
        cur.execute(f"SELECT count(*) FROM {quote_ident(USERS.name)} WHERE user_id = {p}", (new.user_id,))
        if cur.fetchone()[0]:
            raise InputError(f"user {new.user_id!r} already exists")
        cur.execute(
            f"INSERT INTO {quote_ident(USERS.name)} ({', '.join(quote_ident(c) for c in cols)}) "
            f"VALUES ({', '.join([p] * len(cols))})",
            (new.user_id, new.user_id, new.role, hash_password(new.password), new.csm_name or None,
             new.language or None, created),
        )
    audit.record(ws, "user_added", new.user_id, {"role": new.role, "csm_name": new.csm_name or None})
    return User(new.user_id, new.role, new.csm_name or None, new.language or None, created)


def get_user(ws: Workspace, user_id: str) -> User | None:
    """The user called ``user_id``, or None."""
    rows = _fetch(ws.store, _select_users(f"WHERE user_id = {ws.store.paramstyle}"), (user_id,))
    return _user(rows[0]) if rows else None


def list_users(ws: Workspace) -> TableResult:
    """Every user, by name: ``{data: [user], count}`` (no password hashes)."""
    users = [_user(r).to_dict() for r in _fetch(ws.store, _select_users())]
    frame = pd.DataFrame(users, columns=list(_USER_COLS))
    return TableResult(frame)


def count_users(ws: Workspace) -> int:
    """How many users exist (the login page tells how to add the first one)."""
    return int(_fetch(ws.store, f"SELECT count(*) FROM {quote_ident(USERS.name)}")[0][0])


def authenticate(ws: Workspace, user_id: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None (same time for unknown names)."""
    p = ws.store.paramstyle
    rows = _fetch(ws.store, f"SELECT password_hash FROM {quote_ident(USERS.name)} WHERE user_id = {p}",
                  (user_id,))
    if not rows:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, rows[0][0]):
        return None
    user = get_user(ws, user_id)
    return user if user is not None and user.active else None


def set_language(ws: Workspace, user_id: str, language: str | None) -> None:
    """Remember ``language`` (zh, en, or None to follow the browser) for ``user_id``."""
    if language is not None and language not in LANGUAGES:
        raise InputError(f"language {language!r}: choose zh or en")
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET language = {p} WHERE user_id = {p}",
                    (language, user_id))


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
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET password_hash = {p} WHERE user_id = {p}",
                    (hash_password(password), user_id))
        ended = _end_sessions(cur, p, user_id)
    audit.record(ws, "password_changed", user_id, {"sessions_ended": ended})
    return ended


def _end_sessions(cur: Any, p: str, user_id: str) -> int:
    cur.execute(f"SELECT count(*) FROM {quote_ident(SESSIONS.name)} WHERE user_id = {p}", (user_id,))
    n = int(cur.fetchone()[0])
    cur.execute(f"DELETE FROM {quote_ident(SESSIONS.name)} WHERE user_id = {p}", (user_id,))
    return n


def _active_admins(ws: Workspace) -> list[str]:
    return [r[0] for r in _fetch(ws.store, f"SELECT user_id FROM {quote_ident(USERS.name)} "
                                           "WHERE role = 'admin' AND disabled_at IS NULL")]


def _keep_an_admin(ws: Workspace, user_id: str, what: str) -> None:
    if _active_admins(ws) == [user_id]:
        raise InputError(f"{user_id!r} is the only active admin: add another admin before you {what} it")


def set_role(ws: Workspace, user_id: str, role: str, csm_name: str | None = None) -> User:
    """Give ``user_id`` another role (and, for a csm, the ``customers.csm`` value that is them);
    its web sessions end, so the new role holds from the next sign-in."""
    user = _existing(ws, user_id)
    _check_role(role, csm_name or user.csm_name)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(ws, user_id, "take the admin role from")
    p = ws.store.paramstyle
    csm = (csm_name or user.csm_name) if role == "csm" else None
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET role = {p}, csm_name = {p} WHERE user_id = {p}",
                    (role, csm, user_id))
        _end_sessions(cur, p, user_id)
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
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET disabled_at = {p} WHERE user_id = {p}", (_now(), user_id))
        _end_sessions(cur, p, user_id)
    audit.record(ws, "user_disabled", user_id)
    return _existing(ws, user_id)


def enable_user(ws: Workspace, user_id: str) -> User:
    """Let a disabled user sign in again."""
    _existing(ws, user_id)
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET disabled_at = NULL WHERE user_id = {p}", (user_id,))
    audit.record(ws, "user_enabled", user_id)
    return _existing(ws, user_id)


def delete_user(ws: Workspace, user_id: str) -> None:
    """Remove ``user_id`` with its sessions and tokens."""
    user = _existing(ws, user_id)
    if user.role == "admin":
        _keep_an_admin(ws, user_id, "delete")
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        _end_sessions(cur, p, user_id)
        cur.execute(f"DELETE FROM {quote_ident(API_TOKENS.name)} WHERE user_id = {p}", (user_id,))
        cur.execute(f"DELETE FROM {quote_ident(USERS.name)} WHERE user_id = {p}", (user_id,))
    audit.record(ws, "user_deleted", user_id, {"role": user.role})


# -- web sessions ---------------------------------------------------------------------------
#: a session's last request is written at most this often (not on every page)
SESSION_TOUCH_SECONDS = 60


def start_session(ws: Workspace, user_id: str) -> str:
    """Start a web session for ``user_id``; return its id (256 random bits) for the login cookie.
    Only its SHA-256 is stored, so the table cannot be used to take over a session."""
    sid = secrets.token_urlsafe(32)
    now = _now()
    p = ws.store.paramstyle
    h = _token_hash(sid)
    with ws.store.transaction() as cur:
        cur.execute(f"INSERT INTO {quote_ident(SESSIONS.name)} (record_key, session_hash, user_id, created_at, "
                    f"last_seen_at) VALUES ({p}, {p}, {p}, {p}, {p})", (h, h, user_id, now, now))
    return sid


def session_user(ws: Workspace, sid: str, now: datetime | None = None) -> User | None:
    """The user of a live session, or None: unknown, ended, idle longer than
    ``web.session_idle_minutes``, older than ``web.session_hours``, or its user disabled."""
    if not isinstance(sid, str) or not sid or len(sid) > 200:
        return None
    now = now or _now()
    p = ws.store.paramstyle
    h = _token_hash(sid)
    rows = _fetch(ws.store, f"SELECT user_id, created_at, last_seen_at FROM {quote_ident(SESSIONS.name)} "
                            f"WHERE session_hash = {p}", (h,))
    if not rows:
        return None
    user_id, created, seen = rows[0][0], _dt(rows[0][1]), _dt(rows[0][2])
    web = ws.settings.web
    if (created is None or seen is None or now - created > timedelta(hours=web.session_hours)
            or now - seen > timedelta(minutes=web.session_idle_minutes)):
        end_session(ws, sid)
        return None
    user = get_user(ws, user_id)
    if user is None or not user.active:
        return None
    if (now - seen).total_seconds() > SESSION_TOUCH_SECONDS:
        _touch(ws, f"UPDATE {quote_ident(SESSIONS.name)} SET last_seen_at = {p} WHERE session_hash = {p}", (now, h))
    return user


def _touch(ws: Workspace, sql: str, params: tuple) -> None:
    """Note when a session or token was last used. Bookkeeping only: when requests of the same
    session arrive together, DuckDB lets one update the row and refuses the others ("Conflict on
    update"); the one that went through has noted the time, so a refused one is let go."""
    try:
        with ws.store.transaction() as cur:
            cur.execute(sql, params)
    except Exception:  # noqa: BLE001 - see above: a concurrent request has written the same time
        pass


def end_session(ws: Workspace, sid: str) -> None:
    """End one web session (logout)."""
    if not isinstance(sid, str) or not sid:
        return
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"DELETE FROM {quote_ident(SESSIONS.name)} WHERE session_hash = {p}", (_token_hash(sid),))


def end_sessions(ws: Workspace, user_id: str) -> int:
    """End every web session of ``user_id``; return how many there were."""
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        return _end_sessions(cur, p, user_id)


#: a token is named by this many leading characters of its hash (``user tokens``, ``user revoke``)
TOKEN_ID_LENGTH = 12


def create_token(ws: Workspace, user_id: str, expires_days: int | None = None) -> str:
    """Make a new API token for ``user_id`` and return it; only its hash is kept. With
    ``expires_days`` it stops working that many days from now."""
    _existing(ws, user_id)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InputError(f"--expires: give 1 to 3650 days; got {expires_days}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    p = ws.store.paramstyle
    h = _token_hash(token)
    now = _now()
    expires = now + timedelta(days=expires_days) if expires_days else None
    with ws.store.transaction() as cur:
        cur.execute(
            f"INSERT INTO {quote_ident(API_TOKENS.name)} (record_key, token_hash, user_id, created_at, expires_at) "
            f"VALUES ({p}, {p}, {p}, {p}, {p})",
            (h, h, user_id, now, expires),
        )
    audit.record(ws, "token_created", user_id, {"token_id": h[:TOKEN_ID_LENGTH], "expires_at": expires})
    return token


def token_id(token: str) -> str:
    """The name a token is listed and revoked by: the start of its hash (not the token)."""
    return _token_hash(token)[:TOKEN_ID_LENGTH]


def list_tokens(ws: Workspace, user_id: str | None = None) -> TableResult:
    """API tokens (never the tokens themselves): ``{data: [{token_id, user_id, created_at,
    expires_at, last_used_at, expired}], count}``, newest first."""
    p = ws.store.paramstyle
    where, params = (f"WHERE user_id = {p}", (user_id,)) if user_id else ("", ())
    rows = _fetch(ws.store, f"SELECT token_hash, user_id, created_at, expires_at, last_used_at "
                            f"FROM {quote_ident(API_TOKENS.name)} {where} ORDER BY created_at DESC, token_hash",
                  params)
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
    p = ws.store.paramstyle
    t = quote_ident(API_TOKENS.name)
    with ws.store.transaction() as cur:
        cur.execute(f"SELECT count(*) FROM {t} WHERE substr(token_hash, 1, {TOKEN_ID_LENGTH}) = {p}", (h_prefix,))
        n = int(cur.fetchone()[0])
        cur.execute(f"DELETE FROM {t} WHERE substr(token_hash, 1, {TOKEN_ID_LENGTH}) = {p}", (h_prefix,))
    if n:
        audit.record(ws, "token_revoked", None, {"token_id": h_prefix})
    return n


def user_for_token(ws: Workspace, token: str) -> User | None:
    """The user an API token belongs to, or None for an unknown, expired or revoked token or a
    disabled user."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    p = ws.store.paramstyle
    h = _token_hash(token)
    rows = _fetch(
        ws.store,
        f"SELECT user_id, expires_at, last_used_at FROM {quote_ident(API_TOKENS.name)} WHERE token_hash = {p}",
        (h,),
    )
    if not rows:
        return None
    now = _now()
    expires, used = _dt(rows[0][1]), _dt(rows[0][2])
    if expires is not None and expires <= now:
        return None
    user = get_user(ws, rows[0][0])
    if user is None or not user.active:
        return None
    if used is None or (now - used).total_seconds() > SESSION_TOUCH_SECONDS:
        _touch(ws, f"UPDATE {quote_ident(API_TOKENS.name)} SET last_used_at = {p} WHERE token_hash = {p}", (now, h))
    return user
