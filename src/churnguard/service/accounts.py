"""The user as the rest of the system sees it, and reading one (shared by users, sessions and
tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from churnguard.errors import InputError
from churnguard.store import Workspace
from churnguard.store import users as repo


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


def utc_now() -> datetime:
    """Now in UTC, to the second, without a time zone (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def as_datetime(value: Any) -> datetime | None:
    """A stored time as a naive ``datetime`` (None for NULL)."""
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    return (value if isinstance(value, datetime) else pd.Timestamp(value).to_pydatetime()).replace(tzinfo=None)


def user_of_row(row: tuple) -> User:
    """The :class:`User` of a row of ``store.users.USER_COLUMNS``."""
    return User(row[0], row[1], row[2] or None, row[3] or None, as_datetime(row[4]), as_datetime(row[5]))


def get_user(ws: Workspace, user_id: str) -> User | None:
    """The user called ``user_id``, or None."""
    rows = repo.user_rows(ws.store, user_id)
    return user_of_row(rows[0]) if rows else None


def existing_user(ws: Workspace, user_id: str) -> User:
    """The user called ``user_id``; refuses an unknown name."""
    user = get_user(ws, user_id)
    if user is None:
        raise InputError(f"no user {user_id!r}; see 'churnguard user list'")
    return user
