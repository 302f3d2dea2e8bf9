"""Users, web sessions and API tokens as stored: every query of tables ``users``, ``sessions``
and ``api_tokens``.

Plain reads and writes with parameterised SQL only; the rules (roles, the last admin, expiry,
hashing) are the service's (:mod:`churnguard.service.users`). Reads are single statements
without an explicit transaction (one statement sees one consistent state, and the pages ask on
every request); each write is one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from churnguard.schema import API_TOKENS, SESSIONS, USERS
from churnguard.store.engine import Store, quote_ident

#: the columns a user is read with (never the password hash)
USER_COLUMNS = ("user_id", "role", "csm_name", "language", "created_at", "disabled_at")
#: the columns ``update_user`` may set
_SETTABLE = frozenset(("role", "password_hash", "csm_name", "language", "disabled_at"))
_U, _S, _T = quote_ident(USERS.name), quote_ident(SESSIONS.name), quote_ident(API_TOKENS.name)


def _fetch(store: Store, sql: str, params: tuple = ()) -> list[tuple]:
    return list(store.raw.execute(sql, params).fetchall())


def _marks(store: Store, n: int) -> str:
    return ", ".join([store.paramstyle] * n)


# -- users ----------------------------------------------------------------------------------
def user_rows(store: Store, user_id: str | None = None) -> list[tuple]:
    """Rows of :data:`USER_COLUMNS`, by user name: every user, or the one called ``user_id``."""
    cols = ", ".join(quote_ident(c) for c in USER_COLUMNS)
    if user_id is None:
        return _fetch(store, f"SELECT {cols} FROM {_U} ORDER BY user_id")
    return _fetch(store, f"SELECT {cols} FROM {_U} WHERE user_id = {store.paramstyle} ORDER BY user_id", (user_id,))


def count_users(store: Store) -> int:
    """How many users exist."""
    return int(_fetch(store, f"SELECT count(*) FROM {_U}")[0][0])


def password_hash(store: Store, user_id: str) -> str | None:
    """The stored password hash of ``user_id``, or None when there is no such user."""
    rows = _fetch(store, f"SELECT password_hash FROM {_U} WHERE user_id = {store.paramstyle}", (user_id,))
    return rows[0][0] if rows else None


def active_admins(store: Store) -> list[str]:
    """Names of the admins that are not disabled."""
    return [r[0] for r in _fetch(store, f"SELECT user_id FROM {_U} WHERE role = {store.paramstyle} "
                                        "AND disabled_at IS NULL", ("admin",))]


def insert_user(store: Store, values: dict[str, Any]) -> bool:
    """Add a user (``values``: column -> value, ``user_id`` among them); False when the name is
    taken (nothing written)."""
    cols = ("record_key", *values)
    p = store.paramstyle
    with store.transaction() as cur:
        cur.execute(f"SELECT count(*) FROM {_U} WHERE user_id = {p}", (values["user_id"],))
        if cur.fetchone()[0]:
            return False
        cur.execute(f"INSERT INTO {_U} ({', '.join(quote_ident(c) for c in cols)}) VALUES ({_marks(store, len(cols))})",
                    (values["user_id"], *values.values()))
    return True


def update_user(store: Store, user_id: str, values: dict[str, Any], *, end_sessions: bool = False) -> int:
    """Set ``values`` (column -> value; None is NULL) of ``user_id``, and with ``end_sessions``
    delete its web sessions in the same transaction; return how many sessions ended."""
    unknown = set(values) - _SETTABLE
    if unknown:
        raise ValueError(f"not a settable user column: {', '.join(sorted(unknown))}")
    p = store.paramstyle
    sets = ", ".join(f"{quote_ident(c)} = {p}" for c in values)
    with store.transaction() as cur:
        cur.execute(f"UPDATE {_U} SET {sets} WHERE user_id = {p}", (*values.values(), user_id))
        return _delete_sessions(cur, p, user_id) if end_sessions else 0


def delete_user(store: Store, user_id: str) -> None:
    """Remove ``user_id`` with its sessions and tokens, in one transaction."""
    p = store.paramstyle
    with store.transaction() as cur:
        _delete_sessions(cur, p, user_id)
        cur.execute(f"DELETE FROM {_T} WHERE user_id = {p}", (user_id,))
        cur.execute(f"DELETE FROM {_U} WHERE user_id = {p}", (user_id,))


# -- web sessions -----------------------------------------------------------------------------
def _delete_sessions(cur: Any, p: str, user_id: str) -> int:
    cur.execute(f"SELECT count(*) FROM {_S} WHERE user_id = {p}", (user_id,))
    n = int(cur.fetchone()[0])
    cur.execute(f"DELETE FROM {_S} WHERE user_id = {p}", (user_id,))
    return n


def insert_session(store: Store, session_hash: str, user_id: str, now: datetime) -> None:
    """Store a new session (by its hash) started ``now``."""
    with store.transaction() as cur:
        cur.execute(f"INSERT INTO {_S} (record_key, session_hash, user_id, created_at, last_seen_at) "
                    f"VALUES ({_marks(store, 5)})", (session_hash, session_hash, user_id, now, now))


def session_row(store: Store, session_hash: str) -> tuple | None:
    """``(user_id, created_at, last_seen_at)`` of a session, or None."""
    rows = _fetch(store, f"SELECT user_id, created_at, last_seen_at FROM {_S} WHERE session_hash = {store.paramstyle}",
                  (session_hash,))
    return rows[0] if rows else None


def touch_session(store: Store, session_hash: str, now: datetime) -> None:
    """Note ``now`` as the session's latest request."""
    p = store.paramstyle
    with store.transaction() as cur:
        cur.execute(f"UPDATE {_S} SET last_seen_at = {p} WHERE session_hash = {p}", (now, session_hash))


def delete_session(store: Store, session_hash: str) -> None:
    """Remove one session."""
    with store.transaction() as cur:
        cur.execute(f"DELETE FROM {_S} WHERE session_hash = {store.paramstyle}", (session_hash,))


def delete_sessions(store: Store, user_id: str) -> int:
    """Remove every session of ``user_id``; return how many there were."""
    with store.transaction() as cur:
        return _delete_sessions(cur, store.paramstyle, user_id)


# -- API tokens -------------------------------------------------------------------------------
def insert_token(store: Store, token_hash: str, user_id: str, created: datetime, expires: datetime | None) -> None:
    """Store a new token (by its hash)."""
    with store.transaction() as cur:
        cur.execute(f"INSERT INTO {_T} (record_key, token_hash, user_id, created_at, expires_at) "
                    f"VALUES ({_marks(store, 5)})", (token_hash, token_hash, user_id, created, expires))


def token_rows(store: Store, user_id: str | None = None) -> list[tuple]:
    """``(token_hash, user_id, created_at, expires_at, last_used_at)`` of every token (or of
    ``user_id``'s), newest first."""
    where, params = (f"WHERE user_id = {store.paramstyle}", (user_id,)) if user_id else ("", ())
    return _fetch(store, f"SELECT token_hash, user_id, created_at, expires_at, last_used_at FROM {_T} {where} "
                         "ORDER BY created_at DESC, token_hash", params)


def token_row(store: Store, token_hash: str) -> tuple | None:
    """``(user_id, expires_at, last_used_at)`` of a token, or None."""
    rows = _fetch(store, f"SELECT user_id, expires_at, last_used_at FROM {_T} WHERE token_hash = {store.paramstyle}",
                  (token_hash,))
    return rows[0] if rows else None


def touch_token(store: Store, token_hash: str, now: datetime) -> None:
    """Note ``now`` as the token's last use."""
    p = store.paramstyle
    with store.transaction() as cur:
        cur.execute(f"UPDATE {_T} SET last_used_at = {p} WHERE token_hash = {p}", (now, token_hash))


def delete_tokens(store: Store, hash_prefix: str) -> int:
    """Remove the tokens whose hash starts with ``hash_prefix``; return how many went."""
    p = store.paramstyle
    n = len(hash_prefix)
    with store.transaction() as cur:
        cur.execute(f"SELECT count(*) FROM {_T} WHERE substr(token_hash, 1, {p}) = {p}", (n, hash_prefix))
        found = int(cur.fetchone()[0])
        cur.execute(f"DELETE FROM {_T} WHERE substr(token_hash, 1, {p}) = {p}", (n, hash_prefix))
    return found
