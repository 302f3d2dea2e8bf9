"""Use cases of detection: complete and partial defectors, and warning signals, as of a date."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from churnguard.compute.detect import (
    RULE_HELP,
    btyd_summary,
    dropped_categories,
    find_defectors,
)
from churnguard.compute.detect.defectors import DEFECTOR_COLUMNS
from churnguard.compute.detect.status import CONTRACTUAL
from churnguard.compute.detect.words import in_language
from churnguard.compute.predict.availability import needs_of, present_sources
from churnguard.compute.predict.features import FEATURES, FeatureSet, features_as_of
from churnguard.errors import OptionError
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.service.reasons import join_reasons
from churnguard.store import Records, Store, read_snapshot, snapshot_date, snapshot_dates

KINDS = ("complete", "partial")


@dataclass
class DetectInputs:
    """What detection, signals and scoring share for one as-of date (computed once)."""

    as_of: date
    as_of_source: str
    records: Records
    features: FeatureSet
    p_alive: pd.Series | None
    p_alive_source: str

    @property
    def profile(self) -> pd.DataFrame:
        """The customer profile as of the date."""
        return self.features.profile


def p_alive_for(store: Store, profile: pd.DataFrame, as_of: date) -> tuple[pd.Series | None, str]:
    """BG/NBD P(alive) of the non-contractual customers: from the value snapshot of ``as_of`` when one
    exists, else fitted now on the customers' purchase histories. Returns the values and their source."""
    if as_of in snapshot_dates(store, "value"):
        snap = read_snapshot(store, "value", as_of)
        if "p_alive" in snap.columns:
            frame = snap.select("customer_id", "p_alive").to_pandas().set_index("customer_id")["p_alive"]
            return frame.astype("float64"), f"value snapshot of {as_of}"
    from churnguard.compute.value import BetaGeoModel
    from churnguard.errors import FitError

    nc = profile[(profile["relationship"] != CONTRACTUAL) & (profile["orders_total"] > 0)]
    summary = btyd_summary(nc)
    if len(summary) < 50 or summary["frequency"].sum() == 0:
        return None, "not enough purchase histories for BG/NBD"
    try:
        model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    except FitError as exc:
        return None, f"BG/NBD could not be fitted ({exc})"
    p = model.p_alive(summary["frequency"], summary["recency"], summary["T"])
    return pd.Series(p, index=summary.index, dtype="float64"), "BG/NBD fitted on the purchase histories"


def detect_inputs(ctx: Context) -> DetectInputs:
    """Profile, signals and P(alive) of every customer as of ``ctx.as_of``."""
    when, source = ctx.as_of, ctx.as_of_source
    records = ctx.records()
    fs = features_as_of(records, ctx.settings, when, language=ctx.settings.language)
    p_alive, p_source = p_alive_for(ctx.store, fs.profile, when)
    return DetectInputs(when, source, records, fs, p_alive, p_source)


def _evidence_text(items: list[dict]) -> str:
    return "; ".join(i["text"] for i in items)


def name_list(value: Any) -> list[str]:
    """Rule or signal names stored comma-joined (``"complaint,spend_trend"``) as a list."""
    if isinstance(value, list):
        return value
    return [x for x in (value or "").split(",") if x]


@dataclass
class DefectorOptions:
    """``churnguard defectors``: which defectors, as of when.

    ``csm`` keeps one CSM's customers; ``offset`` skips that many rows (pages of a list);
    ``language`` says the evidence in that language (default: as stored, in the workspace's).
    The date is the context's.
    """

    kind: str | None = None
    limit: int | None = None
    csm: str | None = None
    offset: int = 0
    language: str | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise OptionError("kind", f"{self.kind!r} is not a kind of defector; choose complete or partial")
        if self.limit is not None and self.limit < 1:
            raise OptionError("limit", f"must be at least 1 (got {self.limit})")
        if self.offset < 0:
            raise OptionError("offset", f"must be at least 0 (got {self.offset})")


@dataclass
class DefectorResult:
    """Defectors as of a date with their evidence; ``to_dict()`` is the ``--json`` shape."""

    as_of: date
    as_of_source: str
    frame: pd.DataFrame
    counts: dict[str, int]
    definition: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The rows (evidence as a list per row)."""
        return self.frame

    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "as_of_source", "data": [rows], "count", "counts", "offset", "definition"}``:
        ``counts`` has every complete and partial defector (of the CSM asked for), ``count`` the
        rows listed from ``offset``. Each row has the customer's known churn ``reason`` (None:
        not recorded), its ``reason_source`` (recorded or inferred) and ``competitor``, read
        when asked, so a reason recorded after a stored run shows at once."""
        rows = rows_of(self.frame)
        for r in rows:  # a list, as reasons are: ["no_purchase", "p_alive"]
            r["rules"] = name_list(r.get("rules"))
        return {"as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "data": rows,
                "count": len(rows), "counts": self.counts, "offset": self.offset, "definition": self.definition}


def defectors_from_inputs(ctx: DetectInputs, settings) -> pd.DataFrame:
    """All defectors of the inputs in list order (:func:`in_list_order`), with an ``evidence_text`` column."""
    det = settings.detect
    dropped = dropped_categories(ctx.records, ctx.as_of, det.partial_recent_days, det.partial_baseline_days)
    frame = find_defectors(ctx.profile, settings, index=ctx.features.index, dropped=dropped,
                           p_alive=ctx.p_alive, language=settings.language)
    frame["evidence_text"] = frame["evidence"].map(_evidence_text)
    return in_list_order(frame)


def definition(settings, ctx: DetectInputs) -> dict[str, Any]:
    """The churn and detection definitions used, for the record."""
    det = settings.detect
    return {
        **ctx.profile.attrs["thresholds"].describe(),
        "grace_days": settings.churn.grace_days,
        "p_alive_below": det.p_alive_below,
        "p_alive_source": ctx.p_alive_source,
        "partial_recent_days": det.partial_recent_days,
        "partial_baseline_days": det.partial_baseline_days,
        "partial_alpha": det.partial_alpha,
        "partial_correction": "holm across spend or share of wallet, order size, frequency and dropped "
                              "categories (bonferroni over the categories)",
        "partial_min_drop": det.partial_min_drop,
        "partial_min_orders": det.partial_min_orders,
        "partial_recorded_days": det.partial_recorded_days,
    }


def _in_language(frame: pd.DataFrame, language: str | None) -> pd.DataFrame:
    """Evidence (and its joined text) said in ``language``."""
    if language is None or frame.empty:
        return frame
    frame = frame.copy()
    frame["evidence"] = frame["evidence"].map(lambda items: in_language(items, language))
    frame["evidence_text"] = frame["evidence"].map(_evidence_text)
    return frame


def defectors(ctx: Context, opts: DefectorOptions) -> DefectorResult:
    """Complete and partial defectors as of ``ctx.as_of``, computed afresh.

    Examples
    --------
    >>> with open_context("demo") as ctx:  # doctest: +SKIP
    ...     r = defectors(ctx, DefectorOptions(kind="partial"))
    >>> r.to_dict()["data"][0]["evidence"][0]["text"]  # doctest: +SKIP
    'spend 1,210 per month in the last 180 days vs 3,950 before, seasonally adjusted (69% lower, 2.7 standard errors)'
    """
    ws = ctx.workspace
    dc = detect_inputs(ctx)
    frame = defectors_from_inputs(dc, ws.settings)
    if opts.csm is not None:
        frame = frame[frame["csm"] == opts.csm]
    counts = {k: int((frame["kind"] == k).sum()) for k in KINDS}
    if opts.kind:
        frame = frame[frame["kind"] == opts.kind]
    frame = frame.iloc[opts.offset:]
    if opts.limit is not None:
        frame = frame.head(opts.limit)
    frame = _with_names(ctx, frame.reset_index(drop=True))
    frame = join_reasons(ctx, _in_language(frame, opts.language))
    return DefectorResult(dc.as_of, dc.as_of_source, frame, counts, definition(ws.settings, dc), opts.offset)


#: what ``as_of_source`` says of defectors read from a run's snapshot
STORED_SOURCE = "stored by churnguard run"


def _with_names(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the customers' ``name`` after their id (None where there is none)."""
    from churnguard.service.customer import names_in

    names = names_in(ctx.store, list(frame["customer_id"]))
    out = frame.copy()
    out.insert(1, "name", [names.get(str(c)) for c in frame["customer_id"]])
    return out


def in_list_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Defectors in the order their list shows them: complete first, the most recently lost
    first, then by yearly spend, largest first (unknowns last), then by id."""
    keys = pd.DataFrame({"kind": frame["kind"].to_numpy(), "lost_at": pd.to_datetime(frame["lost_at"]).to_numpy(),
                         "spend": pd.to_numeric(frame["spend_365d"]).to_numpy(),
                         "customer_id": frame["customer_id"].to_numpy()})
    order = keys.sort_values(["kind", "lost_at", "spend", "customer_id"], ascending=[True, False, False, True],
                             na_position="last", kind="stable").index
    return frame.iloc[order].reset_index(drop=True)


def stored_defectors(ctx: Context, opts: DefectorOptions) -> DefectorResult:
    """The defectors ``churnguard run`` stored for ``ctx.as_of_given`` (default: its latest run).

    The same rows as :func:`defectors` computes for that date, read from the ``defectors``
    snapshot (milliseconds instead of seconds): complete defectors first, the most recently
    lost first, then partial ones by their yearly spend. ``definition`` is not stored, so it
    is empty; ``as_of_source`` says where the rows came from.
    """
    store = ctx.store
    when = snapshot_date(store, "defectors", ctx.as_of_given)
    snap = read_snapshot(store, "defectors", when)
    if opts.csm is not None:
        snap = snap.filter(snap.csm == opts.csm)
    # the counts scan every defector: kept while the data stays (Store.memo)
    by_kind = store.memo(("defector_counts", when, opts.csm),
                         lambda: snap.group_by("kind").aggregate(n=snap.count()).to_pandas())
    counts = {k: int(by_kind.loc[by_kind["kind"] == k, "n"].sum()) for k in KINDS}
    if opts.kind is not None:
        snap = snap.filter(snap.kind == opts.kind)
    if opts.csm is None and opts.limit is not None and "kind_rank" in snap.columns:
        # stored in list order with each row's place (see in_list_order): a page is a range
        place = snap.rank if opts.kind is None else snap.kind_rank
        page = snap.filter((place > opts.offset) & (place <= opts.offset + opts.limit))
        frame = page.order_by(page.rank).drop("as_of").to_pandas()
    else:  # one CSM's, all of them, or a run stored before places were
        ordered = snap.order_by([snap.kind, snap.lost_at.desc(), snap.spend_365d.desc(), snap.customer_id])
        ordered = ordered.drop("as_of")
        if opts.limit is not None or opts.offset:
            ordered = ordered.limit(opts.limit, offset=opts.offset)
        frame = ordered.to_pandas()
    frame["evidence"] = frame["evidence"].map(lambda t: json.loads(t) if isinstance(t, str) and t else [])
    for col in ("lost_at", "last_purchase_at"):
        frame[col] = pd.to_datetime(frame[col])
    if "name" not in frame.columns:  # a run stored before names were
        frame = _with_names(ctx, frame)
    cols = [c for c in ("customer_id", "name", *DEFECTOR_COLUMNS) if c in frame.columns]
    cols = list(dict.fromkeys(cols)) + ["evidence_text"]
    frame = join_reasons(ctx, _in_language(frame[cols], opts.language))
    return DefectorResult(when, STORED_SOURCE, frame, counts, {}, opts.offset)


@dataclass
class SignalOptions:
    """``churnguard signals``: warning signals as of a date, optionally one rule only."""

    rule: str | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.rule is not None and self.rule not in RULE_HELP:
            raise OptionError("rule", f"unknown rule {self.rule!r}; rules: {', '.join(RULE_HELP)}")
        if self.limit is not None and self.limit < 1:
            raise OptionError("limit", f"must be at least 1 (got {self.limit})")


@dataclass
class SignalResult:
    """Customers with at least one warning signal, and how often each rule fired."""

    as_of: date
    as_of_source: str
    frame: pd.DataFrame
    rules: list[dict[str, Any]]

    def to_frame(self) -> pd.DataFrame:
        """The rows."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "as_of_source", "rules": [{rule, on, fired, label, needs}], "data": [rows], "count"}``;
        a rule's ``needs`` lists the records it lacks (a table or table.column; empty: it has its data)."""
        rows = rows_of(self.frame)
        for r in rows:  # a list, as reasons are: ["complaint", "spend_trend"]
            r["signals"] = name_list(r.get("signals"))
        return {"as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "rules": self.rules,
                "data": rows, "count": len(rows)}


def signals_frame(ctx: DetectInputs) -> pd.DataFrame:
    """Active customers with at least one signal: ``customer_id, signals, signal_count, evidence, evidence_text``."""
    sig = ctx.features.signals
    fired = sig[sig["signal_count"] > 0].copy()
    fired["evidence_text"] = fired["evidence"].map(_evidence_text)
    fired = fired.sort_values("signal_count", ascending=False, kind="stable")
    out = fired[["signals", "signal_count", "evidence", "evidence_text"]].reset_index()
    prof = ctx.profile.reindex(out["customer_id"])
    for col in ("segment", "customer_type", "csm"):
        out[col] = prof[col].to_numpy()
    return out


def signals(ctx: Context, opts: SignalOptions) -> SignalResult:
    """Warning signals of every active customer as of ``ctx.as_of``."""
    ws = ctx.workspace
    dc = detect_inputs(ctx)
    frame = signals_frame(dc)
    sig = dc.features.signals
    lang = 1 if ws.settings.language == "zh" else 0
    # a rule whose records the workspace does not hold cannot fire: say what it needs
    present = present_sources(dc.records.known_at(dc.as_of))
    rules = [
        {"rule": name, "on": bool(getattr(ws.settings.signals, name)), "fired": int(sig[f"sig_{name}"].sum()),
         "label": RULE_HELP[name][lang],
         "needs": [x for x in needs_of(f"sig_{name}", FEATURES.get(f"sig_{name}", name)) if x not in present]}
        for name in RULE_HELP
    ]
    if opts.rule:
        frame = frame[frame["signals"].str.split(",").map(lambda s: opts.rule in s)]
    if opts.limit is not None:
        frame = frame.head(opts.limit)
    return SignalResult(dc.as_of, dc.as_of_source, frame.reset_index(drop=True), rules)


def to_json_text(items: Any) -> str:
    """Evidence or reasons as JSON text, for snapshot tables."""
    return json.dumps(items, ensure_ascii=False, default=str)
