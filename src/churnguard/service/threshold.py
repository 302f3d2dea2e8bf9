"""The churn threshold learned from the data: the return curve and the gap chosen, overall and
per segment (``churnguard threshold``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from churnguard.compute.measure.status import (
    OVERALL,
    purchase_thresholds,
    return_curve,
    return_events,
    return_window,
)
from churnguard.errors import OptionError
from churnguard.service.common import TableResult
from churnguard.service.context import Context
from churnguard.service.measure_inputs import MeasureOptions, definition, measure_inputs


@dataclass
class ThresholdOptions(MeasureOptions):
    """Options of :func:`threshold`: ``by="segment"`` adds each segment's own curve."""

    by: str | None = None

    def __post_init__(self) -> None:
        if self.by not in (None, "segment"):
            raise OptionError("by", f"{self.by!r} is not allowed; the threshold is learned per segment (--by segment)")


def threshold(ctx: Context, opts: ThresholdOptions) -> TableResult:
    """The return curve and the churn threshold it gives, overall and (``by="segment"``) per segment.

    Rows: ``segment`` (``(overall)`` for everybody), ``gap_days``, ``customers_reached`` (once
    inactive that long), ``customers_observed`` (followed through the whole return window),
    ``return_share`` (Kaplan–Meier share who bought again within the window), ``judged``
    (enough customers followed to trust the point) and ``chosen`` (the threshold of that
    curve). Top level: ``thresholds`` (the threshold in force per segment, with its source)
    and ``definition``. The curve is always learned from the data up to the as-of date; the
    thresholds in force may be the last run's (``threshold_origin: stored``).

    Examples
    --------
    >>> with open_context("shop") as ctx:  # doctest: +SKIP
    ...     threshold(ctx, ThresholdOptions(by="segment")).to_dict()
    """
    m = measure_inputs(ctx, opts)
    churn = m.settings.churn
    in_force = m.thresholds()
    learned = (purchase_thresholds(m.src, churn.model_copy(update={"threshold_days": "auto"}), m.as_of)
               if in_force.mode == "fixed" or in_force.origin == "stored" else in_force)
    window = return_window(m.src, churn, m.as_of)
    events = return_events(m.src, m.as_of, window)
    curves = [(OVERALL, return_curve(events, window), learned.default)]
    if opts.by == "segment":
        segs = sorted({s for s in events["segment"] if s is not None}, key=str)
        for seg in segs:
            chosen = learned.by_segment.get(seg) if learned.sources.get(seg) == "curve" else None
            curves.append((seg, return_curve(events[events["segment"] == seg], window), chosen))
    frames = []
    for seg, curve, chosen in curves:
        curve.insert(0, "segment", seg)
        curve["chosen"] = curve["gap_days"] == chosen if learned.mode == "auto" else False
        frames.append(curve)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    describe = in_force.describe()
    by_seg = describe.get("thresholds_by_segment") or []
    if in_force.mode != "auto":  # one number for everybody (but segments with their own)
        by_seg = [{"segment": "(all)", "threshold_days": in_force.default, "source": in_force.mode,
                   "customers": None}, *by_seg]
    return TableResult(frame, {
        "thresholds": by_seg,
        "threshold_days": in_force.default if in_force.mode != "auto" else "auto",
        "threshold_overall_days": in_force.default,
        "learned_overall_days": learned.default,
        "learned_mode": learned.mode,
        "definition": definition(
            m, in_force, measure="threshold", by=opts.by,
            return_curve=(
                "for each gap g: of the customers once g days without a purchase (the first time), the "
                f"Kaplan-Meier share who bought again within {window} days; a point is "
                "judged when at least 30 customers were followed that long"),
            rule=(f"threshold = the smallest judged gap with return_share <= {churn.return_share}; "
                  "segments under churn.threshold_min_customers use the overall curve"),
        ),
    })
