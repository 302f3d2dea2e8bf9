"""Early warnings: customers who are not yet overdue, and whether they left within the horizon.

A warning helps only while something can still be done. On a backtest date D a customer is
*early* (not yet overdue) when

* without a running contract: the days since its last purchase are at most its own usual gap
  between purchases (for a customer with one purchase, the median usual gap of its segment, or
  of everybody when it has none);
* with a running contract: more than :data:`CONTRACT_NOTICE_DAYS` days are left before the end
  of its cover.

Every other active customer is *overdue*: it has already gone quiet longer than usual, or its
contract is about to end. Ranking overdue customers first is easy (days since the last
purchase does it) and mostly comes too late.

An early customer counts as *lost* when its last purchase, or the end of its contract cover,
falls within the horizon (after D, on or before D + horizon) and the churn definition later
declares it lost. That is judged with the records through D + horizon + the longest churn
threshold, so a threshold longer than the horizon does not empty the label. An early customer
whose last purchase was on or before D and who never bought again had in fact already gone on
D: no warning on D could have been early for it, so it is left out (``gone_before``), as is a
customer whose outcome the data do not yet show (``undetermined``).
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pandas as pd

from churnguard.compute.detect.status import customer_status, thresholds_at
from churnguard.settings import ChurnSettings
from churnguard.store.records import Records

EARLY = "early"
OVERDUE = "overdue"
#: a contract customer is early while more than this many days of cover are left
CONTRACT_NOTICE_DAYS = 30


def usual_gap_or_segment(X: pd.DataFrame) -> pd.Series:
    """Each customer's usual days between purchases; its segment's median (else everybody's)
    for a customer with fewer than two purchases."""
    gap = pd.to_numeric(X["usual_purchase_gap"], errors="coerce")
    seg = X["segment"].astype("object").where(X["segment"].notna(), "\x00none")
    with warnings.catch_warnings():
        # a segment (or a workspace of contracts) without a single repeat purchase has no
        # median: NaN, as meant, without numpy's "Mean of empty slice"
        warnings.simplefilter("ignore", RuntimeWarning)
        by_segment = gap.groupby(seg).transform("median")
        overall = gap.median()
    return gap.fillna(by_segment).fillna(overall)


def warning_kind(X: pd.DataFrame) -> pd.Series:
    """``"early"`` or ``"overdue"`` for each active customer of a feature table.

    Parameters
    ----------
    X : pandas.DataFrame
        Features (:func:`~churnguard.compute.predict.features.build_features`): uses
        ``days_since_last_purchase``, ``usual_purchase_gap``, ``segment``, ``contractual`` and
        ``days_to_contract_end``.

    Examples
    --------
    >>> X = pd.DataFrame({"days_since_last_purchase": [10.0, 50.0, np.nan], "usual_purchase_gap": [30.0, 30.0, np.nan],
    ...                   "segment": ["a", "a", None], "contractual": [0.0, 0.0, 1.0],
    ...                   "days_to_contract_end": [np.nan, np.nan, 45.0]})
    >>> warning_kind(X).tolist()
    ['early', 'overdue', 'early']
    """
    if X.empty:
        return pd.Series([], index=X.index, dtype="object")
    recency = pd.to_numeric(X["days_since_last_purchase"], errors="coerce")
    usual = usual_gap_or_segment(X)
    contract = pd.to_numeric(X["contractual"], errors="coerce").fillna(0) > 0
    to_end = pd.to_numeric(X["days_to_contract_end"], errors="coerce")
    early = np.where(contract, to_end > CONTRACT_NOTICE_DAYS, recency.notna() & (recency <= usual))
    return pd.Series(np.where(early, EARLY, OVERDUE), index=X.index, dtype="object")


def longest_threshold(records: Records, churn: ChurnSettings, as_of: date) -> int:
    """The most days any customer can go quiet before the churn definition calls it lost: the
    longest non-contractual threshold in force at ``as_of``, or the contracts' grace plus one."""
    th = thresholds_at(records, churn, as_of, pinned=False)
    days = [int(th.default), *(int(v) for v in (getattr(th, "by_segment", None) or {}).values())]
    return max([*days, int(churn.grace_days) + 1])


def judged_through(as_of: date, horizon_days: int, threshold_days: int) -> date:
    """The last day whose records decide an early customer's outcome: date + horizon + threshold."""
    return as_of + timedelta(days=horizon_days + threshold_days)


def early_outcome(records: Records, churn: ChurnSettings, as_of: date, horizon_days: int,
                  through: date) -> pd.DataFrame:
    """What became of every customer by ``through``, for the early-warning label of ``as_of``.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; ``ends_at`` (the last purchase, or for a contract customer the end
        of its cover, as known at ``through``), ``days_to_end`` (from ``as_of``) and ``outcome``:
        ``"lost"`` (ends within the horizon and declared lost by ``through``), ``"kept"`` (buying
        or covered after the horizon), ``"gone_before"`` (no purchase after ``as_of``) or
        ``"undetermined"`` (ends within the horizon, not yet declared lost by ``through``).
    """
    st = customer_status(records, churn, through, pinned=False).to_pandas().set_index("customer_id")
    contractual = st["relationship"] == "contractual"
    ends = pd.to_datetime(st["covered_until"].where(contractual, st["last_purchase_at"]))
    d0, d1 = pd.Timestamp(as_of), pd.Timestamp(as_of + timedelta(days=horizon_days))
    lost = st["lost"].fillna(False).astype(bool)
    outcome = np.select(
        [ends.isna() | (ends <= d0), ends > d1, lost],
        ["gone_before", "kept", "lost"],
        "undetermined",
    )
    return pd.DataFrame({"ends_at": ends, "days_to_end": (ends - d0).dt.days.astype("float64"),
                         "outcome": outcome}, index=st.index).sort_index()


def customer_threshold(profile: pd.DataFrame, churn: ChurnSettings) -> pd.Series:
    """Days of quiet after which each customer is declared lost: its segment's threshold, or for
    a contract customer the grace after the end of cover (plus the day it takes)."""
    t = pd.to_numeric(profile.get("threshold_days", pd.Series(np.nan, index=profile.index)), errors="coerce")
    return t.fillna(int(churn.grace_days) + 1)


def decidable(profile: pd.DataFrame, churn: ChurnSettings, as_of: date, horizon_days: int, through: date) -> pd.Series:
    """Whether the records through ``through`` can show each customer's early-warning outcome:
    date + horizon + its own threshold on or before ``through``. Customers whose threshold is
    too long are left out whatever happened to them, so those kept and those lost are left out
    alike."""
    room = (pd.Timestamp(through) - pd.Timestamp(as_of)).days - horizon_days
    return customer_threshold(profile, churn) <= room


def lead_time_days(days_to_end: pd.Series, lost: pd.Series, score: pd.Series, share: float = 0.10) -> float | None:
    """Median days from the date to the departure of the lost customers among the ``share`` with
    the highest scores (ties broken by customer id); None when none of them was lost."""
    order = pd.DataFrame({"s": score.to_numpy(dtype="float64"), "id": score.index.astype(str)}, index=score.index)
    order = order.sort_values(["s", "id"], ascending=[False, True], kind="stable")
    k = max(1, int(np.ceil(share * len(order))))
    top = order.index[:k]
    hit = lost.reindex(top).fillna(False).astype(bool)
    days = days_to_end.reindex(top)[hit.to_numpy()]
    return None if days.empty else round(float(days.median()), 1)
