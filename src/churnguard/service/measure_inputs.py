"""What the measure use cases share: where the records are read from (the workspace's
database or Parquet on Spark), the inputs of one computation and the definition every result
echoes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from churnguard.compute.measure.status import Thresholds, purchase_thresholds, stored_thresholds
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.settings import Settings
from churnguard.store import Records

CONTRACTUAL_RULE = (
    "active while holding a contract; lost on the day the last contract ends (or is cancelled) "
    "without a renewal starting within grace_days"
)
NON_CONTRACTUAL_RULE = (
    "lost on the day the gap since the last purchase reaches the threshold "
    "(last purchase + threshold days); buying again later is a reactivation"
)


#: where a measure command may read the records: the workspace's database, or Parquet on Spark
ENGINES = ("store", "spark")


def engine_url(engine: str, data: Path | None) -> str | None:
    """The records URL of ``--engine``/``--data`` (None: the workspace's database), checked:
    the one place the command line's engine becomes a records URL (``spark+parquet:///DIR``)."""
    if engine not in ENGINES:
        raise OptionError("engine", f"{engine!r} is not one of: {', '.join(ENGINES)}")
    if engine == "store":
        if data is not None:
            raise OptionError("data", "is for --engine spark; the store engine reads the workspace's database")
        return None
    if data is None:
        raise OptionError("data", "needed with --engine spark: a folder DIR of transactions.parquet, "
                                  "contracts.parquet, …")
    from churnguard.store import parquet_url

    return parquet_url(Path(data))


@dataclass
class MeasureOptions:
    """What every measure use case has; where to read from and as of when is the context's
    (:class:`~churnguard.service.context.Context`: the workspace's database, or Parquet on
    Spark when its ``records_url`` says so).

    Attributes
    ----------
    rethreshold : bool
        Learn the 'auto' threshold afresh instead of using the last run's.
    """

    rethreshold: bool = False


@dataclass
class MeasureInputs:
    """What a measure use case reads: settings, records and the date, from the context."""

    settings: Settings
    src: Records
    as_of: date
    as_of_source: str
    store: Any = None
    rethreshold: bool = False

    def thresholds(self) -> Thresholds:
        """The threshold in force: the last run's (dated by the as-of date) unless asked to learn it afresh."""
        if self.store is not None and not self.rethreshold:
            stored = stored_thresholds(self.store, self.settings.churn, self.as_of)
            if stored is not None:
                return stored
        return purchase_thresholds(self.src, self.settings.churn, self.as_of)


def window(frame: pd.DataFrame, last_day: date | None, key: str = "period_start") -> pd.DataFrame:
    """The periods up to the one holding ``last_day`` (``--to``: the window's last day; the
    as-of date, what is known, is the context's)."""
    if last_day is None or key not in frame.columns:
        return frame
    starts = pd.to_datetime(frame[key]).dt.date
    return frame[(starts <= last_day).to_numpy()].reset_index(drop=True)


def measure_inputs(ctx: Context, opts: MeasureOptions) -> MeasureInputs:
    # records read from elsewhere (Parquet on Spark) have no stored run to take a threshold from
    store = None if ctx.records_url is not None else ctx.store
    return MeasureInputs(ctx.settings, ctx.records(), ctx.as_of, ctx.as_of_source, store, opts.rethreshold)


def definition(ctx: MeasureInputs, thresholds: Thresholds | None, **specific: Any) -> dict[str, Any]:
    churn = ctx.settings.churn
    out: dict[str, Any] = {
        **specific,
        "as_of": ctx.as_of,
        "as_of_source": ctx.as_of_source,
        "engine": ctx.src.engine,
        "contractual": {"rule": CONTRACTUAL_RULE, "grace_days": churn.grace_days},
        "non_contractual": {"rule": NON_CONTRACTUAL_RULE, **(thresholds.describe() if thresholds else {})},
        "value_window_days": churn.value_window_days,
    }
    return out
