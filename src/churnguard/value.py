"""Customer value (客户价值): whom must we keep?

The public Python API of the value step. Every customer's RFM scores and segment, Pareto
position, payment timeliness, BG/NBD and Pareto/NBD purchase models (P(alive), expected
purchases), Gamma-Gamma spend and CLV, sBG contract retention and remaining contract value,
and the core-customer flag with its explanation, as of any date.

Examples
--------
>>> from datetime import date
>>> from churnguard import value
>>> ctx = value.open_context("shop", as_of=date(2026, 6, 30))    # doctest: +SKIP
>>> result = value.compute(ctx)                                  # doctest: +SKIP
>>> result.to_frame()[["customer_id", "rfm_segment", "clv", "core"]]   # doctest: +SKIP
>>> value.core_customers(ctx, value.CoreOptions(top=10)).to_dict()["data"]   # doctest: +SKIP
>>> print("\\n".join(value.summarize(ctx).lines()))               # doctest: +SKIP
>>> ctx.close()                                                  # doctest: +SKIP
"""

from churnguard.compute.value.pipeline import COLUMNS
from churnguard.service.context import open_context
from churnguard.service.core_customers import (
    CoreCustomersResult,
    CoreOptions,
    core_customers,
    stored_core_customers,
)
from churnguard.service.value import (
    CORE_COLUMNS,
    TIME_UNITS,
    ValueOptions,
    ValueResult,
    ValueSummary,
    compute,
    load,
    snapshots,
    summarize,
)

__all__ = [
    "COLUMNS",
    "CORE_COLUMNS",
    "TIME_UNITS",
    "CoreCustomersResult",
    "CoreOptions",
    "ValueOptions",
    "ValueResult",
    "ValueSummary",
    "compute",
    "core_customers",
    "load",
    "open_context",
    "snapshots",
    "stored_core_customers",
    "summarize",
]
