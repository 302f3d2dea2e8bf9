"""What the prediction use cases share: the scores snapshot's name, where the history begins,
training the model suite, expected value, and the words said about the model in use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect import Records
from churnguard.compute.predict.suite import GRADIENT_BOOSTING, LOGISTIC_BASELINE, ModelSuite, train_suite
from churnguard.i18n import N_, Message
from churnguard.settings import Settings
from churnguard.store import Store, read_snapshot, snapshot_dates

#: a use case's progress callback (what it is doing now)
Step = Callable[[str], None]
SCORES = "scores"
#: a customer's reasons as stored with its scores: all of them (the larger first), what changed,
#: the likely cause
REASON_LISTS = ("reasons", "changes", "causes")


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


def first_data_date(store: Store) -> date | None:
    """The earliest purchase or contract start (where the history begins)."""
    firsts = []
    for table, col in (("transactions", "occurred_at"), ("contracts", "start_at")):
        value = store.table(table)[col].min().execute()
        if value is not None and not pd.isna(value):
            firsts.append(pd.Timestamp(value).date())
    return min(firsts) if firsts else None


def train(store: Store, settings: Settings, records: Records, as_of: date) -> ModelSuite:
    """The model suite trained on what was known at ``as_of``."""
    return train_suite(records, settings, as_of, first_data_date=first_data_date(store))


def expected_values(store: Store, profile: pd.DataFrame, as_of: date) -> tuple[pd.Series, pd.Series]:
    """Expected value of each customer over the next year, and where it came from.

    From the value snapshot of ``as_of`` when there is one: the 12-month customer lifetime value
    of its purchases (``clv``) plus the yearly recurring value of its open contracts — source
    ``clv``. Otherwise trailing 12-month revenue plus the yearly recurring value of a running
    contract — source ``trailing_12m_revenue``.
    """
    fallback = profile["spend_365d"].fillna(0) + profile["recurring_value"].fillna(0).where(~profile["lost"], 0)
    source = pd.Series("trailing_12m_revenue", index=profile.index)
    value = fallback.astype("float64")
    if as_of in snapshot_dates(store, "value"):
        snap = read_snapshot(store, "value", as_of)
        if "clv" in snap.columns:
            cols = ["customer_id", "clv"] + (["recurring_value"] if "recurring_value" in snap.columns else [])
            v = snap.select(*cols).to_pandas().set_index("customer_id").reindex(profile.index)
            clv = pd.to_numeric(v["clv"], errors="coerce")
            recurring = pd.to_numeric(v.get("recurring_value", pd.Series(np.nan, index=v.index)), errors="coerce")
            has = clv.notna() | recurring.notna()
            value = value.where(~has, clv.fillna(0) + recurring.fillna(0))
            source = source.where(~has, "clv")
    return value, source


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
