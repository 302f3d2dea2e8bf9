"""Measure churn: who is active and lost when, churn rates, cohorts, retention, price–volume.

Every function here is written once as Ibis expressions over :class:`~churnguard.store.records.Records`
(the stored tables of DuckDB or PostgreSQL, or Parquet files on Spark), takes the settings and explicit
dates, and brings only small per-period tables back to pandas.
"""

from churnguard.compute.measure.churn_rate import churn_rate
from churnguard.compute.measure.periods import PERIODS, Window, parse_window
from churnguard.compute.measure.status import (
    GROUP_COLUMNS,
    Thresholds,
    check_group,
    customer_spells,
    purchase_thresholds,
)
from churnguard.compute.measure.value import value_on

__all__ = [
    "GROUP_COLUMNS",
    "PERIODS",
    "Thresholds",
    "Window",
    "check_group",
    "churn_rate",
    "customer_spells",
    "parse_window",
    "purchase_thresholds",
    "value_on",
]
