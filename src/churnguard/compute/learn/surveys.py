"""Satisfaction surveys (满意度调查): who to ask, what they said, and whether it told.

- :func:`draw_sample`: a reproducible random sample of the customers that may be asked,
  optionally stratified with proportional allocation (largest remainders);
- :func:`distribution`: the five levels and NPS by quarter (and a customer column);
- :func:`churn_by_level`: the churn rate within a horizon after each customer's latest answer,
  by the level answered, with Wilson intervals — the source material's claim that very
  satisfied customers (高度满意) stay while merely satisfied ones (一般满意) still leave,
  checked on the company's own answers;
- :func:`call_list`: living customers whose latest answer was 1 or 2.

Pure: frames in, frames out; nothing is read or written here.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from churnguard.compute.learn.proportions import wilson
from churnguard.vocab import SATISFACTION

#: the five levels, most satisfied first
LEVELS: tuple[int, ...] = (5, 4, 3, 2, 1)
#: NPS: promoters answer 9–10, detractors 0–6
PROMOTER_AT, DETRACTOR_BELOW = 9, 7
#: the value a stratum takes when the customer has none in the stratifying column
NO_STRATUM = ""


def allocate(sizes: pd.Series, total: int) -> pd.Series:
    """Split ``total`` draws over strata in proportion to their ``sizes`` (Hamilton's method).

    Each stratum gets the whole part of its share; the draws left over go to the largest
    remainders, ties to the larger stratum, then to the stratum named first. Never more than a
    stratum holds. Deterministic.

    >>> allocate(pd.Series({"a": 50, "b": 30, "c": 20}), 7).to_dict()
    {'a': 4, 'b': 2, 'c': 1}
    """
    sizes = sizes.astype("int64")
    n = int(sizes.sum())
    if total >= n:
        return sizes.copy()
    quota = sizes * total / n
    whole = np.floor(quota).astype("int64")
    left = total - int(whole.sum())
    order = pd.DataFrame({"rem": quota - whole, "size": sizes, "name": sizes.index.astype(str)}, index=sizes.index)
    order = order.sort_values(["rem", "size", "name"], ascending=[False, False, True], kind="stable")
    room = (sizes - whole)[order.index]
    for key in room.index:
        if left == 0:
            break
        if room[key] > 0:
            whole[key] += 1
            left -= 1
    return whole


def draw_sample(candidates: pd.DataFrame, size: int, seed: int, stratify: str | None = None) -> pd.DataFrame:
    """``size`` customers drawn without replacement from ``candidates`` (one row per customer,
    ``customer_id`` among the columns), reproducibly: the same candidates, size and seed give
    the same customers.

    The candidates are sorted by id first, so the order rows arrive in does not matter; one
    ``numpy.random.default_rng(seed)`` draws. With ``stratify`` (a column), each stratum gets
    its proportional share (:func:`allocate`) and is drawn in the order of its name. Returns
    the drawn rows sorted by stratum and id, with a ``stratum`` column (empty when not
    stratified).
    """
    pool = candidates.sort_values("customer_id", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    if stratify is None:
        take = np.sort(rng.choice(len(pool), size=min(size, len(pool)), replace=False))
        out = pool.iloc[take].copy()
        out["stratum"] = NO_STRATUM
        return out.reset_index(drop=True)
    strata = pool[stratify].where(pool[stratify].notna(), NO_STRATUM).astype(str)
    sizes = strata.value_counts().sort_index()
    quota = allocate(sizes, size)
    parts = []
    for name in sorted(sizes.index):
        members = np.flatnonzero((strata == name).to_numpy())
        take = np.sort(rng.choice(members, size=int(quota[name]), replace=False))
        part = pool.iloc[take].copy()
        part["stratum"] = name
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pool.head(0).assign(stratum=NO_STRATUM)


def quarter_of(d: pd.Series) -> pd.Series:
    """``2026-Q3`` for each date."""
    d = pd.to_datetime(d)
    return d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)


def nps_points(scores: pd.Series) -> float | None:
    """Net promoter score in points (−100 … 100): promoters' share minus detractors', ×100; None
    without answers."""
    s = pd.to_numeric(scores, errors="coerce").dropna()
    if s.empty:
        return None
    return float(100.0 * ((s >= PROMOTER_AT).mean() - (s < DETRACTOR_BELOW).mean()))


def distribution(answers: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The five-level distribution and NPS per quarter (and value of ``by``), oldest first.

    ``answers``: ``customer_id, answered_at, satisfaction, nps`` (and the ``by`` column). One
    row per quarter (and group): ``period``, ``period_start``, [``by``], ``answers``,
    ``level_5`` … ``level_1`` (answers at each level), ``share_5`` … ``share_1``,
    ``nps_answers``, ``promoters``, ``detractors``, ``nps`` (points; None without NPS answers).
    """
    keys = ["period", "period_start"] + ([by] if by else [])
    cols = keys + ["answers", *[f"level_{k}" for k in LEVELS], *[f"share_{k}" for k in LEVELS],
                   "nps_answers", "promoters", "detractors", "nps"]
    if answers.empty:
        return pd.DataFrame(columns=cols)
    a = answers.copy()
    when = pd.to_datetime(a["answered_at"])
    a["period"] = quarter_of(when)
    a["period_start"] = when.dt.to_period("Q").dt.start_time.dt.date
    if by:
        a[by] = a[by].where(a[by].notna(), None)
    rows = []
    for key, g in a.groupby(keys, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key, strict=True))
        n = len(g)
        row["answers"] = n
        counts = g["satisfaction"].value_counts()
        for k in LEVELS:
            row[f"level_{k}"] = int(counts.get(k, 0))
        for k in LEVELS:
            row[f"share_{k}"] = row[f"level_{k}"] / n
        scores = pd.to_numeric(g["nps"], errors="coerce").dropna()
        row["nps_answers"] = len(scores)
        row["promoters"] = int((scores >= PROMOTER_AT).sum())
        row["detractors"] = int((scores < DETRACTOR_BELOW).sum())
        row["nps"] = nps_points(scores)
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    if by:
        out[by] = out[by].where(out[by].notna(), None)
    return out


def latest_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Each customer's latest answer (the later recorded row wins a tie on the day; then the lower level)."""
    if answers.empty:
        return answers
    a = answers.sort_values(["customer_id", "answered_at", "satisfaction"], ascending=[True, False, True],
                            kind="stable")
    return a.drop_duplicates("customer_id", keep="first").reset_index(drop=True)


def churn_by_level(latest: pd.DataFrame, status: pd.DataFrame, as_of: date, horizon_days: int,
                   language: str = "en") -> tuple[pd.DataFrame, dict[str, int]]:
    """The churn rate within ``horizon_days`` after each customer's latest answer, by its level.

    Parameters
    ----------
    latest : DataFrame
        One answer per customer (:func:`latest_answers`): ``customer_id, answered_at, satisfaction``.
    status : DataFrame
        ``customer_id, lost, lost_at`` as of ``as_of`` (the churn definition's status).
    as_of : date
        What is known: an answer whose horizon ends after it has no outcome yet and is left out.

    Returns
    -------
    (DataFrame, dict)
        Rows per level (5 … 1): ``level``, ``label``, ``customers``, ``lost``, ``churn_rate``,
        ``ci`` ([low, high], Wilson 95%); and counts of the answers left out:
        ``too_recent`` (horizon not over by ``as_of``), ``lost_before_answer`` (already lost
        when answering), ``no_status`` (no purchase or contract: never a customer by the
        churn definition).
    """
    horizon = timedelta(days=int(horizon_days))
    a = latest.merge(status[["customer_id", "lost", "lost_at"]], on="customer_id", how="left")
    answered = pd.to_datetime(a["answered_at"])
    lost_at = pd.to_datetime(a["lost_at"])
    no_status = a["lost"].isna()
    due = answered + horizon
    too_recent = ~no_status & (due > pd.Timestamp(as_of))
    before = ~no_status & ~too_recent & lost_at.notna() & (lost_at <= answered)
    kept = ~(no_status | too_recent | before)
    a = a[kept]
    lost = (pd.to_datetime(a["lost_at"]).notna() & (pd.to_datetime(a["lost_at"]) <= due[kept])).to_numpy()
    rows = []
    for k in LEVELS:
        here = (a["satisfaction"] == k).to_numpy()
        n, m = int(here.sum()), int((lost & here).sum())
        low, high = wilson(m, n)
        rows.append({"level": k, "label": SATISFACTION[k].label(language), "customers": n, "lost": m,
                     "churn_rate": m / n if n else None, "ci": [low, high]})
    left_out = {"too_recent": int(too_recent.sum()), "lost_before_answer": int(before.sum()),
                "no_status": int(no_status.sum())}
    return pd.DataFrame(rows), left_out


def call_list(latest: pd.DataFrame, status: pd.DataFrame, customers: pd.DataFrame,
              levels: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Living customers whose latest answer is at one of ``levels``: the least satisfied first,
    then the most recent answer, then by id. Columns: ``customer_id, name, segment, csm,
    answered_at, satisfaction, nps, comment``."""
    cols = ["customer_id", "name", "segment", "csm", "answered_at", "satisfaction", "nps", "comment"]
    low = latest[latest["satisfaction"].isin(levels)]
    alive = status.loc[~status["lost"].astype(bool), ["customer_id"]]
    low = low.merge(alive, on="customer_id", how="inner")
    low = low.merge(customers[["customer_id", "name", "segment", "csm"]], on="customer_id", how="left")
    low = low.sort_values(["satisfaction", "answered_at", "customer_id"], ascending=[True, False, True],
                          kind="stable")
    for c in cols:
        if c not in low.columns:
            low[c] = None
    return low[cols].reset_index(drop=True)
