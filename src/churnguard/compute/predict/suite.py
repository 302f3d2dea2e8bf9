"""The three scorers trained together as of a date, and the scores of the active customers.

:func:`train_suite` fits the churn model, the logistic baseline and the recency heuristic on
the same training set (observation dates whose horizon ends by the as-of date). The model's
trees learn from the older dates and its calibration from the newest one: an out-of-time
hold-out, like the date it will score. :func:`score_customers` gives every active customer
its probability from each scorer and the model's reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect.records import Records
from churnguard.compute.predict.availability import present_sources, split_features
from churnguard.compute.predict.features import CATEGORICAL, FEATURES, FeatureSet
from churnguard.compute.predict.metrics import score_report
from churnguard.compute.predict.models import ChurnModel, LogisticBaseline, RecencyHeuristic
from churnguard.compute.predict.reasons import explain
from churnguard.compute.predict.training import TrainingSet, build_early_training_set, build_training_set
from churnguard.errors import FitError
from churnguard.settings import Settings


@dataclass
class ModelSuite:
    """The fitted scorers and how they were trained."""

    as_of: date
    model: ChurnModel
    baseline: LogisticBaseline
    heuristic: RecencyHeuristic
    training: dict[str, Any] = field(default_factory=dict)
    #: ranks the customers not yet overdue by the chance they leave within the horizon (None
    #: when the history is too short to learn it: the main model ranks them then)
    early_model: ChurnModel | None = None

    def to_dict(self) -> dict[str, Any]:
        """How the suite was trained (dates, rows, sample, hold-out figures, top features)."""
        return {"as_of": self.as_of.isoformat(), **self.training}


def train_suite(records: Records, settings: Settings, as_of: date, *, first_data_date: date | None = None,
                training: TrainingSet | None = None, early: bool = True) -> ModelSuite:
    """Fit the model, the baseline and the heuristic on observation dates before ``as_of``.

    Features whose records the workspace does not hold (no interactions, customers without a
    segment …) are left out of the model and the baseline; ``training["features_left_out"]``
    says which and what they need (:mod:`~churnguard.compute.predict.availability`).

    Raises
    ------
    FitError
        When the data are too short for a full horizon before ``as_of``, every training row
        has the same outcome, or no feature has data.
    """
    ts = training or build_training_set(records, settings, as_of, first_data_date=first_data_date)
    kept, left_out = split_features(FEATURES, present_sources(records.known_at(as_of)))
    kept = [c for c in kept if c in ts.X.columns]
    if not kept:
        raise FitError("no feature has data: the churn model needs transactions or contracts")
    X = ts.X[kept]
    m = settings.model
    when = ts.observed_at
    newest = when == when.max()
    model = ChurnModel(n_estimators=m.trees, learning_rate=m.learning_rate, num_leaves=m.num_leaves,
                       n_jobs=m.threads, random_state=m.seed, categorical=CATEGORICAL)
    if len(ts.dates) > 1 and ts.y[newest].nunique() == 2 and ts.y[~newest].nunique() == 2:
        model.fit(X[~newest], ts.y[~newest], calibration_X=X[newest], calibration_y=ts.y[newest])
        holdout = score_report(ts.y[newest], model.predict_proba(X[newest])[:, 1])
        holdout = {k: v for k, v in holdout.items() if k != "calibration"}
    else:
        model.fit(X, ts.y)
        holdout = {}
    baseline = LogisticBaseline(categorical=CATEGORICAL).fit(X, ts.y)
    heuristic = RecencyHeuristic().fit(ts.X, ts.y)
    info = {
        "observation_dates": [d.isoformat() for d in ts.dates],
        "rows": int(len(ts.y)),
        "positive_rate": round(float(ts.y.mean()), 4),
        "customer_sample": round(ts.sample, 4),
        "horizon_days": settings.churn.horizon_days,
        "calibration_holdout": holdout,
        "features_used": len(kept),
        "features_left_out": left_out,
        "top_features": [
            {"feature": k, "gain": round(float(v), 1)} for k, v in model.feature_importances_.head(10).items()
        ],
    }
    early_model = None
    if early:
        ets = build_early_training_set(records, settings, as_of, first_data_date=first_data_date, main=ts)
        if ets is not None:
            early_model, info["early_model"] = _fit_early(ets, settings, kept)
        else:
            info["early_model"] = {"note": "too little history to learn early warnings; the main model ranks them"}
    return ModelSuite(as_of, model, baseline, heuristic, info, early_model)


def _fit_early(ts: TrainingSet, settings: Settings, columns: list[str] | None = None
               ) -> tuple[ChurnModel, dict[str, Any]]:
    """The early-warning model: trees on the older dates, calibration on the newest (on ``columns``:
    the features the records can feed, as for the main model).

    Early departures are rare (a few in a hundred customers not yet overdue), so the trees stop
    growing once the newest date's log loss stops improving for 20 rounds: a fixed number of
    trees fits noise on a few hundred positives.
    """
    m = settings.model
    when = ts.observed_at
    newest = when == when.max()
    model = ChurnModel(n_estimators=m.trees, learning_rate=m.learning_rate, num_leaves=m.num_leaves,
                       n_jobs=m.threads, random_state=m.seed, categorical=CATEGORICAL, early_stopping_rounds=20)
    X = ts.X if columns is None else ts.X[[c for c in columns if c in ts.X.columns]]
    if len(ts.dates) > 1 and ts.y[newest].nunique() == 2 and ts.y[~newest].nunique() == 2:
        model.fit(X[~newest], ts.y[~newest], calibration_X=X[newest], calibration_y=ts.y[newest])
    else:
        model.fit(X, ts.y)
    info = {
        "observation_dates": [d.isoformat() for d in ts.dates],
        "rows": int(len(ts.y)),
        "positive_rate": round(float(ts.y.mean()), 4),
        "trees": int(model.n_trees_),
        "top_features": [
            {"feature": k, "gain": round(float(v), 1)} for k, v in model.feature_importances_.head(10).items()
        ],
    }
    return model, info


def score_customers(suite: ModelSuite, fs: FeatureSet, *, top: int = 3, language: str = "en",
                    reasons: bool = True, reasons_for: pd.Index | None = None) -> pd.DataFrame:
    """Every active customer's probability from each scorer, with the model's reasons.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; columns ``probability`` (the calibrated model),
        ``baseline_probability``, ``heuristic_probability``, ``early_probability`` (the early-warning
        model's chance that the customer leaves within the horizon; the main model's without
        one), ``reasons`` (list of
        ``{"family", "contribution", "code", "text", "values"}``; only for ``reasons_for`` when
        given, an empty list for the others), ``changes`` and ``causes`` (the same reasons in
        two lists: what changed, the likely cause) and ``top_reason`` (the first reason's text).
    """
    X = fs.X
    out = pd.DataFrame(index=X.index)
    if X.empty:
        for c in ("probability", "baseline_probability", "heuristic_probability", "early_probability", "reasons",
                  "changes", "causes", "top_reason"):
            out[c] = pd.Series(dtype="object")
        return out
    out["probability"] = suite.model.predict_proba(X)[:, 1]
    out["baseline_probability"] = suite.baseline.predict_proba(X)[:, 1]
    out["heuristic_probability"] = suite.heuristic.predict_proba(X)[:, 1]
    early_model = getattr(suite, "early_model", None)  # a suite saved before early warnings has none
    out["early_probability"] = (early_model.predict_proba(X)[:, 1] if early_model is not None
                                else out["probability"])
    if reasons:
        found = customer_explanations(suite, fs, X.index if reasons_for is None else reasons_for, top=top,
                                      language=language).reindex(X.index)
        for col in ("reasons", "changes", "causes"):
            out[col] = found[col].map(lambda r: r if isinstance(r, list) else [])
        out["top_reason"] = out["reasons"].map(lambda r: r[0]["text"] if r else None)
    return out


def customer_explanations(suite: ModelSuite, fs: FeatureSet, customers: pd.Index, *, top: int = 3,
                          language: str = "en") -> pd.DataFrame:
    """The model's reasons for ``customers``: columns ``reasons``, ``changes`` and ``causes`` of
    :func:`~churnguard.compute.predict.reasons.explain` (per-feature contributions cost ~0.5 ms a
    customer). A customer with a single purchase is judged against the median usual gap between
    purchases of all the feature set's customers."""
    Xr = fs.X.loc[fs.X.index.intersection(customers)]
    if Xr.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("reasons", "changes", "causes")})
    contrib = suite.model.contributions(Xr)
    gaps = fs.X["usual_purchase_gap"].dropna() if "usual_purchase_gap" in fs.X.columns else pd.Series(dtype=float)
    return explain(contrib, Xr, fs.profile, top=top, language=language,
                   typical_gap=float(gaps.median()) if len(gaps) else None)


def customer_reasons(suite: ModelSuite, fs: FeatureSet, customers: pd.Index, *, top: int = 3,
                     language: str = "en") -> pd.Series:
    """The model's top reasons for ``customers`` as one list each (``reasons`` of
    :func:`customer_explanations`)."""
    found = customer_explanations(suite, fs, customers, top=top, language=language)
    return found["reasons"] if len(found) else pd.Series(dtype=object)


def expected_days_to_churn(probability: pd.Series, horizon_days: int) -> pd.Series:
    """Days to churn implied by a probability over the horizon under a constant hazard.

    ``-horizon / ln(1 - p)``: the mean of the exponential lifetime whose chance of ending within
    the horizon is ``p`` (a simple reading of the model's score, capped at ten years).
    """
    p = np.clip(probability.to_numpy(dtype="float64"), 1e-6, 1 - 1e-9)
    days = -horizon_days / np.log1p(-p)
    return pd.Series(np.minimum(days, 3650.0), index=probability.index)
