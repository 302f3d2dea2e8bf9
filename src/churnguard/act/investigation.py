"""Defector investigations (跳槽客户调查), the pure part: which period, whom to interview, in which
order, and when a review falls due.

The practice: talk to *every* complete defector of a period and to a random sample of its
partial ones, the largest losses first; review what they said when a quarter of the interviews
is done and again at three quarters; turn the findings into improvement actions and check the
churn rate before and after each. This module reads nothing and opens nothing: the defectors
and their lost value come in as a frame (see :mod:`churnguard.service.investigations`).
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE
from churnguard.errors import OptionError
from churnguard.vocab import CHURN_REASONS

_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """A calendar period: its label as written back (``2026-Q3``, ``2026-07``, ``2026``), first and last day."""

    label: str
    start: date
    end: date


def parse_period(text: str, field: str = "period") -> Period:
    """``2026-Q3`` (a quarter), ``2026-07`` (a month) or ``2026`` (a year).

    Examples
    --------
    >>> parse_period("2026-Q3")
    Period(label='2026-Q3', start=datetime.date(2026, 7, 1), end=datetime.date(2026, 9, 30))
    >>> parse_period("2026-7").label
    '2026-07'
    """
    s = (text or "").strip()
    year = re.match(r"\d+", s)
    if year and not EARLIEST_DATE.year <= int(year.group()) <= LATEST_DATE.year:
        raise OptionError(field, f"{text!r}: the year must be from {EARLIEST_DATE.year} to {LATEST_DATE.year}; write "
                                 "a quarter (2026-Q3), a month (2026-07) or a year (2026)")
    if m := _QUARTER.match(s):
        y, q = int(m.group(1)), int(m.group(2))
        last = 3 * q
        return Period(f"{y}-Q{q}", date(y, last - 2, 1), date(y, last, calendar.monthrange(y, last)[1]))
    if (m := _MONTH.match(s)) and 1 <= int(m.group(2)) <= 12:
        y, mo = int(m.group(1)), int(m.group(2))
        return Period(f"{y}-{mo:02d}", date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]))
    if m := _YEAR.match(s):
        y = int(m.group(1))
        return Period(str(y), date(y, 1, 1), date(y, 12, 31))
    raise OptionError(field, f"{text!r} is not a period; write a quarter (2026-Q3), a month (2026-07) or a year (2026)")


def last_full_quarter(as_of: date) -> Period:
    """The last quarter that ended on or before ``as_of``."""
    q = (as_of.month - 1) // 3 + 1
    p = parse_period(f"{as_of.year}-Q{q}")
    if p.end <= as_of:
        return p
    return parse_period(f"{as_of.year - 1}-Q4") if q == 1 else parse_period(f"{as_of.year}-Q{q - 1}")


def sample_partial(ids: Iterable[str], share: float, seed: int | None) -> list[str]:
    """A seeded random sample of ``share`` of the partial defectors ``ids`` (rounded to the
    nearest whole customer): sorted by id first, so the same ids and seed draw the same customers
    whatever order they came in."""
    pool = sorted({str(i) for i in ids})
    k = int(math.floor(share * len(pool) + 0.5))
    if k <= 0:
        return []
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(pool), size=k, replace=False)
    return sorted(pool[i] for i in picked)


def select(defectors: pd.DataFrame, period: Period, partial_sample: float, seed: int | None) -> pd.DataFrame:
    """Whom an investigation of ``period`` interviews, in order.

    ``defectors``: ``customer_id, kind, lost_at, lost_value`` (and whatever else, e.g. ``csm``),
    the defectors found as of the period's end. Every complete defector lost within the period,
    and a seeded sample of the partial ones; ordered by ``lost_value`` (largest first, ties by
    customer id), with ``position`` from 1.
    """
    lost = pd.to_datetime(defectors["lost_at"])
    complete = defectors[(defectors["kind"] == "complete") & (lost >= pd.Timestamp(period.start))
                         & (lost <= pd.Timestamp(period.end))]
    partial = defectors[defectors["kind"] == "partial"]
    drawn = set(sample_partial(partial["customer_id"], partial_sample, seed))
    chosen = pd.concat([complete, partial[partial["customer_id"].astype(str).isin(drawn)]])
    chosen = chosen.assign(customer_id=chosen["customer_id"].astype(str),
                           lost_value=pd.to_numeric(chosen["lost_value"]).fillna(0.0).astype(float))
    chosen = chosen.sort_values(["lost_value", "customer_id"], ascending=[False, True], kind="stable")
    chosen = chosen.reset_index(drop=True)
    chosen.insert(0, "position", np.arange(1, len(chosen) + 1, dtype="int64"))
    return chosen


@dataclass(frozen=True)
class ReviewTiming:
    """Where an investigation stands against its review milestones.

    ``milestones``: the shares of interviews done at which a review falls due (0.25, 0.75);
    ``needed``: interviews done each needs; ``reached`` and ``recorded`` per milestone (a review
    recorded at a later milestone covers the earlier ones); ``due``: the milestone due now (the
    highest reached and not covered), else None; ``next``: the next milestone not yet reached.
    """

    interviews: int
    done: int
    milestones: tuple[float, ...]
    needed: tuple[int, ...]
    reached: tuple[bool, ...]
    recorded: tuple[bool, ...]

    @property
    def share_done(self) -> float | None:
        """Share of the interviews done (None when there are none)."""
        return self.done / self.interviews if self.interviews else None

    @property
    def due(self) -> float | None:
        """The milestone whose review is due now, or None."""
        open_ = [m for m, r, c in zip(self.milestones, self.reached, self.recorded, strict=True) if r and not c]
        return max(open_) if open_ else None

    @property
    def next(self) -> float | None:
        """The next milestone not reached yet, or None."""
        ahead = [m for m, r in zip(self.milestones, self.reached, strict=True) if not r]
        return min(ahead) if ahead else None

    def needed_for(self, milestone: float | None) -> int | None:
        """Interviews done that ``milestone`` needs."""
        if milestone is None:
            return None
        return self.needed[self.milestones.index(milestone)]

    def to_dict(self) -> dict:
        """``{"milestones": [{milestone, interviews_needed, reached, recorded}], "review_due", "due_milestone",
        "next_milestone", "next_needed"}``."""
        return {
            "milestones": [{"milestone": m, "interviews_needed": n, "reached": r, "recorded": c}
                           for m, n, r, c in zip(self.milestones, self.needed, self.reached, self.recorded,
                                                 strict=True)],
            "review_due": self.due is not None,
            "due_milestone": self.due,
            "next_milestone": self.next,
            "next_needed": self.needed_for(self.next),
        }


def review_timing(interviews: int, done: int, milestones: Iterable[float], reviewed: Iterable[float]) -> ReviewTiming:
    """Which reviews are due: a milestone ``m`` is reached when at least ``ceil(m × interviews)``
    interviews are done (25% of 100 is 25: due at 25 done, not at 24), and covered by a review
    recorded at ``m`` or later.

    Examples
    --------
    >>> t = review_timing(100, 24, (0.25, 0.75), ())
    >>> t.due, t.next, t.needed_for(t.next)
    (None, 0.25, 25)
    >>> review_timing(100, 25, (0.25, 0.75), ()).due
    0.25
    >>> review_timing(100, 30, (0.25, 0.75), (0.25,)).to_dict()["next_milestone"]
    0.75
    """
    ms = tuple(sorted({float(m) for m in milestones}))
    done_reviews = [float(r) for r in reviewed]
    needed = tuple(max(1, math.ceil(round(m * interviews, 9))) for m in ms)
    reached = tuple(interviews > 0 and done >= n for n in needed)
    recorded = tuple(any(r >= m - 1e-9 for r in done_reviews) for m in ms)
    return ReviewTiming(interviews, done, ms, needed, reached, recorded)


def controllable(reason: str | None) -> bool | None:
    """Whether the company controls ``reason`` (``vocab.CHURN_REASONS``; None: unknown, ``other``)."""
    term = CHURN_REASONS.get(reason or "")
    return None if term is None else term.controllable


def reason_table(done: pd.DataFrame) -> pd.DataFrame:
    """Per reason of the interviews ``done`` (``reason``: the reviewed one where a review changed
    it, ``lost_value``): ``reason, interviews, lost_value, share, controllable``, most interviews
    first (then lost value, then reason)."""
    cols = ["reason", "interviews", "lost_value", "share", "controllable"]
    if done.empty:
        return pd.DataFrame(columns=cols)
    g = (done.assign(lost_value=pd.to_numeric(done["lost_value"]).fillna(0.0))
         .groupby("reason", as_index=False).agg(interviews=("reason", "size"), lost_value=("lost_value", "sum")))
    g["share"] = g["interviews"] / g["interviews"].sum()
    g["controllable"] = [controllable(r) for r in g["reason"]]
    g = g.sort_values(["interviews", "lost_value", "reason"], ascending=[False, False, True], kind="stable")
    return g[cols].reset_index(drop=True)


def stated_vs_reviewed(done: pd.DataFrame) -> pd.DataFrame:
    """What the customers said against what the review settled on: ``stated, reviewed, interviews,
    changed`` over the interviews ``done`` (``reason``, ``reviewed_reason``: empty where the review
    kept the stated reason)."""
    cols = ["stated", "reviewed", "interviews", "changed"]
    if done.empty:
        return pd.DataFrame(columns=cols)
    stated = done["reason"].astype(str)
    reviewed = done["reviewed_reason"].where(done["reviewed_reason"].notna() & (done["reviewed_reason"] != ""),
                                             stated)
    t = (pd.DataFrame({"stated": stated, "reviewed": reviewed.astype(str)})
         .groupby(["stated", "reviewed"], as_index=False).size().rename(columns={"size": "interviews"}))
    t["changed"] = t["stated"] != t["reviewed"]
    t = t.sort_values(["interviews", "stated", "reviewed"], ascending=[False, True, True], kind="stable")
    return t[cols].reset_index(drop=True)
