"""The three scorers trained together as of a date, and the scores of the active customers.

:func:`train_suite` fits the churn model, the logistic baseline and the recency heuristic on
the same training set (observation dates whose horizon ends by the as-of date). The model's
trees learn from the older dates and its calibration from the newest one: an out-of-time
hold-out, like the date it will score. :func:`score_customers` gives every active customer
its probability from each scorer and the reasons of the scorer in use.

The scorer in use (``model_kind``) is the gradient-boosted model unless the logistic baseline
ranked a held-out date better (:func:`choose_model_kind`): on a short purchase log the learned
churn threshold still grows with every month of history, so what "lost" means moves between the
dates the trees learned from and the date they score, and the trees' sharp cut-points in
recency fail where the baseline's smooth slope holds (the CDNOW log, docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect.status import lost_within, thresholds_pinned_at
from churnguard.compute.predict.availability import present_sources, split_features
from churnguard.compute.predict.features import CATEGORICAL, FEATURES, FeatureSet
from churnguard.compute.predict.metrics import score_report
from churnguard.compute.predict.models import ChurnModel, LogisticBaseline, RecencyHeuristic, _row_ids
from churnguard.compute.predict.reasons import explain
from churnguard.compute.predict.training import TrainingSet, build_early_training_set, build_training_set
from churnguard.errors import FitError
from churnguard.settings import Settings
from churnguard.store.records import Records, seeded_draw

#: ``model_kind``: which scorer gives the probability, value at risk and reasons of a run
GRADIENT_BOOSTING = "gradient_boosting"
LOGISTIC_BASELINE = "logistic_baseline"
MODEL_KINDS = (GRADIENT_BOOSTING, LOGISTIC_BASELINE)


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
    #: the scorer in use (:data:`MODEL_KINDS`): the gradient-boosted model unless the baseline
    #: ranked a held-out date better
    model_kind: str = GRADIENT_BOOSTING

    def to_dict(self) -> dict[str, Any]:
        """How the suite was trained (dates, rows, sample, hold-out figures, top features, the
        scorer in use as ``model_kind`` and why as ``model_choice``)."""
        return {"as_of": self.as_of.isoformat(), "model_kind": self.kind, **self.training}

    @property
    def kind(self) -> str:
        """The scorer in use (a suite saved before the choice existed used the gradient-boosted model)."""
        return getattr(self, "model_kind", GRADIENT_BOOSTING)

    @property
    def in_use(self) -> ChurnModel | LogisticBaseline:
        """The fitted scorer in use."""
        return self.baseline if self.kind == LOGISTIC_BASELINE else self.model


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
    kind, choice = choose_model_kind(records, settings, ts, kept)
    info = {
        "observation_dates": [d.isoformat() for d in ts.dates],
        "rows": int(len(ts.y)),
        "positive_rate": round(float(ts.y.mean()), 4),
        "customer_sample": round(ts.sample, 4),
        "horizon_days": settings.churn.horizon_days,
        "calibration_holdout": holdout,
        "model_choice": choice,
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
    return ModelSuite(as_of, model, baseline, heuristic, info, early_model, model_kind=kind)


def _choice_split(records: Records, settings: Settings, ts: TrainingSet, X: pd.DataFrame
                  ) -> tuple[str, date | None, pd.DataFrame, pd.Series, pd.DataFrame, pd.Series] | None:
    """Rows to fit both scorers on and held-out rows to compare them on, known at ``as_of``.

    ``replay`` (preferred): the newest training date replayed as a backtest would judge it — both
    fitted on the dates whose outcome was known then, labelled with the thresholds known then, and
    judged with the newest date's own outcome (``lost_within(pinned=False)``, as the backtest
    does). ``in_time`` (too few dates for that): a seeded fifth of the customers held out.
    """
    h = settings.churn.horizon_days
    newest = max(ts.dates)
    older = [d for d in ts.dates if d + timedelta(days=h) <= newest]
    if older:
        part = records.sampled(ts.sample, settings.model.seed)
        ids = X.index.get_level_values("customer_id")
        when = X.index.get_level_values("observed_at")

        def labelled(d: date, pinned: bool = True) -> pd.Series:
            lab = lost_within(part, settings.churn, d, h, pinned=pinned).to_pandas()
            lab = lab.set_index("customer_id")["lost"].astype("int64")
            at = when == pd.Timestamp(d)
            rows = X.index[at][ids[at].isin(lab.index)]  # active at d by the thresholds then
            return pd.Series(lab.reindex(rows.get_level_values("customer_id")).to_numpy(), index=rows)

        with thresholds_pinned_at(records, settings.churn, newest):
            y_fit = pd.concat([labelled(d) for d in older])
        y_hold = labelled(newest, pinned=False)
        if y_fit.nunique() == 2 and y_hold.nunique() == 2:
            return "replay", newest, X.loc[y_fit.index], y_fit, X.loc[y_hold.index], y_hold
    hold = seeded_draw(_row_ids(X.index), settings.model.seed) < 0.2
    y = ts.y.reindex(X.index)
    if y[hold].nunique() == 2 and y[~hold].nunique() == 2:
        return "in_time", None, X[~hold], y[~hold], X[hold], y[hold]
    return None


def choose_model_kind(records: Records, settings: Settings, ts: TrainingSet, columns: list[str]
                      ) -> tuple[str, dict[str, Any]]:
    """The scorer to use: the gradient-boosted model, unless the logistic baseline ranks held-out
    customers better (higher ROC AUC) — with nothing after the as-of date read.

    The held-out rows are the newest training date replayed as a backtest would judge it (see
    :func:`_choice_split`); a workspace with too short a history for that compares them on a
    seeded fifth of the customers. Returns ``(model_kind, model_choice)``: ``model_choice`` holds
    the method, the held-out date, rows and lost, and each scorer's ROC AUC and PR AUC there.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    m = settings.model
    split = _choice_split(records, settings, ts, ts.X[columns])
    if split is None:
        return GRADIENT_BOOSTING, {"method": "none", "note": "too few rows of each outcome to compare the scorers"}
    method, held, X_fit, y_fit, X_hold, y_hold = split
    trees = ChurnModel(n_estimators=m.trees, learning_rate=m.learning_rate, num_leaves=m.num_leaves,
                       n_jobs=m.threads, random_state=m.seed, categorical=CATEGORICAL)
    # calibrated on the held-out rows: a monotone map, so the ranking compared is the trees' own
    trees.fit(X_fit, y_fit, calibration_X=X_hold, calibration_y=y_hold)
    base = LogisticBaseline(categorical=CATEGORICAL).fit(X_fit, y_fit)
    scores = {GRADIENT_BOOSTING: trees.decision_function(X_hold), LOGISTIC_BASELINE: base.predict_proba(X_hold)[:, 1]}
    figures = {k: {"roc_auc": round(float(roc_auc_score(y_hold, p)), 4),
                   "pr_auc": round(float(average_precision_score(y_hold, p)), 4)} for k, p in scores.items()}
    better = figures[LOGISTIC_BASELINE]["roc_auc"] > figures[GRADIENT_BOOSTING]["roc_auc"]
    kind = LOGISTIC_BASELINE if better else GRADIENT_BOOSTING
    return kind, {"method": method, "held_out_date": None if held is None else held.isoformat(),
                  "rows": int(len(y_hold)), "lost": int(y_hold.sum()), **figures}


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
        Index ``customer_id``; columns ``probability`` (the scorer in use, ``suite.kind``: the
        calibrated gradient-boosted model or the logistic baseline),
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
    out["baseline_probability"] = suite.baseline.predict_proba(X)[:, 1]
    out["probability"] = (out["baseline_probability"] if suite.kind == LOGISTIC_BASELINE
                          else suite.model.predict_proba(X)[:, 1])
    out = out[["probability", "baseline_probability"]]
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
    """The reasons of the scorer in use for ``customers``: columns ``reasons``, ``changes`` and ``causes`` of
    :func:`~churnguard.compute.predict.reasons.explain` (per-feature contributions cost ~0.5 ms a
    customer). A customer with a single purchase is judged against the median usual gap between
    purchases of all the feature set's customers."""
    Xr = fs.X.loc[fs.X.index.intersection(customers)]
    if Xr.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("reasons", "changes", "causes")})
    contrib = suite.in_use.contributions(Xr)
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
