"""Predict: features as of an observation date, the churn model, its reasons, backtests, survival.

Features are aggregations over stored records as of a date (no look-ahead); training stacks
many past observation dates labelled by what happened within the horizon; the gradient-boosted
:class:`ChurnModel` is reported next to a :class:`LogisticBaseline` and a
:class:`RecencyHeuristic`, so it must earn its place.
"""

from churnguard.compute.predict.features import FEATURES, FeatureSet, build_features, features_as_of
from churnguard.compute.predict.metrics import calibration_table, score_report, top_k
from churnguard.compute.predict.models import ChurnModel, LogisticBaseline, RecencyHeuristic
from churnguard.compute.predict.reasons import (
    CAUSE_FAMILIES,
    explain,
    family_contributions,
    reason_codes,
    split_reasons,
    top_family,
)
from churnguard.compute.predict.survival import RetentionCurves, retention_curves
from churnguard.compute.predict.tabular import (
    Preprocessing,
    TabularChurnModel,
    learn_preprocessing,
    parse_target,
)
from churnguard.compute.predict.training import TrainingSet, build_training_set, observation_dates

__all__ = [
    "CAUSE_FAMILIES",
    "explain",
    "FEATURES",
    "ChurnModel",
    "FeatureSet",
    "LogisticBaseline",
    "Preprocessing",
    "RecencyHeuristic",
    "RetentionCurves",
    "TabularChurnModel",
    "TrainingSet",
    "build_features",
    "build_training_set",
    "calibration_table",
    "family_contributions",
    "features_as_of",
    "learn_preprocessing",
    "observation_dates",
    "parse_target",
    "reason_codes",
    "split_reasons",
    "retention_curves",
    "score_report",
    "top_family",
    "top_k",
]
