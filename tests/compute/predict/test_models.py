"""The scorers keep the scikit-learn contract; contributions add up to the score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.compute.predict import ChurnModel, LogisticBaseline, RecencyHeuristic
from churnguard.errors import FitError, InputError, NotFittedError


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 1500
    X = pd.DataFrame({
        "days_since_last_purchase": rng.exponential(40, n),
        "contacts_90d": rng.poisson(3, n).astype(float),
        "segment": rng.choice(["a", "b", "c"], n).astype(object),
    })
    X.loc[rng.random(n) < 0.1, "contacts_90d"] = np.nan
    logit = 0.04 * X["days_since_last_purchase"] - 0.5 * X["contacts_90d"].fillna(3) + (X["segment"] == "c") - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.mark.parametrize("cls", [ChurnModel, LogisticBaseline, RecencyHeuristic])
def test_not_fitted_then_fitted(cls, data):
    X, y = data
    est = cls() if cls is not ChurnModel else cls(n_estimators=20, n_jobs=1)
    with pytest.raises(NotFittedError):
        est.predict_proba(X)
    assert est.fit(X, y) is est
    p = est.predict_proba(X)
    assert p.shape == (len(X), 2) and np.allclose(p.sum(axis=1), 1)
    assert ((p >= 0) & (p <= 1)).all()


def test_model_learns_and_contributions_add_up(data):
    from sklearn.metrics import roc_auc_score

    X, y = data
    m = ChurnModel(n_estimators=40, num_leaves=7, n_jobs=1).fit(X, y)
    assert roc_auc_score(y, m.predict_proba(X)[:, 1]) > 0.75
    c = m.contributions(X)
    assert list(c.columns) == ["days_since_last_purchase", "contacts_90d", "segment", "bias"]
    assert np.allclose(c.sum(axis=1), m.decision_function(X), atol=1e-6)
    # sigmoid calibration keeps the ranking of the raw scores
    raw, p = m.decision_function(X), m.predict_proba(X)[:, 1]
    assert (np.argsort(raw, kind="stable") == np.argsort(p, kind="stable")).mean() > 0.99
    assert m.feature_importances_.index[0] == "days_since_last_purchase"


def test_unknown_category_and_missing_column(data):
    X, y = data
    m = ChurnModel(n_estimators=10, n_jobs=1).fit(X, y)
    new = X.head(3).copy()
    new["segment"] = ["zzz", None, "a"]
    assert m.predict_proba(new).shape == (3, 2)
    with pytest.raises(InputError, match="missing feature column"):
        m.predict_proba(X.drop(columns="contacts_90d"))


def test_errors_name_the_problem(data):
    X, y = data
    with pytest.raises(FitError, match="single class"):
        ChurnModel().fit(X, np.zeros(len(X)))
    with pytest.raises(InputError, match="calibration must be"):
        ChurnModel(calibration="magic").fit(X, y)
    with pytest.raises(InputError, match="needs column"):
        RecencyHeuristic(column="nope").fit(X, y)


def test_recency_heuristic_is_the_rate_per_recency_bin():
    X = pd.DataFrame({"days_since_last_purchase": [1, 2, 3, 4, 100, 101, 102, 103, np.nan, np.nan]})
    y = [0, 0, 0, 1, 1, 1, 1, 0, 1, 1]
    h = RecencyHeuristic(bins=2).fit(X, y)
    p = h.predict_proba(X)[:, 1]
    assert np.allclose(p, [0.25] * 4 + [0.75] * 4 + [1.0, 1.0])


def test_baseline_contributions_add_up_to_its_log_odds(data):
    """The logistic baseline explains itself like the trees: one contribution per feature
    (coefficient × (encoded value − mean), summed over a feature's encoded columns: the scaled
    value and its missing-value indicator, or its one-hot columns) plus a bias."""
    X, y = data
    b = LogisticBaseline().fit(X, y)
    c = b.contributions(X)
    assert list(c.columns) == ["days_since_last_purchase", "contacts_90d", "segment", "bias"]
    p = b.predict_proba(X)[:, 1]
    assert np.allclose(c.sum(axis=1), np.log(p / (1 - p)), atol=1e-8)
    # recency drives the churn risk here: the longest-absent customers get the largest recency push
    far = X["days_since_last_purchase"].idxmax()
    assert c.loc[far, "days_since_last_purchase"] == c["days_since_last_purchase"].max() > 0
