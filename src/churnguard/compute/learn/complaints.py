"""The complaint register (投诉登记): each complaint with its resolution time, open ones ageing
into risk, a summary by category, whether complainers churn more than the rest, and the two
rule-of-thumb estimates of what complaints do not show.

The estimates are the source material's rules of thumb, kept as settings: only about 4% of
dissatisfied customers complain (``listen.complaint_share``), and one dissatisfied customer
tells about 25 others (``listen.word_of_mouth``). They are estimates from settings, not
measurements, and every output says so (:func:`estimates`).

Pure: frames in, frames out.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from churnguard.compute.learn.proportions import newcombe, wilson

REGISTER_COLUMNS = ("complaint_id", "customer_id", "opened_at", "category", "severity", "resolved_at",
                    "days_to_resolve", "resolution", "open", "open_days", "ageing")


def register(complaints: pd.DataFrame, as_of: date, ageing_days: int) -> pd.DataFrame:
    """The register: one row per complaint known at ``as_of`` (resolutions after it are not
    known: the complaint is open), the newest first, then by id.

    ``days_to_resolve``: days from opened to resolved (None while open); ``open_days``: days
    open at ``as_of`` (None once resolved); ``ageing``: open for at least ``ageing_days`` (the
    warning signal's ``signals.complaint_open_days``) — an unresolved complaint raises the
    customer's risk.
    """
    q = complaints.copy()
    opened = pd.to_datetime(q["opened_at"])
    resolved = pd.to_datetime(q["resolved_at"])
    resolved = resolved.where(resolved <= pd.Timestamp(as_of))
    q["opened_at"] = opened.dt.date
    q["resolved_at"] = resolved.dt.date.where(resolved.notna(), None)
    is_open = resolved.isna()
    q["open"] = is_open
    q["days_to_resolve"] = (resolved - opened).dt.days.astype("Int64")
    q["open_days"] = (pd.Timestamp(as_of) - opened).dt.days.where(is_open).astype("Int64")
    q["ageing"] = is_open & ((pd.Timestamp(as_of) - opened).dt.days >= int(ageing_days))
    q["resolution"] = q["resolution"].where(~is_open, None)
    q = q.assign(_o=opened).sort_values(["_o", "complaint_id", "customer_id"], ascending=[False, True, True],
                                        kind="stable", na_position="last")
    return q[list(REGISTER_COLUMNS)].reset_index(drop=True)


def _median(values: pd.Series) -> float | None:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.median()) if len(v) else None


def summary(reg: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Totals (``complaints``, ``open``, ``ageing``, ``customers`` complaining,
    ``median_days_to_resolve``) and one row per category (most complaints first): ``category,
    complaints, open, median_days_to_resolve``."""
    totals = {"complaints": len(reg), "open": int(reg["open"].sum()), "ageing": int(reg["ageing"].sum()),
              "customers": int(reg["customer_id"].nunique()),
              "median_days_to_resolve": _median(reg["days_to_resolve"])}
    cat = reg["category"].where(reg["category"].notna(), None)
    rows = []
    for name, g in reg.assign(category=cat).groupby("category", dropna=False, sort=True):
        rows.append({"category": None if pd.isna(name) else name, "complaints": len(g), "open": int(g["open"].sum()),
                     "median_days_to_resolve": _median(g["days_to_resolve"])})
    by = pd.DataFrame(rows, columns=["category", "complaints", "open", "median_days_to_resolve"])
    by = by.sort_values(["complaints", "category"], ascending=[False, True], kind="stable", na_position="last")
    return totals, by.reset_index(drop=True)


def complainer_churn(complained: pd.Series, lost: pd.Series) -> dict:
    """Churn of complainers vs the rest of the same customers.

    ``complained`` and ``lost``: booleans indexed by customer (the customers active at the
    window's start). Returns ``complainers`` and ``others`` (``customers``, ``lost``,
    ``churn_rate``, ``ci``: Wilson 95%) and ``difference`` (complainers minus others) with
    its ``ci`` (Newcombe's hybrid score interval, :func:`~churnguard.compute.learn.proportions.newcombe`).
    """
    c = complained.astype(bool).to_numpy()
    lo = lost.reindex(complained.index).fillna(False).astype(bool).to_numpy()
    k1, n1 = int((lo & c).sum()), int(c.sum())
    k2, n2 = int((lo & ~c).sum()), int((~c).sum())

    def group(k: int, n: int) -> dict:
        low, high = wilson(k, n)
        return {"customers": n, "lost": k, "churn_rate": k / n if n else None, "ci": [low, high]}

    d_low, d_high = newcombe(k1, n1, k2, n2)
    diff = (k1 / n1 - k2 / n2) if n1 and n2 else None
    return {"complainers": group(k1, n1), "others": group(k2, n2),
            "difference": {"value": diff, "ci": [d_low, d_high]}}


def estimates(complaining_customers: int, complaint_share: float, word_of_mouth: float) -> dict:
    """The silent-majority and word-of-mouth estimates, each with its basis.

    ``silent_majority_estimate``: dissatisfied customers ≈ complaining customers ÷
    ``complaint_share`` (those who complain are that share of all who are dissatisfied);
    ``word_of_mouth_estimate``: people told ≈ that × ``word_of_mouth``.
    """
    silent = complaining_customers / complaint_share if complaint_share > 0 else None
    wom = silent * word_of_mouth if silent is not None else None
    return {
        "silent_majority_estimate": None if silent is None else float(np.round(silent, 1)),
        "word_of_mouth_estimate": None if wom is None else float(np.round(wom, 1)),
        "estimates_basis": {
            "kind": "estimate from settings, not a measurement",
            "complaining_customers": int(complaining_customers),
            "listen.complaint_share": float(complaint_share),
            "listen.word_of_mouth": float(word_of_mouth),
            "silent_majority_estimate": "complaining customers / listen.complaint_share",
            "word_of_mouth_estimate": "silent_majority_estimate * listen.word_of_mouth",
        },
    }
