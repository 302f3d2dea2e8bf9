"""Training data: features at many past observation dates, labelled by what happened next.

At each observation date D the population is the customers active at D; the label is
whether they are lost (by the workspace's churn definition) ``horizon_days`` later, read from
the records known at D + horizon. An observation date is usable only when D + horizon is on
or before the date the model is trained for, so a model trained "as of" a date has seen
nothing after it — which is what makes the backtest honest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from churnguard.compute.detect.status import customer_status, lost_within, pin_thresholds
from churnguard.compute.predict.early import EARLY, decidable, early_outcome, longest_threshold, warning_kind
from churnguard.compute.predict.features import FeatureSet, features_as_of
from churnguard.errors import FitError
from churnguard.settings import Settings
from churnguard.store.records import Records


@dataclass
class TrainingSet:
    """Stacked features and labels of several observation dates.

    Attributes
    ----------
    X : pandas.DataFrame
        Features, index ``(observed_at, customer_id)``.
    y : pandas.Series
        1 when the customer was lost within the horizon.
    dates : list of date
        Observation dates, newest first.
    sample : float
        Share of the customers used.
    feature_sets : dict of date to FeatureSet
        The features of each observation date as built (of the sampled customers), so that the
        early-warning training set of the same dates reuses them instead of building them again.
    """

    X: pd.DataFrame
    y: pd.Series
    dates: list[date]
    sample: float
    feature_sets: dict[date, FeatureSet] = field(default_factory=dict, repr=False, compare=False)

    @property
    def observed_at(self) -> pd.Series:
        """The observation date of each row."""
        return pd.Series(self.X.index.get_level_values("observed_at"), index=self.X.index)


#: days of data an observation date needs before it (for the features' yearly windows to mean something)
MIN_HISTORY_DAYS = 180


def observation_dates(as_of: date, horizon_days: int, count: int, spacing_days: int,
                      first_data_date: date | None = None, min_history_days: int = MIN_HISTORY_DAYS) -> list[date]:
    """Past observation dates whose horizon ends by ``as_of``, newest first.

    Dates with less than ``min_history_days`` of data before them are dropped.
    """
    newest = as_of - timedelta(days=horizon_days)
    dates = [newest - timedelta(days=k * spacing_days) for k in range(count)]
    if first_data_date is not None:
        dates = [d for d in dates if (d - first_data_date).days >= min_history_days]
    return dates


def active_count(records: Records, settings: Settings, as_of: date) -> int:
    """How many customers are active at ``as_of`` (one number from the engine)."""
    st = customer_status(records, settings.churn, as_of)
    return int(st.filter(~st.lost).count().execute())


def sample_share(records: Records, settings: Settings, as_of: date, n_dates: int) -> float:
    """The share of customers that keeps the stacked training set near ``model.max_training_rows``."""
    active = max(active_count(records, settings, as_of), 1)
    return min(1.0, settings.model.max_training_rows / (active * max(n_dates, 1)))


def build_training_set(records: Records, settings: Settings, as_of: date, *, first_data_date: date | None = None,
                       dates: list[date] | None = None, sample: float | None = None) -> TrainingSet:
    """Features and labels at the observation dates before ``as_of``.

    Parameters
    ----------
    records : Records
    settings : Settings
        ``churn.horizon_days`` and ``model.observation_dates`` / ``observation_spacing_days`` /
        ``max_training_rows`` / ``seed``.
    as_of : date
        Nothing dated after it is read, labels included.
    first_data_date : date, optional
        The first date in the data; observation dates with too little history are skipped.
    dates : list of date, optional
        Explicit observation dates (each plus the horizon must not pass ``as_of``).
    sample : float, optional
        Share of customers; default from ``model.max_training_rows``.

    Raises
    ------
    FitError
        When no observation date fits, or the labels have only one class.
    """
    h = settings.churn.horizon_days
    m = settings.model
    if dates is None:
        dates = observation_dates(as_of, h, m.observation_dates, m.observation_spacing_days, first_data_date)
    late = [d for d in dates if d + timedelta(days=h) > as_of]
    if late:
        raise FitError(f"observation date {late[0]} plus the {h}-day horizon passes {as_of}: its outcome is unknown")
    if not dates:
        raise FitError(
            f"no observation date with a full {h}-day horizon before {as_of}; the data must cover at least "
            f"{h + MIN_HISTORY_DAYS} days before the date to train a churn model"
        )
    pin_thresholds(records, settings.churn, as_of)
    share = sample if sample is not None else sample_share(records, settings, as_of, len(dates))
    part = records.sampled(share, m.seed)
    frames, labels, built = [], [], {}
    for d in dates:
        fs = built[d] = features_as_of(records, settings, d, sample=share, seed=m.seed, evidence=False)
        lab = lost_within(part, settings.churn, d, h).to_pandas().set_index("customer_id")["lost"]
        X = fs.X
        y = lab.reindex(X.index).fillna(False).astype("int64")
        X = X.assign(observed_at=pd.Timestamp(d)).set_index("observed_at", append=True).swaplevel()
        y.index = X.index
        frames.append(X)
        labels.append(y)
    # rows in one order whatever order the engine returned them in: (date, customer id)
    X = pd.concat(frames).sort_index(kind="stable")
    y = pd.concat(labels).reindex(X.index)
    if y.empty:  # an as-of date long after the data: nobody to learn from
        raise FitError(
            f"no customer has features on the observation dates ({min(dates)} to {max(dates)}); "
            f"choose an as-of date nearer the data"
        )
    if y.nunique() < 2:
        raise FitError(
            f"the {len(y):,} training rows all have the same outcome ({'lost' if y.iloc[0] else 'kept'}); "
            "a churn model needs both kept and lost customers"
        )
    return TrainingSet(X, y, list(dates), share, built)


def build_early_training_set(records: Records, settings: Settings, as_of: date, *,
                             first_data_date: date | None = None, sample: float | None = None,
                             main: TrainingSet | None = None) -> TrainingSet | None:
    """Features and early-warning labels of the customers not yet overdue at past dates.

    At each observation date D the rows are the active customers that were not yet overdue
    (:func:`~churnguard.compute.predict.early.warning_kind`). (The main label needs the churn
    threshold to pass within the horizon, which a customer who bought recently cannot reach
    when the threshold is longer than the horizon: the main model learns nothing about them.)
    One model for contract customers and the others keeps one scale of probability across
    them (a mix of two models' probabilities ranked contract leavers below the other model's
    stayers on the 5,000-customer demo). The label is 1 when the customer's
    last purchase or the end of its contract cover fell within the horizon and it was declared
    lost by D + horizon + the longest threshold, 0 when it still bought or was covered after
    the horizon (customers already gone on D, or whose outcome is open, are left out). A
    customer enters a date's rows only when D + horizon + its own threshold is on or before
    ``as_of``, so nothing after ``as_of`` is read.

    The dates are the main training set's (:func:`observation_dates`) whose early outcome the
    records through ``as_of`` can show for some customer: the newest, whose horizon ends on
    ``as_of``, has none. Given the main training set (``main``, of the same ``as_of``), its
    features of those dates are reused, not built again: the same rows, the same customer
    sample.

    Returns None when no date fits or the labels have a single class: the suite then ranks the
    early customers with the main model.
    """
    h = settings.churn.horizon_days
    m = settings.model
    longest = longest_threshold(records, settings.churn, as_of)
    # a customer's outcome is known once its own threshold (at least the contracts' grace plus
    # one day) has passed after the horizon
    shortest = int(settings.churn.grace_days) + 1
    dates = observation_dates(as_of, h, m.observation_dates, m.observation_spacing_days, first_data_date)
    dates = [d for d in dates if d + timedelta(days=h + shortest) <= as_of]
    if not dates:
        return None
    pin_thresholds(records, settings.churn, as_of)
    if sample is None and main is not None:
        sample = main.sample
    share = sample if sample is not None else sample_share(records, settings, as_of, len(dates))
    reuse = main.feature_sets if main is not None and main.sample == share else {}
    part = records.sampled(share, m.seed)
    frames, labels = [], []
    for d in dates:
        fs = reuse.get(d)
        if fs is None:
            fs = features_as_of(records, settings, d, sample=share, seed=m.seed, evidence=False)
        through = min(d + timedelta(days=h + longest), as_of)
        ok = (warning_kind(fs.X) == EARLY) & decidable(fs.profile.reindex(fs.X.index), settings.churn, d, h, through)
        X = fs.X[ok.to_numpy()]
        out = early_outcome(part, settings.churn, d, h, through)["outcome"].reindex(X.index)
        keep = out.isin(["lost", "kept"]).to_numpy()
        X, y = X[keep], (out[keep] == "lost").astype("int64")
        X = X.assign(observed_at=pd.Timestamp(d)).set_index("observed_at", append=True).swaplevel()
        y.index = X.index
        frames.append(X)
        labels.append(y)
    X = pd.concat(frames).sort_index(kind="stable")
    y = pd.concat(labels).reindex(X.index)
    if y.nunique() < 2 or int(y.sum()) < 10:
        return None
    return TrainingSet(X, y, list(dates), share)
