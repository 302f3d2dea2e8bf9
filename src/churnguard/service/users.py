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
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from churnguard.errors import InputError
from churnguard.schema import API_TOKENS, USERS
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


_USER_COLS = ("user_id", "role", "csm_name", "language", "created_at")


def _user(row: tuple) -> User:
    created = row[4]
    if created is not None and not isinstance(created, datetime):
        created = pd.Timestamp(created).to_pydatetime()
    return User(row[0], row[1], row[2] or None, row[3] or None, created)


def _select_users(where: str = "") -> str:
    cols = ", ".join(quote_ident(c) for c in _USER_COLS)
    return f"SELECT {cols} FROM {quote_ident(USERS.name)} {where} ORDER BY user_id"


def _check_new_user(new: UserCreate) -> None:
    if not _USER_ID.match(new.user_id or ""):
        raise InputError(
            f"user name {new.user_id!r}: use 1–64 characters without spaces, '/', '\\', ':' or '@'"
        )
    if new.role not in ROLES:
        raise InputError(f"role {new.role!r}: choose one of {', '.join(ROLES)}")
    if new.role == "csm" and not new.csm_name:
        raise InputError(
            "a csm user needs --csm NAME: the value of the csm column in your customers that is this person"
        )
    if new.language and new.language not in LANGUAGES:
        raise InputError(f"language {new.language!r}: choose zh or en")
    check_password(new.password)


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
    return get_user(ws, user_id)


def set_language(ws: Workspace, user_id: str, language: str | None) -> None:
    """Remember ``language`` (zh, en, or None to follow the browser) for ``user_id``."""
    if language is not None and language not in LANGUAGES:
        raise InputError(f"language {language!r}: choose zh or en")
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET language = {p} WHERE user_id = {p}",
                    (language, user_id))


def set_password(ws: Workspace, user_id: str, password: str) -> None:
    """Give ``user_id`` a new password (its sessions and tokens stay valid)."""
    check_password(password)
    if get_user(ws, user_id) is None:
        raise InputError(f"no user {user_id!r}; see 'churnguard user list'")
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:
        cur.execute(f"UPDATE {quote_ident(USERS.name)} SET password_hash = {p} WHERE user_id = {p}",
                    (hash_password(password), user_id))


def create_token(ws: Workspace, user_id: str) -> str:
    """Make a new API token for ``user_id`` and return it; only its hash is kept."""
    if get_user(ws, user_id) is None:
        raise InputError(f"no user {user_id!r}; see 'churnguard user list'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    p = ws.store.paramstyle
    h = _token_hash(token)
    with ws.store.transaction() as cur:
        cur.execute(
            f"INSERT INTO {quote_ident(API_TOKENS.name)} (record_key, token_hash, user_id, created_at) "
            f"VALUES ({p}, {p}, {p}, {p})",
            (h, h, user_id, _now()),
        )
    return token


def user_for_token(ws: Workspace, token: str) -> User | None:
    """The user an API token belongs to, or None for an unknown token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    p = ws.store.paramstyle
    rows = _fetch(
        ws.store,
        f"SELECT user_id FROM {quote_ident(API_TOKENS.name)} WHERE token_hash = {p}",
        (_token_hash(token),),
    )
    return get_user(ws, rows[0][0]) if rows else None
