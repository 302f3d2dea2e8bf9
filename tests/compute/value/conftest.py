"""CDNOW fixtures: the calibration summary and holdout counts, built here with pandas."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CDNOW_FILE = Path(__file__).resolve().parents[2] / "reference" / "data" / "CDNOW_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")
START = pd.Timestamp("1997-01-01")


@dataclass(frozen=True)
class Cdnow:
    """CDNOW in BTYD form (weeks) plus what the holdout needs."""

    summary: pd.DataFrame  # frequency, recency, T, monetary_value (mean repeat spend), first
    daily: pd.DataFrame  # one row per customer and purchase day: customer, date, amount

    def weekly_cumulative_repeats(self, weeks: int = 78) -> np.ndarray:
        """Actual cumulative repeat transactions at the end of weeks 1..``weeks`` from 1997-01-01."""
        d = self.daily
        repeats = d[(d["date"] > d["first"]) & (d["date"] <= HOLDOUT_END)]
        week = (repeats["date"] - START).dt.days // 7  # 0-based week index
        return np.cumsum(np.bincount(week.to_numpy(), minlength=weeks)[:weeks])

    def ages_at_week_ends(self, weeks: int = 78) -> np.ndarray:
        """Each customer's age in weeks at the last day of weeks 1..``weeks`` (rows: weeks).

        Ages follow the calibration convention ``(day - first purchase day) / 7``, so week 39
        gives back ``T``; customers not yet acquired get age 0.
        """
        first_day = (self.summary["first"] - START).dt.days.to_numpy()
        last_day = 7 * np.arange(1, weeks + 1)[:, None] - 1
        return np.clip((last_day - first_day[None, :]) / 7.0, 0.0, None)

    def holdout_repeats(self) -> np.ndarray:
        """Each customer's transactions in the holdout weeks 40-78, in summary order."""
        d = self.daily
        hold = d[(d["date"] > CALIBRATION_END) & (d["date"] <= HOLDOUT_END)]
        return hold.groupby("customer").size().reindex(self.summary.index, fill_value=0).to_numpy()


def load_cdnow() -> Cdnow:
    raw = pd.read_csv(
        CDNOW_FILE,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "amount"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    # Purchases on the same day are one transaction (as lifetimes'
    # summary_data_from_transaction_data does); their amounts add up.
    daily = raw.groupby(["customer", "date"], as_index=False)["amount"].sum()
    first = daily.groupby("customer")["date"].min().rename("first")
    daily = daily.join(first, on="customer")
    cal = daily[daily["date"] <= CALIBRATION_END]
    repeat = cal[cal["date"] > cal["first"]]
    per = pd.DataFrame({"first": first})
    per["frequency"] = repeat.groupby("customer").size().reindex(per.index, fill_value=0)
    last = cal.groupby("customer")["date"].max()
    per["recency"] = (last - per["first"]).dt.days / 7.0
    per["T"] = (CALIBRATION_END - per["first"]).dt.days / 7.0
    per["monetary_value"] = repeat.groupby("customer")["amount"].mean().reindex(per.index, fill_value=0.0)
    return Cdnow(summary=per, daily=daily)


@pytest.fixture(scope="session")
def cdnow() -> Cdnow:
    return load_cdnow()
