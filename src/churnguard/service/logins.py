"""Login throttling: wrong passwords lock the user name and the client address for a while.

Each wrong password counts against two *subjects*: ``user:NAME`` (guessing one person's
password from many places) and ``address:IP`` (one place guessing many names, or tying the
server up: each check costs about 0.2 s of scrypt and 32 MiB). After ``web.login_free_tries``
wrong tries in a row a subject is locked, 1 second after the first try past them, doubling with
each further one up to ``web.login_lockout_max_minutes``. While a subject is locked no
password is checked for it (the page answers 429 with ``Retry-After``), so a locked address
costs the server no scrypt. A right password clears the user's count; a subject with no wrong
try for as long as the longest lock starts again from nothing. An administrator lifts a lock
with ``churnguard user unlock NAME`` (or ``--address IP``).

The counts live in the workspace (table ``login_failures``), so every server process of a
workspace and the CLI see the same locks.

Examples
--------
>>> lock_seconds(failures=5, free_tries=5, max_minutes=15)
0
>>> [lock_seconds(n, 5, 15) for n in (6, 7, 8, 16)]
[1, 2, 4, 900]
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from churnguard.errors import InputError
from churnguard.service import audit
from churnguard.service.common import TableResult
from churnguard.store import Workspace
from churnguard.store import logins as repo

log = logging.getLogger("churnguard.login")


def lock_seconds(failures: int, free_tries: int, max_minutes: int) -> int:
    """How long ``failures`` wrong tries in a row lock a subject: 0 up to ``free_tries``, then
    1 s doubling with each further try, at most ``max_minutes``."""
    past = failures - free_tries
    if past <= 0:
        return 0
    return int(min(2 ** min(past - 1, 40), max_minutes * 60))


def subjects(user_id: str, address: str | None) -> list[str]:
    """The subjects a try counts against: the user name, and the client address when known."""
    out = [f"user:{user_id}"]
    if address:
        out.append(f"address:{address}")
    return out


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    import pandas as pd

    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)


def wait_seconds(ws: Workspace, names: list[str], now: datetime | None = None) -> int:
    """Seconds until every subject of ``names`` may try again (0: none is locked)."""
    now = now or _now()
    waits = [(_as_datetime(v) - now).total_seconds() for v in repo.locked_until(ws.store, names) if v is not None]
    longest = max(waits, default=0.0)
    return int(-(-longest // 1)) if longest > 0 else 0  # whole seconds, rounded up


def record_failure(ws: Workspace, names: list[str], now: datetime | None = None) -> int:
    """Count a wrong password against each subject; return the seconds the longest new lock lasts."""
    now = now or _now()
    web = ws.settings.web
    quiet = timedelta(minutes=web.login_lockout_max_minutes)

    def step(failures: int | None, last: Any) -> tuple[int, datetime | None]:
        last = _as_datetime(last)
        n = 1 if failures is None or last is None or now - last > quiet else failures + 1
        wait = lock_seconds(n, web.login_free_tries, web.login_lockout_max_minutes)
        return n, now + timedelta(seconds=wait) if wait else None

    longest = 0
    for name, failures, _until in repo.record_failures(ws.store, names, now, step):
        wait = lock_seconds(failures, web.login_free_tries, web.login_lockout_max_minutes)
        if wait:
            log.warning("login: %s locked for %s s after %s wrong passwords", name, wait, failures)
        longest = max(longest, wait)
    return longest


def record_success(ws: Workspace, user_id: str) -> None:
    """A right password: the user's count starts again (the address's stays, and fades)."""
    repo.clear(ws.store, [f"user:{user_id}"])


def unlock(ws: Workspace, user_id: str | None = None, address: str | None = None) -> int:
    """Lift the lock and forget the wrong tries of a user name or an address; return how many
    subjects were cleared (0: there was nothing to lift)."""
    if not user_id and not address:
        raise InputError("name a user, or an address with --address")
    names = ([f"user:{user_id}"] if user_id else []) + ([f"address:{address}"] if address else [])
    found = repo.clear(ws.store, names)
    log.warning("login: lock lifted for %s", ", ".join(names))
    audit.record(ws, "login_unlocked", user_id, {"address": address} if address else None)
    return found


def list_locks(ws: Workspace, now: datetime | None = None) -> TableResult:
    """Subjects with wrong tries on record: ``{data: [{subject, failures, last_failure_at,
    locked_until, locked}], count}``, by subject."""
    import pandas as pd

    now = now or _now()
    rows = repo.rows(ws.store)
    data = []
    for r in rows:
        until = _as_datetime(r[3])
        data.append({"subject": r[0], "failures": int(r[1] or 0), "last_failure_at": _as_datetime(r[2]),
                     "locked_until": until, "locked": bool(until and until > now)})
    cols = ["subject", "failures", "last_failure_at", "locked_until", "locked"]
    return TableResult(pd.DataFrame(data, columns=cols))
