"""API tokens: random (256 bits), shown once, stored as their SHA-256, listed and revoked by
the start of that hash; optionally expiring; dead while their user is disabled."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pandas as pd

from churnguard.errors import InputError
from churnguard.service import audit
from churnguard.service.accounts import User, as_datetime, existing_user, get_user, utc_now
from churnguard.service.common import TableResult
from churnguard.service.passwords import token_hash
from churnguard.service.sessions import SESSION_TOUCH_SECONDS, note_use
from churnguard.store import Workspace
from churnguard.store import users as repo

TOKEN_PREFIX = "cg_"

#: a token is named by this many leading characters of its hash (``user tokens``, ``user revoke``)
TOKEN_ID_LENGTH = 12


def create_token(ws: Workspace, user_id: str, expires_days: int | None = None) -> str:
    """Make a new API token for ``user_id`` and return it; only its hash is kept. With
    ``expires_days`` it stops working that many days from now."""
    existing_user(ws, user_id)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InputError(f"--expires: give 1 to 3650 days; got {expires_days}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    h = token_hash(token)
    now = utc_now()
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
    now = utc_now()
    cols = ["token_id", "user_id", "created_at", "expires_at", "last_used_at", "expired"]
    data = []
    for r in rows:
        expires = as_datetime(r[3])
        data.append({"token_id": r[0][:TOKEN_ID_LENGTH], "user_id": r[1], "created_at": as_datetime(r[2]),
                     "expires_at": expires, "last_used_at": as_datetime(r[4]),
                     "expired": bool(expires and expires <= now)})
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
    now = utc_now()
    expires, used = as_datetime(row[1]), as_datetime(row[2])
    if expires is not None and expires <= now:
        return None
    user = get_user(ws, row[0])
    if user is None or not user.active:
        return None
    if used is None or (now - used).total_seconds() > SESSION_TOUCH_SECONDS:
        note_use(repo.touch_token, ws, h, now)
    return user
