"""``churnguard survival``: how long customers stay, by a customer attribute."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from churnguard.compute.detect import Records
from churnguard.compute.predict import retention_curves
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.service.scoring import first_data_date


@dataclass
class SurvivalOptions:
    """``churnguard survival``: retention curves by a customer attribute (``by``; None: all)."""

    by: str | None = "segment"

    def __post_init__(self) -> None:
        from churnguard.compute.predict.survival import GROUPS

        if self.by is not None and self.by not in GROUPS:
            raise OptionError("by", f"unknown group {self.by!r}; choose one of: {', '.join(GROUPS)}")


def survival(ctx: Context, opts: SurvivalOptions | None = None) -> dict[str, Any]:
    """Kaplan–Meier retention by group as of ``ctx.as_of`` and the mean expected remaining
    lifetime of active customers."""
    from churnguard.compute.detect import customer_profile

    opts = opts or SurvivalOptions()
    when, source = ctx.as_of, ctx.as_of_source
    start = first_data_date(ctx.store)
    profile = customer_profile(Records.from_store(ctx.store), ctx.settings, when)
    curves = retention_curves(profile, when, start, by=opts.by)
    out = curves.to_dict()
    exp = curves.expected_days
    out["expected_remaining_days"] = {
        "mean": None if exp.dropna().empty else round(float(exp.mean()), 1),
        "median": None if exp.dropna().empty else round(float(exp.median()), 1),
    }
    groups = out.get("groups") or []
    return {"data": groups, "count": len(groups), "as_of": when.isoformat(), "as_of_source": source, **out}
