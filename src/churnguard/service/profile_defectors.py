"""What defectors have in common: the period's defectors against the customers who stayed, each
attribute and behaviour measured at the period's start (no look-ahead)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from churnguard.compute.detect.profile import customer_profile
from churnguard.compute.learn.profile_defectors import compare
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of

#: the period when ``--from`` is not given: a year up to ``--to``
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class ProfileDefectorsOptions:
    """``churnguard profile-defectors``: the period ``start`` … ``to`` (default: the year up to the
    as-of date)."""

    start: date | None = None
    to: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.to is not None and self.start >= self.to:
            raise OptionError("from", f"must be before the end of the window, {self.to} (got {self.start})")


@dataclass
class ProfileDefectorsResult:
    """Rows ``attribute, value, defectors, stayed, difference, ci, standardised`` and the groups."""

    as_of: date
    as_of_source: str
    start: date
    to: date
    frame: pd.DataFrame
    groups: dict[str, int]
    left_out: list[dict[str, str]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The rows, the largest standardised difference first."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "from", "to", "data": [{attribute, value, defectors, stayed, difference, ci: [low, high],
        standardised, defectors_n, stayed_n}], "count", "groups": {defectors, complete, partial, stayed},
        "left_out": [{attribute, needs}] (behaviours the records cannot measure), "definition"}``."""
        rows = rows_of(self.frame)
        return {
            "as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "from": self.start.isoformat(),
            "to": self.to.isoformat(), "data": rows, "count": len(rows), "groups": self.groups,
            "left_out": self.left_out,
            "definition": {
                "defectors": "complete defectors lost from 'from' to 'to', and partial defectors as of 'to', "
                             "among the customers active at 'from'",
                "stayed": "customers active at 'from' that are no defectors as of 'to'",
                "measured_at": "every attribute and behaviour as of 'from' (nothing later is read)",
                "categorical": "segment, region, customer_type, csm: the share of each group with that value; "
                               "interval: Newcombe's hybrid score (95%)",
                "numeric": "means of each group (customers with a value); interval: Welch (95%)",
                "order": "largest absolute standardised difference first (Austin 2009)",
            },
        }


def profile_defectors(ctx: Context, opts: ProfileDefectorsOptions) -> ProfileDefectorsResult:
    """Compare the period's defectors with the customers who stayed, on what was known at its start."""
    from churnguard.service.detect import defectors_from_inputs, detect_inputs

    to = opts.to or ctx.as_of
    if to > ctx.as_of:
        raise OptionError("to", f"must be on or before the as-of date {ctx.as_of} (got {to})")
    start = opts.start or (to - timedelta(days=DEFAULT_DAYS - 1))
    if start >= to:
        raise OptionError("from", f"must be before the end of the window, {to} (got {start})")
    at_end = ctx.with_as_of(to)
    found = defectors_from_inputs(detect_inputs(at_end), ctx.settings)
    profile = customer_profile(ctx.records(), ctx.settings, start)
    active = profile.index[~profile["lost"].to_numpy()]
    lost_at = pd.to_datetime(found["lost_at"])
    complete = found[(found["kind"] == "complete") & (lost_at >= pd.Timestamp(start)) & (lost_at <= pd.Timestamp(to))]
    partial = found[found["kind"] == "partial"]
    complete_ids = pd.Index(complete["customer_id"]).intersection(active)
    partial_ids = pd.Index(partial["customer_id"]).intersection(active).difference(complete_ids)
    defectors = complete_ids.union(partial_ids).sort_values()
    stayed = active.difference(pd.Index(found["customer_id"])).sort_values()
    frame = compare(profile, defectors, stayed)
    # a behaviour whose records the workspace does not hold is not zero: it is unknown
    known = ctx.records().known_at(ctx.as_of)  # the workspace keeps such records at all (zeros at the start are real)
    needs = {"complaints_365d": ("complaints", known.complaints), "contacts_365d": ("interactions", known.interactions),
             "satisfaction": ("surveys", known.surveys)}
    left_out = [{"attribute": a, "needs": table} for a, (table, t) in needs.items() if int(t.count().execute()) == 0]
    empty = frame["value"].isna() & (frame["defectors_n"] == 0) & (frame["stayed_n"] == 0)
    left_out += [{"attribute": a, "needs": "transactions.product and quantity" if a == "price_exposure" else "data"}
                 for a in frame.loc[empty, "attribute"] if a not in {x["attribute"] for x in left_out}]
    gone = {x["attribute"] for x in left_out}
    frame = frame[~(frame["value"].isna() & frame["attribute"].isin(gone))].reset_index(drop=True)
    groups = {"defectors": len(defectors), "complete": len(complete_ids), "partial": len(partial_ids),
              "stayed": len(stayed)}
    return ProfileDefectorsResult(ctx.as_of, ctx.as_of_source, start, to, frame, groups, left_out)
