"""Wrong-password counts as stored: every query of table ``login_failures``.

The rules (how many tries are free, how long a lock lasts, when a count is forgotten) are the
service's (:mod:`churnguard.service.logins`); this module reads and writes the rows with
parameterised SQL only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from churnguard.schema import LOGIN_FAILURES
from churnguard.store.engine import Store, quote_ident

_T = quote_ident(LOGIN_FAILURES.name)

#: ``(failures so far or None, last failure or None) -> (failures, locked_until or None)``
Step = Callable[[int | None, Any], tuple[int, datetime | None]]


def locked_until(store: Store, subjects: list[str]) -> list[Any]:
    """The ``locked_until`` values stored for ``subjects`` (None where not locked)."""
    marks = ", ".join([store.paramstyle] * len(subjects))
    rows = store.raw.execute(f"SELECT locked_until FROM {_T} WHERE subject IN ({marks})", tuple(subjects)).fetchall()
    return [r[0] for r in rows]


def record_failures(store: Store, subjects: list[str], now: datetime, step: Step) -> list[tuple[str, int, Any]]:
    """Count a failure against each subject in one transaction: ``step`` turns each stored count
    and its last time into the new count and lock; return ``(subject, failures, locked_until)``."""
    p = store.paramstyle
    out = []
    with store.transaction() as cur:
        for name in subjects:
            cur.execute(f"SELECT failures, last_failure_at FROM {_T} WHERE subject = {p}", (name,))
            row = cur.fetchone()
            failures, until = step(None if row is None else int(row[0] or 0), None if row is None else row[1])
            if row is None:
                cur.execute(f"INSERT INTO {_T} (record_key, subject, failures, last_failure_at, locked_until) "
                            f"VALUES ({p}, {p}, {p}, {p}, {p})", (name, name, failures, now, until))
            else:
                cur.execute(f"UPDATE {_T} SET failures = {p}, last_failure_at = {p}, locked_until = {p} "
                            f"WHERE subject = {p}", (failures, now, until, name))
            out.append((name, failures, until))
    return out


def clear(store: Store, subjects: list[str]) -> int:
    """Forget the counts of ``subjects``; return how many were stored."""
    marks = ", ".join([store.paramstyle] * len(subjects))
    with store.transaction() as cur:
        cur.execute(f"SELECT count(*) FROM {_T} WHERE subject IN ({marks})", tuple(subjects))
        found = int(cur.fetchone()[0])
        cur.execute(f"DELETE FROM {_T} WHERE subject IN ({marks})", tuple(subjects))
    return found


def rows(store: Store) -> list[tuple]:
    """``(subject, failures, last_failure_at, locked_until)`` of every subject, by subject."""
    return list(store.raw.execute(
        f"SELECT subject, failures, last_failure_at, locked_until FROM {_T} ORDER BY subject").fetchall())
