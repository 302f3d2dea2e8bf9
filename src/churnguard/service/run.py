"""``churnguard run``: recompute value, signals, defectors and churn scores as of a date, and store
them as dated snapshots that the lists and pages read."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect.status import thresholds_at
from churnguard.compute.measure.status import store_thresholds
from churnguard.compute.predict.early import EARLY, warning_kind
from churnguard.compute.predict.suite import (
    ModelSuite,
    customer_explanations,
    expected_days_to_churn,
    score_customers,
)
from churnguard.errors import FitError
from churnguard.service.context import Context
from churnguard.service.detect import (
    DetectInputs,
    defectors_from_inputs,
    detect_inputs,
    in_list_order,
    signals_frame,
    to_json_text,
)
from churnguard.service.scoring import REASON_LISTS, SCORES, Step, expected_values, model_choice_note, train
from churnguard.store import Store, write_snapshot


@dataclass
class RunOptions:
    """``churnguard run``: recompute everything as of the context's date (nothing else to choose)."""


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


def _value_step(ctx: Context, as_of: date, say: Step) -> str | None:
    """Compute customer value as of ``as_of`` (stores the ``value`` snapshot) when this
    installation has the value use case; its CLV and P(alive) then feed value at risk and
    complete defection."""
    try:
        from churnguard.service import value as value_service
    except ImportError:  # an installation without the value module
        return None
    say("customer value")
    value_service.compute(ctx.with_as_of(as_of))
    return "value"


def score_frame(ctx: Context, dc: DetectInputs, suite: ModelSuite) -> pd.DataFrame:
    """Scores of every active customer: probabilities, value at risk, reasons for the most valuable risks."""
    s = ctx.settings
    scores = score_customers(suite, dc.features, reasons=False)
    value, source = expected_values(ctx.store, dc.profile, dc.as_of)
    scores["expected_value"] = value.reindex(scores.index).fillna(0.0)
    scores["value_source"] = source.reindex(scores.index).fillna("trailing_12m_revenue")
    scores["value_at_risk"] = scores["probability"] * scores["expected_value"]
    # early: not yet overdue, where a call can still change something; their own chance of
    # leaving within the horizon (the early-warning model's) and value at risk by it
    scores["warning"] = warning_kind(dc.features.X).reindex(scores.index)
    is_early = scores["warning"] == EARLY
    scores["early_probability"] = scores["early_probability"].where(is_early)
    scores["early_value_at_risk"] = scores["early_probability"] * scores["expected_value"]
    ranked = scores.sort_values("value_at_risk", ascending=False, kind="stable").index
    with_reasons = ranked[: s.model.reasons_for]
    found = customer_explanations(suite, dc.features, with_reasons, top=s.model.reasons,
                                  language=s.language).reindex(scores.index)
    for col in REASON_LISTS:
        scores[col] = found[col].map(lambda r: r if isinstance(r, list) else [])
    scores["top_reason"] = scores["reasons"].map(lambda r: r[0]["text"] if r else None)
    scores["expected_days_to_churn"] = expected_days_to_churn(scores["probability"], s.churn.horizon_days)
    sig = dc.features.signals.reindex(scores.index)
    scores["signals"] = sig["signals"].fillna("")
    scores["signal_count"] = sig["signal_count"].fillna(0).astype("int64")
    prof = dc.profile.reindex(scores.index)
    for col in ("relationship", "segment", "region", "customer_type", "csm"):
        scores[col] = prof[col]
    # the name too, so a worklist page need not look 50 names up among all customers (18 ms at 1M)
    scores["name"] = _names(ctx.store).reindex(scores.index)
    return scores.loc[ranked]


def _names(store: Store) -> pd.Series:
    """Every customer's name by id (stored with the run's lists, for their pages)."""
    return store.table("customers").select("customer_id", "name").to_pandas().set_index("customer_id")["name"]


def run(ctx: Context, opts: RunOptions | None = None, step: Step | None = None) -> RunResult:
    """Recompute value (when available), signals, defectors and churn scores as of ``ctx.as_of``;
    store snapshots.

    Snapshots written: ``defectors``, ``signals`` and ``scores`` (one row per active customer:
    probabilities of the model, the baseline and the heuristic, expected value, value at risk,
    reasons, signals), each dated ``as_of``.
    """
    say = step or (lambda _m: None)
    seconds: dict[str, float] = {}
    notes: list[str] = []
    snaps: list[str] = []
    store, settings = ctx.store, ctx.settings
    # one writer at a time: an import that starts meanwhile waits for the run (and the reverse)
    with store.write_lock(lambda: say("waiting for another import or run of this workspace to finish")):
        when, source = ctx.as_of, ctx.as_of_source
        t = time.perf_counter()
        say("indexes for the customer pages")
        store.ensure_indexes()
        seconds["indexes"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        if _value_step(ctx, when, say):
            snaps.append("value")
            seconds["value"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        say("profiles and warning signals")
        dc = detect_inputs(ctx.with_as_of(when))
        # the customer pages draw spend against the baseline this index weighs
        write_snapshot(store, "seasonal_index", when, dc.features.index.to_frame())
        seconds["profile_and_signals"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        say("defectors")
        dfx = defectors_from_inputs(dc, settings)
        write_snapshot(store, "defectors", when, _snapshot_defectors(dfx, _names(store)))
        snaps.append("defectors")
        sig = signals_frame(dc)
        write_snapshot(store, "signals", when, _snapshot_signals(sig))
        snaps.append("signals")
        # the threshold in force from this date on: later imports do not move past churn rates
        store_thresholds(store, thresholds_at(dc.records, settings.churn, when, pinned=False), settings.churn, when)
        snaps.append("thresholds")
        seconds["defectors"] = round(time.perf_counter() - t, 2)
        counts = {
            "customers": int(len(dc.profile)),
            "active": int((~dc.profile["lost"]).sum()),
            "complete_defectors": int((dfx["kind"] == "complete").sum()),
            "partial_defectors": int((dfx["kind"] == "partial").sum()),
            "with_signals": int(len(sig)),
        }
        model_info: dict[str, Any] = {}
        t = time.perf_counter()
        say("training the churn model")
        try:
            suite = train(store, settings, dc.records, when)
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
            scores = score_frame(ctx, dc, suite)
            write_snapshot(store, SCORES, when, _snapshot_scores(scores))
            snaps.append(SCORES)
            counts["scored"] = int(len(scores))
            counts["with_reasons"] = int(scores["reasons"].map(bool).sum())
            model_info["value_source"] = scores["value_source"].value_counts().to_dict()
            _save_suite(ctx.path, suite)
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


def _save_suite(workspace_dir: Path, suite: ModelSuite) -> Path:
    import joblib

    folder = workspace_dir / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"churn-{suite.as_of.isoformat()}.joblib"
    tmp = path.with_suffix(".tmp")
    joblib.dump(suite, tmp)
    tmp.replace(path)
    (folder / f"churn-{suite.as_of.isoformat()}.json").write_text(
        json.dumps(suite.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return path

