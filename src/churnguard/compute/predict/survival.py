"""Retention curves and expected time to churn (lifelines' Kaplan–Meier estimator).

A customer's lifetime runs from its acquisition (or its first record) to the day it was lost,
or is censored at the as-of date while it is still active. Customers acquired before the data
begin are *left-truncated*: they enter the risk set only at the first date of the data, since
those lost before it were never recorded (Kaplan & Meier 1958; Klein & Moeschberger,
*Survival Analysis*, 2nd ed., §4.6 on left truncation).

The expected remaining time of an active customer of age ``a`` is the restricted mean residual
life of its group's curve: ``∫_a^τ S(t) dt / S(a)`` with ``τ`` the longest lifetime observed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from churnguard.errors import InputError

GROUPS = ("segment", "region", "customer_type", "relationship", "csm")
POINTS = (90, 180, 365, 730)


def lifetimes(profile: pd.DataFrame, as_of: date, data_start: date) -> pd.DataFrame:
    """``duration, event, entry`` in days per customer (one row per customer of the profile)."""
    start_cols = [c for c in ("acquired_at", "first_purchase_at", "first_contract_at") if c in profile]
    start = profile[start_cols].min(axis=1)
    end = profile["lost_at"].where(profile["lost"], pd.Timestamp(as_of))
    duration = (end - start).dt.days.astype("float64")
    entry = np.maximum((pd.Timestamp(data_start) - start).dt.days.astype("float64"), 0.0)
    out = pd.DataFrame({"duration": duration, "event": profile["lost"].astype(bool), "entry": entry}, index=profile.index)
    out = out[out["duration"].notna()]
    # a customer observed for no time at all still counts: give it half a day
    out["duration"] = out["duration"].clip(lower=0.5)
    out["entry"] = np.minimum(out["entry"], out["duration"] - 0.25)
    return out


@dataclass
class RetentionCurves:
    """Kaplan–Meier retention by group, and each active customer's expected remaining days."""

    by: str | None
    table: pd.DataFrame
    curves: dict[str, pd.Series]
    expected_days: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
    horizon_days: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        """``{"by", "groups": [...], "curves": {group: [[day, retained], ...]}, "horizon_days"}``."""
        rows = self.table.reset_index().astype(object).where(self.table.reset_index().notna(), None)
        return {
            "by": self.by,
            "horizon_days": None if not np.isfinite(self.horizon_days) else round(self.horizon_days),
            "groups": rows.to_dict(orient="records"),
            "curves": {
                g: [[round(float(t), 1), round(float(s), 4)] for t, s in _thin(c).items()] for g, c in self.curves.items()
            },
        }


def _thin(curve: pd.Series, points: int = 60) -> pd.Series:
    if len(curve) <= points:
        return curve
    idx = np.unique(np.linspace(0, len(curve) - 1, points).round().astype(int))
    return curve.iloc[idx]


def retention_curves(profile: pd.DataFrame, as_of: date, data_start: date, by: str | None = "segment",
                     min_customers: int = 20) -> RetentionCurves:
    """Kaplan–Meier retention curves of the customers in ``profile``, by ``by``.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`~churnguard.compute.detect.profile.customer_profile` as of ``as_of``.
    as_of : date
    data_start : date
        First date of the records (left truncation).
    by : str or None
        One of :data:`GROUPS`, or None for one curve of everybody.
    min_customers : int
        Smaller groups are pooled into "(other)".
    """
    from lifelines import KaplanMeierFitter

    if by is not None and by not in GROUPS:
        raise InputError(f"--by: unknown group {by!r}; choose one of: {', '.join(GROUPS)}")
    life = lifetimes(profile, as_of, data_start)
    if life.empty:
        raise InputError("no customers to draw retention curves for")
    group = (profile.loc[life.index, by].astype("object").fillna("(blank)").astype(str)
             if by else pd.Series("all", index=life.index))
    counts = group.value_counts()
    group = group.where(group.map(counts) >= min_customers, "(other)")
    horizon = float(life["duration"].max())
    rows, curves = [], {}
    expected = pd.Series(np.nan, index=life.index)
    for g, idx in group.groupby(group).groups.items():
        d = life.loc[idx]
        kmf = KaplanMeierFitter().fit(d["duration"], d["event"], entry=d["entry"], label=str(g))
        sf = kmf.survival_function_.iloc[:, 0]
        curves[str(g)] = sf
        row = {"group": str(g), "customers": len(d), "lost": int(d["event"].sum())}
        for t in POINTS:
            row[f"retained_{t}d"] = round(float(kmf.predict(t)), 4)
        med = kmf.median_survival_time_
        row["median_lifetime_days"] = None if not np.isfinite(med) else round(float(med))
        rows.append(row)
        active = d.index[~d["event"].to_numpy()]
        expected.loc[active] = _residual_mean(sf, d.loc[active, "duration"].to_numpy(), horizon)
    table = pd.DataFrame(rows).set_index("group").sort_values("customers", ascending=False)
    return RetentionCurves(by, table, curves, expected, horizon)


def _residual_mean(sf: pd.Series, ages: np.ndarray, tau: float) -> np.ndarray:
    """``∫_a^τ S(t) dt / S(a)`` for each age ``a`` under the step function ``sf``."""
    t = sf.index.to_numpy(dtype="float64")
    s = sf.to_numpy(dtype="float64")
    t = np.r_[t, tau]
    # area of each step [t_i, t_{i+1}) at height s_i, cumulated from the right
    width = np.diff(t)
    area = s * width
    tail = np.r_[np.cumsum(area[::-1])[::-1], 0.0]
    i = np.clip(np.searchsorted(t, ages, side="right") - 1, 0, len(s) - 1)
    s_a = s[i]
    partial = s_a * np.clip(t[i + 1] - ages, 0, None)
    total = partial + tail[i + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s_a > 0, total / s_a, 0.0)
