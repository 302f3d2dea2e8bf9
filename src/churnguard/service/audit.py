"""The audit log: who signed in, imported, changed a setting or a user, and when.

Every such event is a row of the workspace's ``audit_log`` table: the time (UTC), the actor
(``web:NAME`` for a signed-in user, ``cli:NAME`` for the system user at a terminal), the
action, its subject and details (JSON). The service functions that change users, settings and
data record their own events; the actor is whoever the presentation layer says is acting
(:func:`acting_as`), so the CLI, the pages and the API need not pass it through every call.
``churnguard audit [--json]`` reads it; nothing deletes from it.

Examples
--------
>>> with acting_as("cli:wang"):
...     current_actor()
'cli:wang'
>>> current_actor()
'unknown'
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from churnguard.errors import InputError
from churnguard.service.actor import _ACTOR, _ADDRESS, acting_as, current_actor, set_actor  # noqa: F401 - the audit API
from churnguard.service.common import TableResult
from churnguard.store import Workspace
from churnguard.store import audit as repo

#: every action the log holds, in the order a reader meets them
ACTIONS = ("sign_in", "sign_in_failed", "sign_in_locked", "sign_out", "import", "settings_changed", "user_added",
           "password_changed", "role_changed", "user_disabled", "user_enabled", "user_deleted", "token_created",
           "token_revoked", "login_unlocked", "investigation_started", "interview_recorded", "interview_reclassified",
           "investigation_reviewed", "improvement_action_added", "improvement_action_done", "investigation_closed",
           "survey_sample_drawn", "reasons_inferred")
COLUMNS = ("at", "actor", "action", "subject", "details", "address")

def record(ws: Workspace, action: str, subject: str | None = None, details: dict[str, Any] | None = None, *,
           actor: str | None = None, address: str | None = None) -> None:
    """Add one event (its own transaction: an event is kept even when what follows fails)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    eid = uuid.uuid4().hex
    repo.insert_event(ws.store, {
        "event_id": eid, "at": datetime.now(UTC).replace(tzinfo=None), "actor": actor or _ACTOR.get(),
        "action": action, "subject": subject,
        "details": json.dumps(details, ensure_ascii=False, default=str, sort_keys=True) if details else None,
        "address": address or _ADDRESS.get(),
    })


def events(ws: Workspace, *, limit: int = 100, action: str | None = None, actor: str | None = None,
           since: date | None = None) -> TableResult:
    """The newest ``limit`` events (``{data: [{at, actor, action, subject, details, address}],
    count}``), narrowed to one action, one actor or those on or after ``since``."""
    if not 1 <= limit <= 100_000:
        raise InputError(f"--limit must be 1 to 100000; got {limit}")
    if action is not None and action not in ACTIONS:
        raise InputError(f"--action: unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    rows = repo.event_rows(ws.store, COLUMNS, limit=limit, action=action, actor=actor,
                           since=datetime(since.year, since.month, since.day) if since is not None else None)
    data = [{"at": pd.Timestamp(r[0]).to_pydatetime().replace(microsecond=0) if r[0] is not None else None,
             "actor": r[1], "action": r[2], "subject": r[3], "details": json.loads(r[4]) if r[4] else None,
             "address": r[5]} for r in rows]
    return TableResult(pd.DataFrame(data, columns=list(COLUMNS)))
