"""Use cases of prediction: run everything, rank customers at risk, backtest, survival, own tables."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

from churnguard.compute.detect import Records, lost_within
from churnguard.compute.detect.status import thresholds_at
from churnguard.compute.detect.words import in_language
from churnguard.compute.measure.status import store_thresholds
from churnguard.compute.predict import (
    TabularChurnModel,
    features_as_of,
    retention_curves,
    score_report,
    split_reasons,
)
from churnguard.compute.predict.early import (
    EARLY,
    decidable,
    early_outcome,
    judged_through,
    lead_time_days,
    longest_threshold,
    warning_kind,
)
from churnguard.compute.predict.suite import (
    GRADIENT_BOOSTING,
    LOGISTIC_BASELINE,
    ModelSuite,
    customer_explanations,
    customer_reasons,
    expected_days_to_churn,
    score_customers,
    train_suite,
)
from churnguard.compute.predict.training import MIN_HISTORY_DAYS
from churnguard.errors import ChurnguardError, FitError, InputError
from churnguard.i18n import LANGUAGES, N_, Message
from churnguard.service.common import last_data_date, resolve_as_of
from churnguard.service.detect import (
    DetectContext,
    _rows,
    defectors_from_context,
    detect_context,
    in_list_order,
    name_list,
    signals_frame,
    to_json_text,
)
from churnguard.settings import SETTINGS_FILE, Settings, load_settings
from churnguard.store import Workspace, read_snapshot, snapshot_date, snapshot_dates, write_snapshot
from churnguard.store.workspace import default_workspace_dir
from churnguard.vocab import inert_text

Step = Callable[[str], None]
SCORES = "scores"
#: a customer's reasons as stored with its scores: all of them (the larger first), what changed,
#: the likely cause
REASON_LISTS = ("reasons", "changes", "causes")


def first_data_date(store) -> date | None:
    """The earliest purchase or contract start (where the history begins)."""
    firsts = []
    for table, col in (("transactions", "occurred_at"), ("contracts", "start_at")):
        value = store.table(table)[col].min().execute()
        if value is not None and not pd.isna(value):
            firsts.append(pd.Timestamp(value).date())
    return min(firsts) if firsts else None


def _train(ws: Workspace, records: Records, as_of: date, settings=None) -> ModelSuite:
    return train_suite(records, settings or ws.settings, as_of, first_data_date=first_data_date(ws.store))


def expected_values(ws: Workspace, profile: pd.DataFrame, as_of: date) -> tuple[pd.Series, pd.Series]:
    """Expected value of each customer over the next year, and where it came from.

    From the value snapshot of ``as_of`` when there is one: the 12-month customer lifetime value
    of its purchases (``clv``) plus the yearly recurring value of its open contracts — source
    ``clv``. Otherwise trailing 12-month revenue plus the yearly recurring value of a running
    contract — source ``trailing_12m_revenue``.
    """
    fallback = profile["spend_365d"].fillna(0) + profile["recurring_value"].fillna(0).where(~profile["lost"], 0)
    source = pd.Series("trailing_12m_revenue", index=profile.index)
    value = fallback.astype("float64")
    if as_of in snapshot_dates(ws.store, "value"):
        snap = read_snapshot(ws.store, "value", as_of)
        if "clv" in snap.columns:
            cols = ["customer_id", "clv"] + (["recurring_value"] if "recurring_value" in snap.columns else [])
            v = snap.select(*cols).to_pandas().set_index("customer_id").reindex(profile.index)
            clv = pd.to_numeric(v["clv"], errors="coerce")
            recurring = pd.to_numeric(v.get("recurring_value", pd.Series(np.nan, index=v.index)), errors="coerce")
            has = clv.notna() | recurring.notna()
            value = value.where(~has, clv.fillna(0) + recurring.fillna(0))
            source = source.where(~has, "clv")
    return value, source


# -- run ----------------------------------------------------------------------------------------
@dataclass
class RunOptions:
    """``churnguard run``: recompute everything as of a date."""

    workspace: Path | None = None
    as_of: date | None = None


@dataclass
class RunResult:
    """What a run computed and stored."""

    as_of: date
    as_of_source: str
    counts: dict[str, int]
    snapshots: list[str]
    seconds: dict[str, float]
    model: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "as_of_source", "counts", "snapshots", "model", "features_left_out", "seconds",
        "notes"}``; ``features_left_out`` lists the feature families the workspace's records cannot
        feed: ``[{"family", "needs": [table or table.column, …], "features": [name, …]}]``."""
        data = [{"name": k, "count": v} for k, v in self.counts.items()]
        return {"data": data, "count": len(data),
                "as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "counts": self.counts,
                "snapshots": self.snapshots, "model": self.model,
                "features_left_out": self.model.get("features_left_out", []), "seconds": self.seconds,
                "notes": self.notes}


def _value_step(ws: Workspace, as_of: date, say: Step) -> str | None:
    """Compute customer value as of ``as_of`` (stores the ``value`` snapshot) when this
    installation has the value use case; its CLV and P(alive) then feed value at risk and
    complete defection."""
    try:
        from churnguard.service import value as value_service
    except ImportError:  # an installation without the value module
        return None
    say("customer value")
    value_service.compute(ws, as_of=as_of)
    return "value"


def score_frame(ws: Workspace, ctx: DetectContext, suite: ModelSuite) -> pd.DataFrame:
    """Scores of every active customer: probabilities, value at risk, reasons for the most valuable risks."""
    s = ws.settings
    scores = score_customers(suite, ctx.features, reasons=False)
    value, source = expected_values(ws, ctx.profile, ctx.as_of)
    scores["expected_value"] = value.reindex(scores.index).fillna(0.0)
    scores["value_source"] = source.reindex(scores.index).fillna("trailing_12m_revenue")
    scores["value_at_risk"] = scores["probability"] * scores["expected_value"]
    # early: not yet overdue, where a call can still change something; their own chance of
    # leaving within the horizon (the early-warning model's) and value at risk by it
    scores["warning"] = warning_kind(ctx.features.X).reindex(scores.index)
    is_early = scores["warning"] == EARLY
    scores["early_probability"] = scores["early_probability"].where(is_early)
    scores["early_value_at_risk"] = scores["early_probability"] * scores["expected_value"]
    ranked = scores.sort_values("value_at_risk", ascending=False, kind="stable").index
    with_reasons = ranked[: s.model.reasons_for]
    found = customer_explanations(suite, ctx.features, with_reasons, top=s.model.reasons,
                                  language=s.language).reindex(scores.index)
    for col in REASON_LISTS:
        scores[col] = found[col].map(lambda r: r if isinstance(r, list) else [])
    scores["top_reason"] = scores["reasons"].map(lambda r: r[0]["text"] if r else None)
    scores["expected_days_to_churn"] = expected_days_to_churn(scores["probability"], s.churn.horizon_days)
    sig = ctx.features.signals.reindex(scores.index)
    scores["signals"] = sig["signals"].fillna("")
    scores["signal_count"] = sig["signal_count"].fillna(0).astype("int64")
    prof = ctx.profile.reindex(scores.index)
    for col in ("relationship", "segment", "region", "customer_type", "csm"):
        scores[col] = prof[col]
    # the name too, so a worklist page need not look 50 names up among all customers (18 ms at 1M)
    scores["name"] = _names(ws).reindex(scores.index)
    return scores.loc[ranked]


def _names(ws: Workspace) -> pd.Series:
    """Every customer's name by id (stored with the run's lists, for their pages)."""
    return ws.store.table("customers").select("customer_id", "name").to_pandas().set_index("customer_id")["name"]


def run(opts: RunOptions, step: Step | None = None) -> RunResult:
    """Recompute value (when available), signals, defectors and churn scores as of a date; store snapshots.

    Snapshots written: ``defectors``, ``signals`` and ``scores`` (one row per active customer:
    probabilities of the model, the baseline and the heuristic, expected value, value at risk,
    reasons, signals), each dated ``as_of``.
    """
    say = step or (lambda _m: None)
    seconds: dict[str, float] = {}
    notes: list[str] = []
    snaps: list[str] = []
    # one writer at a time: an import that starts meanwhile waits for the run (and the reverse)
    with Workspace.open(opts.workspace) as ws, ws.store.write_lock(
            lambda: say("waiting for another import or run of this workspace to finish")):
        when, source = resolve_as_of(ws.store, opts.as_of)
        t = time.perf_counter()
        say("indexes for the customer pages")
        ws.store.ensure_indexes()
        seconds["indexes"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        if _value_step(ws, when, say):
            snaps.append("value")
            seconds["value"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        say("profiles and warning signals")
        ctx = detect_context(ws, when)
        # the customer pages draw spend against the baseline this index weighs
        write_snapshot(ws.store, "seasonal_index", when, ctx.features.index.to_frame())
        seconds["profile_and_signals"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        say("defectors")
        dfx = defectors_from_context(ctx, ws.settings)
        write_snapshot(ws.store, "defectors", when, _snapshot_defectors(dfx, _names(ws)))
        snaps.append("defectors")
        sig = signals_frame(ctx)
        write_snapshot(ws.store, "signals", when, _snapshot_signals(sig))
        snaps.append("signals")
        # the threshold in force from this date on: later imports do not move past churn rates
        store_thresholds(ws.store, thresholds_at(ctx.records, ws.settings.churn, when, pinned=False),
                         ws.settings.churn, when)
        snaps.append("thresholds")
        seconds["defectors"] = round(time.perf_counter() - t, 2)
        counts = {
            "customers": int(len(ctx.profile)),
            "active": int((~ctx.profile["lost"]).sum()),
            "complete_defectors": int((dfx["kind"] == "complete").sum()),
            "partial_defectors": int((dfx["kind"] == "partial").sum()),
            "with_signals": int(len(sig)),
        }
        model_info: dict[str, Any] = {}
        t = time.perf_counter()
        say("training the churn model")
        try:
            suite = _train(ws, ctx.records, when)
        except FitError as exc:
            notes.append(f"no churn model: {exc}")
            suite = None
        seconds["train"] = round(time.perf_counter() - t, 2)
        if suite is not None:
            model_info = suite.to_dict()
            set_aside = model_choice_note(model_info)
            if set_aside:
                model_info["model_choice_note"] = set_aside
                notes.append(set_aside["en"])
            t = time.perf_counter()
            say("scoring")
            scores = score_frame(ws, ctx, suite)
            write_snapshot(ws.store, SCORES, when, _snapshot_scores(scores))
            snaps.append(SCORES)
            counts["scored"] = int(len(scores))
            counts["with_reasons"] = int(scores["reasons"].map(bool).sum())
            model_info["value_source"] = scores["value_source"].value_counts().to_dict()
            _save_suite(ws, suite)
            seconds["score"] = round(time.perf_counter() - t, 2)
        return RunResult(when, source, counts, snaps, seconds, model_info, notes)


def _snapshot_defectors(frame: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """The defectors in the order their list shows them (:data:`detect.DEFECTOR_ORDER`) with
    their place in it (``rank``; ``kind_rank`` among their kind) and name: a page of the list
    is then a range of stored rows, not a sort of every defector (250k at 1M customers)."""
    out = frame.drop(columns=["evidence"]).copy()
    out.attrs = {}
    out["evidence"] = frame["evidence"].map(to_json_text)
    out["lost_at"] = pd.to_datetime(out["lost_at"]).dt.date
    out["last_purchase_at"] = pd.to_datetime(out["last_purchase_at"]).dt.date
    out["name"] = names.reindex(out["customer_id"]).to_numpy()
    out = in_list_order(out)
    out["rank"] = np.arange(1, len(out) + 1)
    out["kind_rank"] = out.groupby("kind").cumcount().to_numpy() + 1
    return out


def _snapshot_signals(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=["evidence"]).copy()
    out.attrs = {}
    out["evidence"] = frame["evidence"].map(to_json_text)
    return out


def _snapshot_scores(scores: pd.DataFrame) -> pd.DataFrame:
    lists = [c for c in REASON_LISTS if c in scores.columns]
    out = scores.drop(columns=lists).copy()
    out.attrs = {}
    for col in lists:
        out[col] = scores[col].map(
            lambda r: to_json_text([{k: v for k, v in i.items()} for i in r]) if isinstance(r, list) else "[]"
        )
    for col in ("name", "relationship", "segment", "region", "customer_type", "csm", "value_source", "signals",
                "top_reason", "warning"):
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    # stored riskiest value first with its rank, so a page of the worklist reads a range of
    # ranks instead of sorting 700k rows on every request (32 ms on a million customers)
    out = out.reset_index().sort_values(["value_at_risk", "customer_id"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    # the place among the early warnings, by their own value at risk (ties by customer id)
    early = out[out["warning"] == EARLY].sort_values(["early_value_at_risk", "customer_id"], ascending=[False, True],
                                                     kind="stable")
    out["early_rank"] = pd.Series(np.arange(1, len(early) + 1), index=early.index, dtype="float64").reindex(out.index)
    return out.reset_index(drop=True)


def _save_suite(ws: Workspace, suite: ModelSuite) -> Path:
    import joblib

    folder = ws.path / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"churn-{suite.as_of.isoformat()}.joblib"
    tmp = path.with_suffix(".tmp")
    joblib.dump(suite, tmp)
    tmp.replace(path)
    (folder / f"churn-{suite.as_of.isoformat()}.json").write_text(
        json.dumps(suite.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return path


# -- at risk ------------------------------------------------------------------------------------
@dataclass
class AtRiskOptions:
    """``churnguard at-risk``: living customers ranked by value at risk.

    ``segment``, ``csm`` and ``signal`` (a warning-signal rule that fired) narrow the list;
    ``offset`` skips that many of the ranked rows (pages of a worklist); ``language`` says the
    reasons in that language (default: as stored, in the workspace's language); ``early`` keeps
    the early warnings only (customers not yet overdue), ranked by the early-warning model's
    value at risk.
    """

    workspace: Path | None = None
    as_of: date | None = None
    top: int = 20
    min_value: float | None = None
    segment: str | None = None
    csm: str | None = None
    signal: str | None = None
    offset: int = 0
    language: str | None = None
    early: bool = False  # only customers not yet overdue, ranked by their early-warning value at risk


@dataclass
class AtRiskResult:
    """The riskiest value first; ``to_dict()`` is the ``--json`` shape."""

    as_of: date
    frame: pd.DataFrame
    total_value_at_risk: float
    customers_scored: int
    matching: int = 0
    offset: int = 0
    #: the feature families the run's model went without for want of records (``run``'s own list)
    features_left_out: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The rows."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "data": [rows], "count", "matching", "offset", "total_value_at_risk",
        "customers_scored", "features_left_out"}``; ``matching`` is how many customers pass the
        filters (``count`` of them are listed, from ``offset``); ``features_left_out`` is what the
        run that scored them said it left out (``{family, needs, features}``)."""
        rows = _rows(self.frame)
        for r in rows:  # a list, as reasons are
            if "signals" in r:
                r["signals"] = name_list(r["signals"])
        return {"as_of": self.as_of.isoformat(), "data": rows, "count": len(rows), "matching": self.matching,
                "offset": self.offset, "total_value_at_risk": round(self.total_value_at_risk, 2),
                "customers_scored": self.customers_scored, "features_left_out": self.features_left_out}


AT_RISK_COLUMNS = ("rank", "customer_id", "name", "probability", "expected_value", "value_source", "value_at_risk",
                   "warning", "early_probability", "early_value_at_risk", "expected_days_to_churn", "reasons",
                   "changes", "causes", "signals", "relationship", "segment", "customer_type", "csm")


def check_signal(signal: str | None) -> None:
    """Refuse a name that is not a warning-signal rule."""
    from churnguard.compute.detect import RULE_HELP

    if signal is not None and signal not in RULE_HELP:
        raise InputError(f"--signal: unknown rule {signal!r}; rules: {', '.join(RULE_HELP)}")


def at_risk(opts: AtRiskOptions) -> AtRiskResult:
    """The ``top`` living customers by value at risk (probability × expected value), with reasons.

    Reads the ``scores`` snapshot of ``as_of`` (default: the latest run). Filters are values
    compared by the engine (never pasted into SQL text).
    """
    if opts.top < 1:
        raise InputError(f"--top must be at least 1; got {opts.top}")
    if opts.offset < 0:
        raise InputError(f"offset must be at least 0; got {opts.offset}")
    check_signal(opts.signal)
    with Workspace.open(opts.workspace) as ws:
        store = ws.store
        language = opts.language or ws.settings.language
        when = snapshot_date(store, SCORES, opts.as_of)
        snap = read_snapshot(store, SCORES, when)
        total = store.memo(("at_risk_total", when), lambda: snap.aggregate(
            v=snap.value_at_risk.sum(), n=snap.count()).to_pandas().iloc[0].to_dict())
        if opts.min_value is not None:
            snap = snap.filter(snap.expected_value >= opts.min_value)
        if opts.segment is not None:
            snap = snap.filter(snap.segment == opts.segment)
        if opts.csm is not None:
            snap = snap.filter(snap.csm == opts.csm)
        if opts.signal is not None:
            fired = ibis.literal(",") + snap.signals.fill_null("") + ibis.literal(",")
            snap = snap.filter(fired.contains(ibis.literal(f",{opts.signal},")))
        if opts.early:
            if "early_rank" not in snap.columns:
                raise InputError(f"the scores of {when} were computed before early warnings were; "
                                 "run 'churnguard run' again to mark them")
            snap = snap.filter(snap.warning == EARLY)
        filters = (opts.min_value, opts.segment, opts.csm, opts.signal)
        matching = store.memo(("at_risk_matching", when, filters, opts.early), lambda: int(snap.count().execute()))
        if opts.early:  # the early warnings' own order
            top = snap.order_by([snap["early_rank"], snap.customer_id]).limit(opts.top, offset=opts.offset).to_pandas()
        elif "rank" in snap.columns:  # stored in rank order: a page of the unfiltered list is a range
            if filters == (None,) * 4:
                snap = snap.filter((snap["rank"] > opts.offset) & (snap["rank"] <= opts.offset + opts.top))
                top = snap.order_by(snap["rank"]).to_pandas()
            else:
                top = snap.order_by(snap["rank"]).limit(opts.top, offset=opts.offset).to_pandas()
        else:  # a run stored before ranks were
            top = (snap.order_by([snap.value_at_risk.desc(), snap.customer_id])
                   .limit(opts.top, offset=opts.offset).to_pandas())
    top = top.drop(columns=["rank", "early_rank"], errors="ignore")  # the place in this list, filtered or not
    top.insert(0, "rank", np.arange(opts.offset + 1, opts.offset + len(top) + 1))
    for col in REASON_LISTS:
        if col in top.columns:
            top[col] = top[col].map(
                lambda t: in_language(json.loads(t), opts.language) if isinstance(t, str) and t else [])
    if "changes" not in top.columns:  # a run stored before reasons came in two lists
        split = [split_reasons(r, language) for r in top["reasons"]]
        top["changes"] = [c for c, _ in split]
        top["causes"] = [c for _, c in split]
    frame = top[[c for c in AT_RISK_COLUMNS if c in top.columns]]
    return AtRiskResult(when, frame, float(total["v"] or 0.0), int(total["n"]), matching, opts.offset,
                        _left_out_of(ws, when))


def _left_out_of(ws: Workspace, when: date) -> list[dict[str, Any]]:
    """What the model of the run of ``when`` left out, as its saved description says ([] when it
    has none: a run before this was recorded, or a model that had every table)."""
    path = ws.path / "models" / f"churn-{when.isoformat()}.json"
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).get("features_left_out", []))
    except (OSError, ValueError):
        return []


def at_risk_choices(workspace: Path | None = None, as_of: date | None = None,
                    csm: str | None = None) -> dict[str, Any]:
    """What the worklist can be narrowed to: ``{"as_of", "segments", "csms", "signals"}`` (the
    values present in the scores of ``as_of``; those of one CSM's customers when ``csm``)."""
    from churnguard.compute.detect import RULE_HELP

    with Workspace.open(workspace) as ws:
        when = snapshot_date(ws.store, SCORES, as_of)
        snap = read_snapshot(ws.store, SCORES, when)
        if csm is not None:
            snap = snap.filter(snap.csm == csm)
        # 80 ms on a million customers: kept while the data stays (Store.memo)
        frame = ws.store.memo(("at_risk_choices", when, csm),
                              lambda: snap.select("segment", "csm", "signals").distinct().to_pandas())
    fired = {s for text in frame["signals"].dropna() for s in text.split(",") if s}
    return {
        "as_of": when.isoformat(),
        "segments": sorted(frame["segment"].dropna().unique().tolist()),
        "csms": sorted(frame["csm"].dropna().unique().tolist()),
        "signals": [s for s in RULE_HELP if s in fired],
    }


def top_at_risk(workspace: Path | None = None, n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` customers with the most value at risk and their reasons, for a demo's summary.

    Runs the pipeline first when the workspace has no scores yet. Each item:
    ``{"customer_id", "probability", "value_at_risk", "reasons": [text, …], "causes": [text, …]}``.
    """
    with Workspace.open(workspace) as ws:
        has = bool(snapshot_dates(ws.store, SCORES))
    if not has:
        run(RunOptions(workspace))
    result = at_risk(AtRiskOptions(workspace, top=n))
    return [
        {"customer_id": r["customer_id"], "probability": round(float(r["probability"]), 3),
         "value_at_risk": round(float(r["value_at_risk"]), 2), "reasons": [x["text"] for x in r["reasons"]],
         "causes": [x["text"] for x in r.get("causes") or []]}
        for r in result.frame.to_dict(orient="records")
    ]


# -- backtest -----------------------------------------------------------------------------------
@dataclass
class BacktestOptions:
    """``churnguard backtest``: replay a past date and compare the warnings with what happened."""

    workspace: Path | None = None
    as_of: date | None = None
    horizon: int | None = None
    flagged: int = 20


@dataclass
class BacktestResult:
    """Scores as of a past date against who actually left within the horizon."""

    as_of: date
    horizon_days: int
    n_customers: int
    n_lost: int
    scorers: dict[str, dict[str, Any]]
    by_relationship: dict[str, dict[str, Any]]
    flagged: pd.DataFrame
    training: dict[str, Any]
    early: dict[str, Any] = field(default_factory=dict)
    model_kind: str = GRADIENT_BOOSTING
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # what the figures were computed from, for callers that look further (benchmarks)
    suite: ModelSuite | None = field(default=None, repr=False)
    features: Any = field(default=None, repr=False)
    scores: pd.DataFrame | None = field(default=None, repr=False)
    outcome: pd.Series | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "horizon_days", "n_customers", "n_lost", "lost_rate", "model", "baseline",
        "heuristic", "in_use", "model_kind", "model_choice", "warnings", "by_relationship", "early",
        "lead_time_days", "flagged", "training", "features_left_out"}``; each
        scorer has ``roc_auc``, ``pr_auc``, ``brier``, precision/recall/lift at the top 5/10/20%
        and ``calibration``. ``model`` is the gradient-boosted model; ``in_use`` the scorer the
        list was ranked by (``model_kind``: ``gradient_boosting`` or ``logistic_baseline``, chosen
        with what was known at the date; ``model_choice`` says in ``en`` and ``zh`` why the
        trees were set aside, None when they were not). ``warnings``:
        ``[{"code": "model_trails_baseline", "en", "zh", "model", "baseline"}]`` when the
        gradient-boosted model was in use and ranked worse than the baseline. ``early`` holds the same three scorers' figures on the customers not
        yet overdue on the date (``n_customers``, ``n_lost``, ``model``, ``baseline``,
        ``heuristic``, ``lead_time_days``, …; see :mod:`churnguard.compute.predict.early`).
        ``features_left_out`` lists the feature families the records cannot feed. ``data`` has
        one row per scorer and subset (``all``, ``early``) with its single figures, ``count`` them."""
        data = scorer_rows({"all": self.scorers, "early": self.early})
        return {
            "data": data,
            "count": len(data),
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.horizon_days,
            "n_customers": self.n_customers,
            "n_lost": self.n_lost,
            "lost_rate": round(self.n_lost / self.n_customers, 4) if self.n_customers else None,
            **self.scorers,
            "model_kind": self.model_kind,
            "model_choice": model_choice_note(self.training),
            "warnings": self.warnings,
            "by_relationship": self.by_relationship,
            "early": self.early,
            "lead_time_days": self.early.get("lead_time_days"),
            "flagged": _rows(self.flagged),
            "training": self.training,
            "features_left_out": self.training.get("features_left_out", []),
        }


SCORER_NAMES = ("model", "baseline", "heuristic")


def scorer_rows(subsets: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per subset and scorer: ``{"subset", "scorer", <figure>: number, …}`` (the single
    figures of each scorer's report; curves and tables such as ``calibration`` stay in it)."""
    rows = []
    for subset, scorers in subsets.items():
        for name in SCORER_NAMES:
            report = (scorers or {}).get(name)
            if isinstance(report, dict):
                figures = {k: v for k, v in report.items() if v is None or isinstance(v, int | float | str)}
                rows.append({"subset": subset, "scorer": name, **figures})
    return rows


def backtest(opts: BacktestOptions, step: Step | None = None) -> BacktestResult:
    """Train on what was known at a past date, score that date, and compare with what happened next.

    "Actually left" uses the same churn definition on the records after the date (never the
    simulator's truth). The default date is the last date in the data minus the horizon and the
    longest churn threshold: the latest whose outcome is fully known, including the early
    warnings' (whose departures within the horizon are declared only a threshold later).
    """
    say = step or (lambda _m: None)
    with Workspace.open(opts.workspace) as ws:
        settings = ws.settings
        if opts.horizon is not None:
            if opts.horizon < 1:
                raise InputError(f"--horizon must be at least 1 day; got {opts.horizon}")
            settings = settings.model_copy(deep=True)
            settings.churn.horizon_days = opts.horizon
        h = settings.churn.horizon_days
        last = last_data_date(ws.store)
        if last is None:
            raise ChurnguardError("the workspace holds no dated records yet")
        records = Records.from_store(ws.store)
        # the early warnings' outcome needs the records through date + horizon + threshold
        longest = longest_threshold(records, settings.churn, last)
        when = opts.as_of or _default_backtest_date(ws, last, h, longest)
        if when + timedelta(days=h) > last:
            raise InputError(
                f"--as-of {when}: its {h}-day outcome is not known yet (data end {last}); "
                f"choose {last - timedelta(days=h)} or earlier"
            )
        say(f"training on what was known at {when}")
        suite = _train(ws, records, when, settings)
        say("scoring and comparing with what happened")
        fs = features_as_of(records, settings, when, language=settings.language)
        scores = score_customers(suite, fs, reasons=False)
        y = lost_within(records, settings.churn, when, h, pinned=False).to_pandas().set_index("customer_id")["lost"]
        y = y.reindex(scores.index).fillna(False).astype("int64")
        # "model" is the gradient-boosted model's own figures whichever scorer is in use;
        # "in_use" those of the scores the worklist would have been ranked by
        trees = pd.Series(suite.model.predict_proba(fs.X)[:, 1], index=fs.X.index).reindex(scores.index)
        scorers = {
            "model": score_report(y, trees),
            "baseline": score_report(y, scores["baseline_probability"]),
            "heuristic": score_report(y, scores["heuristic_probability"]),
        }
        scorers["in_use"] = scorers["baseline" if suite.kind == LOGISTIC_BASELINE else "model"]
        warnings = model_warnings(suite.kind, scorers)
        early = _early_figures(records, settings, when, h, longest, last, fs, scores)
        by_rel = {}
        scores = scores.assign(model_probability=trees)
        rel = fs.profile["relationship"].reindex(scores.index)
        for name in sorted(rel.dropna().unique()):
            m = (rel == name).to_numpy()
            if len(np.unique(y[m])) == 2:
                by_rel[name] = {"n_customers": int(m.sum()), "n_lost": int(y[m].sum()), **{
                    k: {x: v for x, v in score_report(y[m], scores.loc[m, c]).items() if x in ("roc_auc", "pr_auc", "brier")}
                    for k, c in (("model", "model_probability"), ("baseline", "baseline_probability"),
                                 ("heuristic", "heuristic_probability"))
                }}
        k = max(1, int(np.ceil(0.10 * len(scores))))
        flagged_ids = scores["probability"].sort_values(ascending=False, kind="stable").index[: min(k, opts.flagged)]
        found = customer_reasons(suite, fs, flagged_ids, top=settings.model.reasons, language=settings.language)
        found = found.reindex(flagged_ids)
        flagged = pd.DataFrame({
            "customer_id": flagged_ids,
            "probability": scores.loc[flagged_ids, "probability"].round(4).to_numpy(),
            "lost": y.loc[flagged_ids].astype(bool).to_numpy(),
            "top_reason": found.map(lambda r: r[0]["text"] if isinstance(r, list) and r else None).to_numpy(),
        })
        return BacktestResult(when, h, int(len(y)), int(y.sum()), scorers, by_rel, flagged, suite.to_dict(),
                              early=early, suite=suite, features=fs, scores=scores, outcome=y,
                              model_kind=suite.kind, warnings=warnings)


def _both_languages(msgid: str, **values: object) -> dict[str, Any]:
    """``{"en", "zh"}`` of a catalogue message."""
    from churnguard.i18n import Translator

    msg = Message(msgid, **values)
    return {"en": str(msg), "zh": Translator("zh").gettext(msg.msgid, **msg.values)}


MODEL_TRAILS_BASELINE = N_(
    "The gradient-boosted model in use ranked the customers worse than the logistic baseline on this "
    "date (ROC AUC %(model)s against %(baseline)s, PR AUC %(model_pr)s against %(baseline_pr)s): do not "
    "trust its ranking here; compare again after the next run, or rank by the baseline's probability"
)
MODEL_SET_ASIDE = N_(
    "The gradient-boosted model was set aside: on %(held_out)s the logistic baseline ranked the held-out "
    "customers better (ROC AUC %(baseline)s against %(model)s); probabilities, value at risk and reasons "
    "come from the baseline"
)
MODEL_SET_ASIDE_IN_TIME = N_(
    "The gradient-boosted model was set aside: on a held-out fifth of the customers the logistic baseline "
    "ranked better (ROC AUC %(baseline)s against %(model)s); probabilities, value at risk and reasons "
    "come from the baseline"
)


def model_warnings(kind: str, scorers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The backtest's warning when the scorer in use ranked worse than the logistic baseline:
    ``[{"code": "model_trails_baseline", "en", "zh", "model", "baseline"}]`` (empty otherwise)."""
    if kind == LOGISTIC_BASELINE:
        return []
    model, base = scorers["model"], scorers["baseline"]
    if model.get("roc_auc") is None or base.get("roc_auc") is None or model["roc_auc"] >= base["roc_auc"]:
        return []
    return [{"code": "model_trails_baseline",
             **_both_languages(MODEL_TRAILS_BASELINE, model=model["roc_auc"], baseline=base["roc_auc"],
                               model_pr=model.get("pr_auc"), baseline_pr=base.get("pr_auc")),
             "model": {k: model.get(k) for k in ("roc_auc", "pr_auc")},
             "baseline": {k: base.get(k) for k in ("roc_auc", "pr_auc")}}]


def model_choice_note(info: dict[str, Any]) -> dict[str, Any] | None:
    """``{"en", "zh"}`` saying the gradient-boosted model was set aside and why (None when in use)."""
    choice = info.get("model_choice") or {}
    if info.get("model_kind") != LOGISTIC_BASELINE or LOGISTIC_BASELINE not in choice:
        return None
    figures = {"baseline": choice[LOGISTIC_BASELINE]["roc_auc"], "model": choice[GRADIENT_BOOSTING]["roc_auc"]}
    if choice.get("held_out_date"):
        return _both_languages(MODEL_SET_ASIDE, held_out=choice["held_out_date"], **figures)
    return _both_languages(MODEL_SET_ASIDE_IN_TIME, **figures)


SCORERS = (("model", "probability"), ("baseline", "baseline_probability"), ("heuristic", "heuristic_probability"))


def _default_backtest_date(ws: Workspace, last: date, h: int, longest: int) -> date:
    """The last date minus the horizon and the longest threshold — unless the history before that
    date is too short to train on (18 months of purchases and a learned threshold of ten months,
    as in the CDNOW log): then the earliest date the model can be trained for, and the early
    warnings' outcome is judged with the records there are (their customers whose fate the data
    do not yet show are counted as undetermined)."""
    wanted = last - timedelta(days=h + longest)
    first = first_data_date(ws.store)
    if first is None:
        return wanted
    trainable = first + timedelta(days=h + MIN_HISTORY_DAYS)
    return min(max(wanted, trainable), last - timedelta(days=h))


def _early_figures(records: Records, settings: Settings, when: date, h: int, longest: int, last: date,
                   fs: Any, scores: pd.DataFrame) -> dict[str, Any]:
    """The backtest's figures on the customers who were not yet overdue on the date (see
    :mod:`churnguard.compute.predict.early`)."""
    kind = warning_kind(fs.X).reindex(scores.index)
    through = min(judged_through(when, h, longest), last)
    out = early_outcome(records, settings.churn, when, h, through).reindex(scores.index)
    outcome = out["outcome"].fillna("gone_before")
    early = kind == EARLY
    known = decidable(fs.profile.reindex(scores.index), settings.churn, when, h, through)
    outcome = outcome.where(known | (outcome == "gone_before"), "undetermined")
    judged = early & outcome.isin(["lost", "kept"])
    y = (outcome[judged] == "lost").astype("int64")
    figures: dict[str, Any] = {
        "n_customers": int(judged.sum()),
        "n_lost": int(y.sum()),
        "lost_rate": round(float(y.mean()), 4) if len(y) else None,
        "not_yet_overdue": int(early.sum()),
        "gone_before": int((early & (outcome == "gone_before")).sum()),
        "undetermined": int((early & (outcome == "undetermined")).sum()),
        "judged_through": through.isoformat(),
        "threshold_days": longest,
    }
    if through < judged_through(when, h, longest):
        figures["note"] = (f"the data end {last}, before {judged_through(when, h, longest)}: customers whose "
                           f"outcome is not known yet are left out; choose --as-of "
                           f"{last - timedelta(days=h + longest)} or earlier for the full picture")
    ids = y.index
    # the model's figures are those of the early-warning model where there is one
    early_scorers = (("model", "early_probability"), *SCORERS[1:])
    for name, col in early_scorers:
        figures[name] = score_report(y, scores.loc[ids, col]) if len(ids) else {}
    figures["lead_time_days"] = (lead_time_days(out.loc[ids, "days_to_end"], y == 1,
                                                scores.loc[ids, "early_probability"]) if len(ids) else None)
    figures["by_relationship"] = {}
    rel = fs.profile["relationship"].reindex(ids)
    for name in sorted(rel.dropna().unique()):
        m = (rel == name).to_numpy()
        if len(np.unique(y[m])) == 2:
            figures["by_relationship"][name] = {"n_customers": int(m.sum()), "n_lost": int(y[m].sum()), **{
                k: {x: v for x, v in score_report(y[m], scores.loc[ids[m], c]).items() if x in ("roc_auc", "pr_auc")}
                for k, c in early_scorers}}
    return figures


# -- survival -----------------------------------------------------------------------------------
@dataclass
class SurvivalOptions:
    """``churnguard survival``: retention curves by a customer attribute."""

    workspace: Path | None = None
    as_of: date | None = None
    by: str | None = "segment"


def survival(opts: SurvivalOptions) -> dict[str, Any]:
    """Kaplan–Meier retention by group and the mean expected remaining lifetime of active customers."""
    from churnguard.compute.detect import customer_profile

    with Workspace.open(opts.workspace) as ws:
        when, source = resolve_as_of(ws.store, opts.as_of)
        start = first_data_date(ws.store)
        profile = customer_profile(Records.from_store(ws.store), ws.settings, when)
    curves = retention_curves(profile, when, start, by=opts.by)
    out = curves.to_dict()
    exp = curves.expected_days
    out["expected_remaining_days"] = {
        "mean": None if exp.dropna().empty else round(float(exp.mean()), 1),
        "median": None if exp.dropna().empty else round(float(exp.median()), 1),
    }
    groups = out.get("groups") or []
    return {"data": groups, "count": len(groups), "as_of": when.isoformat(), "as_of_source": source, **out}


# -- a user's own labelled table ------------------------------------------------------------------
def _read_table(path: Path, encoding: str | None, sheet: str | None) -> pd.DataFrame:
    from churnguard.ingest import read_file
    from churnguard.ingest.readers import LINE

    raw = read_file(Path(path), encoding=encoding, sheet=sheet)
    frame = raw.table.drop_columns([LINE]).to_pandas()
    if frame.empty:
        raise InputError(f"{path}: the table has no rows")
    return frame


def _folder(workspace: Path | None) -> Path:
    return Path(workspace) if workspace is not None else default_workspace_dir()


def _language(workspace: Path | None) -> str:
    """The workspace's language when the folder is one, else the default language."""
    settings = _folder(workspace) / SETTINGS_FILE
    return load_settings(settings).language if settings.exists() else Settings().language


def default_model_dir(workspace: Path | None) -> Path:
    """Where a table model lives: ``models/table`` in the workspace folder (or the current folder)."""
    return _folder(workspace) / "models" / "table"


@dataclass
class TrainTableOptions:
    """``churnguard model train``: a model on a user's own labelled customer table."""

    table: Path
    target: str
    id_column: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    workspace: Path | None = None
    model_dir: Path | None = None
    folds: int = 5
    threads: int = 2
    seed: int = 0
    positive: str | None = None  # the target value meaning churned, when not yes/no, 1/0, 是/否 …


@dataclass
class TrainTableResult:
    """Cross-validated figures of the model and the baseline, and where the model was saved."""

    report: dict[str, Any]
    model_dir: Path

    def to_dict(self) -> dict[str, Any]:
        """``{"n_rows", "positive_rate", "model": {"roc_auc", "pr_auc", …}, "baseline": {…}, "folds",
        "features", "id_column", "dropped", "model_dir"}``."""
        data = scorer_rows({"all": {k: self.report.get(k) for k in ("model", "baseline")}})
        return {"data": data, "count": len(data), **self.report, "model_dir": str(self.model_dir)}


def train_table(opts: TrainTableOptions, step: Step | None = None) -> TrainTableResult:
    """Cross-validate and fit a churn model on a CSV/Excel/Parquet table with a churn column; save it."""
    say = step or (lambda _m: None)
    if opts.folds < 2:
        raise InputError(f"--folds must be at least 2; got {opts.folds}")
    frame = _read_table(opts.table, opts.encoding, opts.sheet)
    model = TabularChurnModel(n_jobs=opts.threads, random_state=opts.seed)
    say(f"{opts.folds}-fold cross-validation on {len(frame):,} rows")
    report = model.cross_validate(frame, opts.target, opts.id_column, folds=opts.folds, positive=opts.positive)
    say("fitting on every row")
    model.fit(frame, opts.target, opts.id_column, positive=opts.positive)
    folder = opts.model_dir or default_model_dir(opts.workspace)
    model.save(folder)
    return TrainTableResult(report, folder)


@dataclass
class ScoreTableOptions:
    """``churnguard model score``: score a table with a model trained by ``model train``."""

    table: Path
    encoding: str | None = None
    sheet: str | None = None
    workspace: Path | None = None
    model_dir: Path | None = None
    output: Path | None = None
    top: int = 3
    language: str | None = None  # zh or en; default: the workspace's language (zh without one)


@dataclass
class ScoreTableResult:
    """One row per input row: id, probability, reasons."""

    frame: pd.DataFrame
    model_dir: Path
    output: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [{"id", "probability", "reasons": [{"column", "code", "text", "values", "contribution"}]}],
        "count", "model_dir", "output"}``."""
        from churnguard.service.jsonable import rows_of

        rows = rows_of(self.frame)
        for r in rows:
            r["probability"] = float(r["probability"])
        return {"data": rows, "count": len(rows), "model_dir": str(self.model_dir),
                "output": None if self.output is None else str(self.output)}


def score_table(opts: ScoreTableOptions) -> ScoreTableResult:
    """Probability and top reasons of every row of a table, from a saved table model.

    With ``output`` the scores are also written as CSV (UTF-8 with BOM, so Excel opens it):
    ``id, probability, reasons`` with the reasons joined by "; ".
    """
    if opts.language is not None and opts.language not in LANGUAGES:
        raise InputError(f"--lang {opts.language!r}: choose zh or en")
    folder = opts.model_dir or default_model_dir(opts.workspace)
    model = TabularChurnModel.load(folder)
    frame = _read_table(opts.table, opts.encoding, opts.sheet)
    scored = model.score(frame, top=opts.top, language=opts.language or _language(opts.workspace))
    scored = scored.reset_index(drop=True)
    if opts.output is not None:
        flat = scored.assign(reasons=scored["reasons"].map(lambda r: "; ".join(i["text"] for i in r)))
        # the user's ids and texts come back out: text a spreadsheet would run as a formula is inert
        flat = flat.apply(lambda col: col.map(inert_text) if col.dtype == object else col)
        out = Path(opts.output)
        tmp = out.with_name(out.name + ".tmp")
        flat.to_csv(tmp, index=False, encoding="utf-8-sig")
        tmp.replace(out)
    return ScoreTableResult(scored, folder, opts.output)
