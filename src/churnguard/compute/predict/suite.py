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
from churnguard.compute.predict.reasons import reason_codes
from churnguard.compute.predict.training import TrainingSet, build_training_set
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

    def to_dict(self) -> dict[str, Any]:
        """How the suite was trained (dates, rows, sample, hold-out figures, top features)."""
        return {"as_of": self.as_of.isoformat(), **self.training}


def train_suite(records: Records, settings: Settings, as_of: date, *, first_data_date: date | None = None,
                training: TrainingSet | None = None) -> ModelSuite:
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
    return ModelSuite(as_of, model, baseline, heuristic, info)


def score_customers(suite: ModelSuite, fs: FeatureSet, *, top: int = 3, language: str = "en",
                    reasons: bool = True, reasons_for: pd.Index | None = None) -> pd.DataFrame:
    """Every active customer's probability from each scorer, with the model's reasons.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``; columns ``probability`` (the calibrated model),
        ``baseline_probability``, ``heuristic_probability``, ``reasons`` (list of
        ``{"family", "contribution", "code", "text", "values"}``; only for ``reasons_for`` when
        given, an empty list for the others) and ``top_reason`` (its text).
    """
    X = fs.X
    out = pd.DataFrame(index=X.index)
    if X.empty:
        for c in ("probability", "baseline_probability", "heuristic_probability", "reasons", "top_reason"):
            out[c] = pd.Series(dtype="object")
        return out
    out["probability"] = suite.model.predict_proba(X)[:, 1]
    out["baseline_probability"] = suite.baseline.predict_proba(X)[:, 1]
    out["heuristic_probability"] = suite.heuristic.predict_proba(X)[:, 1]
    if reasons:
        found = customer_reasons(suite, fs, X.index if reasons_for is None else reasons_for, top=top,
                                 language=language)
        out["reasons"] = found.reindex(X.index).map(lambda r: r if isinstance(r, list) else [])
        out["top_reason"] = out["reasons"].map(lambda r: r[0]["text"] if r else None)
    return out


def customer_reasons(suite: ModelSuite, fs: FeatureSet, customers: pd.Index, *, top: int = 3,
                     language: str = "en") -> pd.Series:
    """The model's top reasons for ``customers`` (per-feature contributions cost ~0.5 ms a customer)."""
    Xr = fs.X.loc[fs.X.index.intersection(customers)]
    if Xr.empty:
        return pd.Series(dtype=object)
    contrib = suite.model.contributions(Xr)
    return reason_codes(contrib, Xr, fs.profile, top=top, language=language)


def expected_days_to_churn(probability: pd.Series, horizon_days: int) -> pd.Series:
    """Days to churn implied by a probability over the horizon under a constant hazard.

    ``-horizon / ln(1 - p)``: the mean of the exponential lifetime whose chance of ending within
    the horizon is ``p`` (a simple reading of the model's score, capped at ten years).
    """
    p = np.clip(probability.to_numpy(dtype="float64"), 1e-6, 1 - 1e-9)
    days = -horizon_days / np.log1p(-p)
    return pd.Series(np.minimum(days, 3650.0), index=probability.index)
