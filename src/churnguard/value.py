"""Customer value (客户价值): whom must we keep?

The public Python API of the value step. Every customer's RFM scores and segment, Pareto
position, payment timeliness, BG/NBD and Pareto/NBD purchase models (P(alive), expected
purchases), Gamma-Gamma spend and CLV, sBG contract retention and remaining contract value,
and the core-customer flag with its explanation, as of any date.

Examples
--------
>>> from datetime import date
>>> from churnguard import value
>>> from churnguard.store import Workspace
>>> ws = Workspace.open("shop")                                  # doctest: +SKIP
>>> result = value.compute(ws, as_of=date(2026, 6, 30))          # doctest: +SKIP
>>> result.to_frame()[["customer_id", "rfm_segment", "clv", "core"]]   # doctest: +SKIP
>>> value.core_customers(ws, top=10).to_dict()["data"]           # doctest: +SKIP
>>> print("\\n".join(value.summarize(ws).lines()))                # doctest: +SKIP
"""

from churnguard.compute.value.pipeline import COLUMNS
from churnguard.service.value import (
    CORE_COLUMNS,
    TIME_UNITS,
    CoreCustomersResult,
    ValueOptions,
    ValueResult,
    ValueSummary,
    compute,
    core_customers,
    load,
    snapshots,
    summarize,
)

__all__ = [
    "COLUMNS",
    "CORE_COLUMNS",
    "TIME_UNITS",
    "CoreCustomersResult",
    "ValueOptions",
    "ValueResult",
    "ValueSummary",
    "compute",
    "core_customers",
    "load",
    "snapshots",
    "summarize",
]
