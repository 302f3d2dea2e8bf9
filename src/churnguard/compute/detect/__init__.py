"""Detect: who is lost, who is partly leaving, and which warning signals fire, as of a date.

Everything reads the stored records through :class:`Records` cut at the as-of date, builds one
row per customer in the engine (:func:`customer_profile`), and judges each customer on it.
"""

from churnguard.compute.detect.defectors import DEFECTOR_COLUMNS, btyd_summary, find_defectors, partial_tests
from churnguard.compute.detect.profile import customer_profile
from churnguard.compute.detect.signals import RULE_HELP, RULES, evaluate_signals
from churnguard.compute.detect.status import customer_status, lost_within
from churnguard.compute.detect.trends import SeasonalIndex, dropped_categories, seasonal_index
from churnguard.store.records import Records

__all__ = [
    "DEFECTOR_COLUMNS",
    "RULES",
    "RULE_HELP",
    "Records",
    "SeasonalIndex",
    "btyd_summary",
    "customer_profile",
    "customer_status",
    "dropped_categories",
    "evaluate_signals",
    "find_defectors",
    "lost_within",
    "partial_tests",
    "seasonal_index",
]
