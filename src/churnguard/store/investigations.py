"""Defector investigations as stored: every query of tables ``investigations``, ``interviews``,
``investigation_reviews`` and ``improvement_actions`` — and the churn-reason row an interview
writes.

Parameterised SQL only; the rules (who is interviewed, when a review is due) are the act layer's
and the service's (:mod:`churnguard.act.investigation`, :mod:`churnguard.service.investigations`).
Each write is one transaction, under the workspace's write lock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from churnguard.schema import (
    CHURN_REASONS,
    IMPROVEMENT_ACTIONS,
    INTERVIEWS,
    INVESTIGATION_REVIEWS,
    INVESTIGATIONS,
)
from churnguard.store.engine import Store, column_types, quote_ident

_I, _V = quote_ident(INVESTIGATIONS.name), quote_ident(INTERVIEWS.name)
_R, _A = quote_ident(INVESTIGATION_REVIEWS.name), quote_ident(IMPROVEMENT_ACTIONS.name)
_C = quote_ident(CHURN_REASONS.name)

INVESTIGATION_COLUMNS = tuple(INVESTIGATIONS.column_names)
INTERVIEW_COLUMNS = tuple(INTERVIEWS.column_names)
REVIEW_COLUMNS = tuple(INVESTIGATION_REVIEWS.column_names)
ACTION_COLUMNS = tuple(IMPROVEMENT_ACTIONS.column_names)
#: what an interview's outcome sets
OUTCOME_COLUMNS = ("status", "done_at", "reason", "secondary_reason", "competitor", "recoverable", "attempts", "notes")


def reason_key(investigation_id: str, customer_id: str) -> str:
    """The ``record_key`` of the churn-reason row an interview writes: one per interview, so
    recording it again replaces the row instead of adding a second."""
    return f"interview:{investigation_id}:{customer_id}"


def _cols(names: tuple[str, ...]) -> str:
    return ", ".join(quote_ident(c) for c in names)


def _select(store: Store, table: str, columns: tuple[str, ...], where: dict[str, Any], order: str) -> pd.DataFrame:
    p = store.paramstyle
    conds = [f"{quote_ident(k)} = {p}" for k, v in where.items() if v is not None]
    params = tuple(v for v in where.values() if v is not None)
    sql = f"SELECT {_cols(columns)} FROM {table}" + (f" WHERE {' AND '.join(conds)}" if conds else "") + f" ORDER BY {order}"
    rows = store.raw.execute(sql, params).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns), dtype=object)


# -- investigations -------------------------------------------------------------------------
def investigation_rows(store: Store, investigation_id: str | None = None) -> pd.DataFrame:
    """Investigations (all, or the one called ``investigation_id``), newest first."""
    return _select(store, _I, INVESTIGATION_COLUMNS, {"investigation_id": investigation_id},
                   "created_at DESC, investigation_id DESC")


def insert_investigation(store: Store, base_id: str, values: dict[str, Any], interviews: pd.DataFrame) -> str:
    """Store an investigation and its interviews in one transaction; return its id: ``base_id``,
    else ``base_id-2``, ``base_id-3`` … (the first not taken).

    ``values``: the investigation's columns but ``investigation_id``; ``interviews``: the
    interviews' columns but ``investigation_id``.
    """
    p = store.paramstyle
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"SELECT investigation_id FROM {_I} WHERE investigation_id = {p} OR investigation_id LIKE {p}",
                    (base_id, base_id + "-%"))
        taken = {r[0] for r in cur.fetchall()}
        new_id, n = base_id, 1
        while new_id in taken:
            n += 1
            new_id = f"{base_id}-{n}"
        row = {"investigation_id": new_id, **values}
        cols = ("record_key", *row)
        cur.execute(f"INSERT INTO {_I} ({_cols(cols)}) VALUES ({', '.join([p] * len(cols))})",
                    (new_id, *row.values()))
        if len(interviews):
            frame = interviews.assign(investigation_id=new_id)
            frame.insert(0, "record_key", [f"{new_id}:{c}" for c in frame["customer_id"]])
            types = column_types(INTERVIEWS)
            names = [c for c in types if c in frame.columns]
            data = pa.Table.from_pandas(frame[names].astype(object).where(frame[names].notna(), None),
                                        preserve_index=False)
            store.stage_typed(cur, "cg_interviews", data, {c: types[c] for c in names})
            cur.execute(f"INSERT INTO {_V} ({_cols(tuple(names))}) SELECT {_cols(tuple(names))} FROM cg_interviews")
            cur.execute("DROP TABLE cg_interviews")
    return new_id


def set_status(store: Store, investigation_id: str, status: str) -> None:
    """Set an investigation's status (open, closed)."""
    p = store.paramstyle
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"UPDATE {_I} SET status = {p} WHERE investigation_id = {p}", (status, investigation_id))


# -- interviews -----------------------------------------------------------------------------
def interview_rows(store: Store, investigation_id: str | None = None, *, customer_id: str | None = None,
                   interviewer: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Interviews, narrowed by investigation, customer, interviewer or status; by investigation
    and position."""
    return _select(store, _V, INTERVIEW_COLUMNS,
                   {"investigation_id": investigation_id, "customer_id": customer_id, "interviewer": interviewer,
                    "status": status}, "investigation_id, position")


def record_interview(store: Store, investigation_id: str, customer_id: str, outcome: dict[str, Any],
                     reason_row: dict[str, Any]) -> None:
    """Set the interview's outcome (``outcome``: columns of :data:`OUTCOME_COLUMNS`) and write its
    churn-reason row (``reason_row``: churn_reasons columns), replacing the one an earlier record
    of the same interview wrote, in one transaction."""
    unknown = set(outcome) - set(OUTCOME_COLUMNS)
    if unknown:
        raise ValueError(f"not an interview outcome column: {', '.join(sorted(unknown))}")
    p = store.paramstyle
    key = reason_key(investigation_id, customer_id)
    sets = ", ".join(f"{quote_ident(c)} = {p}" for c in outcome)
    cols = ("record_key", *reason_row)
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"UPDATE {_V} SET {sets}, reviewed_reason = NULL WHERE investigation_id = {p} AND customer_id = {p}",
                    (*outcome.values(), investigation_id, customer_id))
        cur.execute(f"DELETE FROM {_C} WHERE record_key = {p}", (key,))
        cur.execute(f"INSERT INTO {_C} ({_cols(cols)}) VALUES ({', '.join([p] * len(cols))})",
                    (key, *reason_row.values()))


def set_reviewed_reason(store: Store, investigation_id: str, customer_id: str, reason: str) -> None:
    """Note the reason a review settled on for one interview, and make it the reason of the
    interview's churn-reason row, in one transaction."""
    p = store.paramstyle
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"UPDATE {_V} SET reviewed_reason = {p} WHERE investigation_id = {p} AND customer_id = {p}",
                    (reason, investigation_id, customer_id))
        cur.execute(f"UPDATE {_C} SET reason = {p} WHERE record_key = {p}",
                    (reason, reason_key(investigation_id, customer_id)))


def churn_reason_rows(store: Store, investigation_id: str, customer_id: str) -> pd.DataFrame:
    """The churn-reason row(s) an interview wrote (none or one)."""
    return _select(store, _C, ("record_key", *CHURN_REASONS.column_names),
                   {"record_key": reason_key(investigation_id, customer_id)}, "record_key")


# -- reviews --------------------------------------------------------------------------------
def review_rows(store: Store, investigation_id: str) -> pd.DataFrame:
    """An investigation's reviews, oldest first."""
    return _select(store, _R, REVIEW_COLUMNS, {"investigation_id": investigation_id}, "reviewed_at, review_id")


def insert_review(store: Store, values: dict[str, Any]) -> None:
    """Add one review (``values``: its columns, ``review_id`` among them)."""
    p = store.paramstyle
    cols = ("record_key", *values)
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"INSERT INTO {_R} ({_cols(cols)}) VALUES ({', '.join([p] * len(cols))})",
                    (values["review_id"], *values.values()))


# -- improvement actions --------------------------------------------------------------------
def action_rows(store: Store, investigation_id: str | None = None, action_id: str | None = None) -> pd.DataFrame:
    """Improvement actions (of one investigation, or one action), by when they start."""
    return _select(store, _A, ACTION_COLUMNS, {"investigation_id": investigation_id, "action_id": action_id},
                   "starts_at, action_id")


def insert_action(store: Store, values: dict[str, Any]) -> str:
    """Add an action to ``values["investigation_id"]`` (``values``: its columns but ``action_id``);
    return its id, ``<investigation>-a<n>`` with n one more than its actions so far."""
    p = store.paramstyle
    inv = values["investigation_id"]
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"SELECT action_id FROM {_A} WHERE investigation_id = {p}", (inv,))
        taken = {r[0] for r in cur.fetchall()}
        n = len(taken) + 1
        while f"{inv}-a{n}" in taken:
            n += 1
        action_id = f"{inv}-a{n}"
        row = {"action_id": action_id, **values}
        cols = ("record_key", *row)
        cur.execute(f"INSERT INTO {_A} ({_cols(cols)}) VALUES ({', '.join([p] * len(cols))})",
                    (action_id, *row.values()))
    return action_id


def set_action_done(store: Store, action_id: str, on: date) -> None:
    """Note the day an action was done."""
    p = store.paramstyle
    with store.write_lock(), store.transaction() as cur:
        cur.execute(f"UPDATE {_A} SET done_at = {p} WHERE action_id = {p}", (on, action_id))
