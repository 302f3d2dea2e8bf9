"""Users, roles and API tokens: who may sign in to the web pages and the API, and as what.

Roles:

- ``admin`` — everything, including settings and users;
- ``manager`` — every customer and every figure, imports; no settings or users;
- ``csm`` — a customer success manager: their own customers by default (``csm_name`` is the
  value of ``customers.csm`` that is them), read-only elsewhere.

Passwords are stored as scrypt hashes and API tokens and session ids as their SHA-256
(:mod:`churnguard.service.passwords`); web sessions and API tokens have modules of their own
(:mod:`churnguard.service.sessions`, :mod:`churnguard.service.tokens`), whose functions are
named here too; the rows are read and written by :mod:`churnguard.store.users`.

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
from dataclasses import dataclass

import pandas as pd

from churnguard.errors import InputError
from churnguard.service import audit
from churnguard.service.accounts import (  # noqa: F401 - get_user, User: part of this interface
    User,
    existing_user,
    get_user,
    user_of_row,
    utc_now,
)
from churnguard.service.common import TableResult
from churnguard.service.passwords import (  # noqa: F401 - hash_password, verify_password: part of this interface
    MIN_PASSWORD,
    check_password,
    dummy_hash,
    hash_password,
    token_hash,
    verify_password,
)
from churnguard.service.sessions import (  # noqa: F401 - named here too, as callers know them
    SESSION_TOUCH_SECONDS,
    end_session,
    end_sessions,
    session_user,
    start_session,
)
from churnguard.service.tokens import (  # noqa: F401 - named here too, as callers know them
    TOKEN_ID_LENGTH,
    TOKEN_PREFIX,
    create_token,
    list_tokens,
    revoke_token,
    token_id,
    user_for_token,
)
from churnguard.store import Workspace
from churnguard.store import users as repo

_now = utc_now  # the name it had here (tests move the clock by it)

ROLES = ("admin", "manager", "csm")
LANGUAGES = ("zh", "en")

_USER_ID = re.compile(r"^[^\s/\\:@]{1,64}$")


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
    created = utc_now()
    values = {"user_id": new.user_id, "role": new.role, "password_hash": hash_password(new.password),
              "csm_name": new.csm_name or None, "language": new.language or None, "created_at": created}
    if not repo.insert_user(ws.store, values):
        raise InputError(f"user {new.user_id!r} already exists")
    audit.record(ws, "user_added", new.user_id, {"role": new.role, "csm_name": new.csm_name or None})
    return User(new.user_id, new.role, new.csm_name or None, new.language or None, created)


def list_users(ws: Workspace) -> TableResult:
    """Every user, by name: ``{data: [user], count}`` (no password hashes)."""
    users = [user_of_row(r).to_dict() for r in repo.user_rows(ws.store)]
    frame = pd.DataFrame(users, columns=list(repo.USER_COLUMNS))
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


def set_password(ws: Workspace, user_id: str, password: str) -> int:
    """Give ``user_id`` a new password and end its web sessions (a stolen session dies with the
    old password); its API tokens stay until revoked. Returns how many sessions ended."""
    check_password(password)
    existing_user(ws, user_id)
    ended = repo.update_user(ws.store, user_id, {"password_hash": hash_password(password)}, end_sessions=True)
    audit.record(ws, "password_changed", user_id, {"sessions_ended": ended})
    return ended


def _keep_an_admin(ws: Workspace, user_id: str, what: str) -> None:
    if repo.active_admins(ws.store) == [user_id]:
        raise InputError(f"{user_id!r} is the only active admin: add another admin before you {what} it")


def set_role(ws: Workspace, user_id: str, role: str, csm_name: str | None = None) -> User:
    """Give ``user_id`` another role (and, for a csm, the ``customers.csm`` value that is them);
    its web sessions end, so the new role holds from the next sign-in."""
    user = existing_user(ws, user_id)
    _check_role(role, csm_name or user.csm_name)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(ws, user_id, "take the admin role from")
    csm = (csm_name or user.csm_name) if role == "csm" else None
    repo.update_user(ws.store, user_id, {"role": role, "csm_name": csm}, end_sessions=True)
    audit.record(ws, "role_changed", user_id, {"from": user.role, "to": role, "csm_name": csm})
    return existing_user(ws, user_id)


def disable_user(ws: Workspace, user_id: str) -> User:
    """Stop ``user_id`` signing in; its sessions end and its tokens stop working (kept, so
    :func:`enable_user` brings them back)."""
    user = existing_user(ws, user_id)
    if not user.active:
        return user
    if user.role == "admin":
        _keep_an_admin(ws, user_id, "disable")
    repo.update_user(ws.store, user_id, {"disabled_at": utc_now()}, end_sessions=True)
    audit.record(ws, "user_disabled", user_id)
    return existing_user(ws, user_id)


def enable_user(ws: Workspace, user_id: str) -> User:
    """Let a disabled user sign in again."""
    existing_user(ws, user_id)
    repo.update_user(ws.store, user_id, {"disabled_at": None})
    audit.record(ws, "user_enabled", user_id)
    return existing_user(ws, user_id)


def delete_user(ws: Workspace, user_id: str) -> None:
    """Remove ``user_id`` with its sessions and tokens."""
    user = existing_user(ws, user_id)
    if user.role == "admin":
        _keep_an_admin(ws, user_id, "delete")
    repo.delete_user(ws.store, user_id)
    audit.record(ws, "user_deleted", user_id, {"role": user.role})


