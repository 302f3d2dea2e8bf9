"""Core customers (核心客户): listed from a value table computed now, or read from the stored
one of a run without computing anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.value.core import core_flags
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.service.value import CORE_COLUMNS, SNAPSHOT, ValueOptions, compute
from churnguard.settings import Settings
from churnguard.store import read_snapshot, snapshot_date


@dataclass
class CoreCustomersResult:
    """Core customers as of a date: ``{"as_of", "time_unit", "data": [rows], "count", "core_customers", "customers"}``."""

    as_of: date
    as_of_source: str
    time_unit: str
    frame: pd.DataFrame
    core_customers: int
    customers: int
    offset: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The listed core customers."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (see the class docstring)."""
        rows = rows_of(self.frame)
        return {
            "as_of": self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "time_unit": self.time_unit,
            "data": rows,
            "count": len(rows),
            "core_customers": self.core_customers,
            "customers": self.customers,
            "offset": self.offset,
        }


@dataclass
class CoreOptions:
    """Which core customers to list: the ``top`` (largest revenue first; None: all), from
    ``offset``, of one ``csm`` (stored lists only), with ``core_reason`` said in ``language``
    (stored lists only; default as stored)."""

    top: int | None = 20
    offset: int = 0
    csm: str | None = None
    language: str | None = None
    value: ValueOptions = field(default_factory=ValueOptions)

    def __post_init__(self) -> None:
        if self.top is not None and self.top < 1:
            raise OptionError("top", f"must be at least 1 (got {self.top})")
        if self.offset < 0:
            raise OptionError("offset", f"must be at least 0 (got {self.offset})")


def core_customers(ctx: Context, opts: CoreOptions | None = None) -> CoreCustomersResult:
    """Compute value as of ``ctx.as_of`` (storing the snapshot) and list the core customers."""
    opts = opts or CoreOptions()
    result = compute(ctx, opts.value)
    core = result.core()
    listed = core.head(opts.top) if opts.top is not None else core
    return CoreCustomersResult(
        as_of=result.as_of,
        as_of_source=result.as_of_source,
        time_unit=result.time_unit,
        frame=listed[CORE_COLUMNS].reset_index(drop=True),
        core_customers=len(core),
        customers=len(result.frame),
    )


#: what ``as_of_source`` says of core customers read from a stored value table
STORED_SOURCE = "stored by churnguard run"


def explain_core(frame: pd.DataFrame, settings: Settings, customers: int, language: str) -> pd.Series:
    """``core_reason`` of some rows of a stored value table, said in ``language``.

    Rows whose flag the current settings would not give again (the thresholds changed since
    the table was stored) keep their stored explanation.
    """
    if frame.empty:
        return frame.get("core_reason", pd.Series(dtype=object))
    flags = core_flags(frame, settings, language=language, customers=customers)
    same = flags["core"].to_numpy() == frame["core"].fillna(False).astype(bool).to_numpy()
    return pd.Series(np.where(same, flags["core_reason"], frame["core_reason"]), index=frame.index)


def stored_core_customers(ctx: Context, opts: CoreOptions | None = None) -> CoreCustomersResult:
    """Core customers of the stored ``value`` snapshot of ``ctx.as_of_given`` (default: the
    latest), largest revenue first, without computing anything.

    ``csm`` keeps one CSM's customers (their ``csm`` in the customers table); ``offset`` skips
    that many rows; ``language`` says ``core_reason`` in that language. ``core_customers``
    counts the core customers in that scope, ``customers`` the customers valued.
    """
    opts = opts or CoreOptions()
    top, offset, csm, language = opts.top, opts.offset, opts.csm, opts.language
    store, settings = ctx.store, ctx.settings
    when = snapshot_date(store, SNAPSHOT, ctx.as_of_given)
    snap = read_snapshot(store, SNAPSHOT, when)
    # the counts scan the whole value table: kept while the data stays (Store.memo)
    n_all = store.memo(("value_count", when), lambda: int(snap.count().execute()))
    core = snap.filter(snap.core.fill_null(False))
    if csm is not None:
        cust = store.table("customers")
        mine = cust.filter(cust.csm == csm).select("customer_id")
        core = core.semi_join(mine, core.customer_id == mine.customer_id)
    n_core = store.memo(("core_count", when, csm), lambda: int(core.count().execute()))
    if csm is None and "core_rank" in snap.columns and top is not None:  # stored in core order: a range
        page = snap.filter((snap.core_rank > offset) & (snap.core_rank <= offset + top))
        if language is None or language == settings.language:  # the list's columns only: converting
            page = page.select(*CORE_COLUMNS, "time_unit", "core_rank")  # all 45 to pandas: ~30 ms at 1M
        frame = page.order_by(page.core_rank).to_pandas()
    else:  # one CSM's, all of them, or a run stored before core ranks were
        ordered = core.order_by([core.revenue.desc(), core.customer_id])
        if top is not None or offset:
            ordered = ordered.limit(top, offset=offset)
        frame = ordered.to_pandas()
    time_unit = str(frame["time_unit"].iloc[0]) if len(frame) else "week"
    if language is not None and language != settings.language:
        frame["core_reason"] = explain_core(frame, settings, n_all, language)
    return CoreCustomersResult(when, STORED_SOURCE, time_unit, frame[CORE_COLUMNS].reset_index(drop=True),
                               n_core, n_all, offset)


