"""The churn model, the baseline it must beat, and the simplest heuristic.

:class:`ChurnModel`
    Gradient-boosted trees (LightGBM) with calibrated probabilities and per-customer feature
    contributions (``pred_contrib``: TreeSHAP values in log-odds, no extra explainer library).
:class:`LogisticBaseline`
    Plain logistic regression on the same features (signed-log scaled, medians for blanks
    with missing-value indicators, one-hot categories).
:class:`RecencyHeuristic`
    Days since the last purchase alone: the churn rate observed at that recency in the
    training data.

All keep the scikit-learn contract: hyperparameters in ``__init__``, ``fit`` returns ``self``,
learned state ends in ``_``, predicting before fitting raises ``NotFittedError``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from churnguard.errors import FitError, InputError, NotFittedError
from churnguard.store.records import seeded_draw


def _check_xy(X: pd.DataFrame, y: object) -> tuple[pd.DataFrame, np.ndarray]:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"X must be a pandas DataFrame; got {type(X).__name__}")
    y = np.asarray(y).astype("int64")
    if len(y) != len(X):
        raise InputError(f"X has {len(X)} rows but y has {len(y)}")
    if len(np.unique(y)) < 2:
        raise FitError("the target has a single class; a churn model needs both churned and kept rows")
    return X, y


class _Prepared:
    """Column roles learned at fit: numeric columns as float, categories with a fixed vocabulary."""

    def __init__(self, X: pd.DataFrame, categorical: tuple[str, ...] | None):
        if categorical is None:
            categorical = tuple(c for c in X.columns if X[c].dtype == object or isinstance(X[c].dtype, pd.CategoricalDtype))
        self.columns = list(X.columns)
        self.categorical = [c for c in categorical if c in X.columns]
        self.categories = {
            c: sorted({str(v) for v in X[c].dropna().unique()}) for c in self.categorical
        }

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise InputError(f"missing feature column(s): {', '.join(missing)}; the model was fitted with {len(self.columns)} columns")
        out = {}
        for c in self.columns:
            if c in self.categories:
                # vectorised: text of every value, blanks stay missing, unseen values become missing
                values = X[c].astype("string").astype("object").where(X[c].notna(), None)
                out[c] = pd.Categorical(values, categories=self.categories[c])
            else:
                out[c] = pd.to_numeric(X[c], errors="coerce").astype("float64")
        return pd.DataFrame(out, index=X.index)


class ChurnModel:
    """Gradient-boosted churn model with calibrated probabilities and per-feature contributions.

    Parameters
    ----------
    n_estimators : int
        Number of trees.
    learning_rate : float
    num_leaves : int
        Leaves per tree.
    max_depth : int
        Depth limit of a tree (-1: none). Shallow trees keep the per-feature contributions
        cheap: TreeSHAP costs grow with the square of the depth.
    min_child_samples : int
        Fewest rows in a leaf (guards against fitting noise on small data).
    n_jobs : int
        Threads.
    random_state : int
        Seed of the row and column subsampling and of the calibration split.
    calibration : {"sigmoid", "isotonic"}
        How raw scores become probabilities, fitted on held-out rows: Platt's sigmoid keeps
        the ranking exactly; isotonic is more flexible but makes ties.
    early_stopping_rounds : int, optional
        Stop adding trees when the held-out (calibration) rows' log loss has not improved for
        this many rounds; ``n_estimators`` is then the most trees. For small tables, where a
        fixed number of trees overfits (see ``TabularChurnModel``).
    categorical : tuple of str, optional
        Columns to treat as categories (default: object and categorical columns).

    Attributes
    ----------
    booster_ : lightgbm.LGBMClassifier
    n_trees_ : int
        Trees used (fewer than ``n_estimators`` when early stopping stopped).
    calibrator_ : fitted on the calibration rows
    feature_names_ : list of str
    """

    def __init__(self, n_estimators: int = 300, learning_rate: float = 0.05, num_leaves: int = 31,
                 max_depth: int = 6, min_child_samples: int = 40, n_jobs: int = 2, random_state: int = 0,
                 calibration: str = "sigmoid", categorical: tuple[str, ...] | None = None,
                 early_stopping_rounds: int | None = None):
        self.early_stopping_rounds = early_stopping_rounds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.calibration = calibration
        self.categorical = categorical

    def _check_params(self) -> None:
        if self.calibration not in ("sigmoid", "isotonic"):
            raise InputError(f"calibration must be 'sigmoid' or 'isotonic'; got {self.calibration!r}")
        if int(self.n_estimators) < 1:
            raise InputError(f"n_estimators must be at least 1; got {self.n_estimators!r}")

    def fit(self, X: pd.DataFrame, y: object, *, calibration_X: pd.DataFrame | None = None,
            calibration_y: object = None) -> ChurnModel:
        """Fit the trees on ``X, y`` and the calibration on the calibration rows.

        Without calibration rows, a random fifth of ``X`` is held out for calibration.
        """
        import lightgbm as lgb

        self._check_params()
        X, y = _check_xy(X, y)
        self.prep_ = _Prepared(X, self.categorical)
        Xp = self.prep_.transform(X)
        if calibration_X is None:
            # held out by a seeded hash of the row's id, not its position: the same customers
            # whatever order the rows came in
            hold = seeded_draw(_row_ids(Xp.index), self.random_state) < 0.2
            if len(np.unique(y[hold])) < 2 or len(np.unique(y[~hold])) < 2:
                hold = np.zeros(len(Xp), bool)
            cal_X, cal_y = Xp[hold], y[hold]
            Xp, y = Xp[~hold], y[~hold]
        else:
            cal_X = self.prep_.transform(calibration_X)
            cal_y = np.asarray(calibration_y).astype("int64")
        self.booster_ = lgb.LGBMClassifier(
            n_estimators=int(self.n_estimators),
            learning_rate=self.learning_rate,
            num_leaves=int(self.num_leaves),
            max_depth=int(self.max_depth),
            min_child_samples=int(self.min_child_samples),
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            reg_lambda=1.0,
            n_jobs=int(self.n_jobs),
            random_state=self.random_state,
            deterministic=True,
            force_col_wise=True,
            verbose=-1,
        )
        fit_args: dict = {"categorical_feature": self.prep_.categorical or "auto"}
        if self.early_stopping_rounds and len(cal_X) and len(np.unique(cal_y)) == 2:
            # LightGBM 4.7 renamed eval_set to eval_X/eval_y (the old name warns)
            if "eval_X" in inspect.signature(lgb.LGBMClassifier.fit).parameters:
                fit_args.update(eval_X=(cal_X,), eval_y=(cal_y,))
            else:  # pragma: no cover - LightGBM < 4.7
                fit_args["eval_set"] = [(cal_X, cal_y)]
            fit_args["callbacks"] = [lgb.early_stopping(int(self.early_stopping_rounds), verbose=False)]
        self.booster_.fit(Xp, y, **fit_args)
        best = self.booster_.best_iteration_ if fit_args.get("callbacks") else 0
        self.n_trees_ = int(best or self.booster_.n_estimators_)
        self.feature_names_ = list(self.prep_.columns)
        self.calibrator_ = _fit_calibrator(self.calibration, self._raw(cal_X) if len(cal_X) else None,
                                           cal_y if len(cal_X) else None)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError("this ChurnModel is not fitted yet; call fit(X, y) first")

    def _raw(self, Xp: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(Xp, raw_score=True, num_iteration=self._trees(), num_threads=int(self.n_jobs))

    def _trees(self) -> int | None:
        # models saved before early stopping existed have no n_trees_: all their trees count
        return getattr(self, "n_trees_", None)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Raw scores (log-odds before calibration)."""
        self._check_fitted()
        return self._raw(self.prep_.transform(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 2)``: columns kept, lost."""
        raw = self.decision_function(X)
        p = _apply_calibrator(self.calibrator_, raw)
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each feature's contribution to each row's raw score (log-odds), plus ``bias``."""
        self._check_fitted()
        Xp = self.prep_.transform(X)
        values = self.booster_.predict(Xp, pred_contrib=True, num_iteration=self._trees(),
                                       num_threads=int(self.n_jobs))
        return pd.DataFrame(values, index=X.index, columns=[*self.feature_names_, "bias"])

    @property
    def feature_importances_(self) -> pd.Series:
        """Total gain of each feature's splits, largest first."""
        self._check_fitted()
        gain = self.booster_.booster_.feature_importance(importance_type="gain")
        return pd.Series(gain, index=self.feature_names_).sort_values(ascending=False)


def _row_ids(index: pd.Index) -> pd.Index:
    """The customer id of each row (the ``customer_id`` level when there is one) with the rest
    of a row's key, as text: what a seeded draw of rows is keyed on."""
    if isinstance(index, pd.MultiIndex):
        return pd.Index(["|".join(map(str, k)) for k in index])
    return pd.Index(index.astype(str))


def _fit_calibrator(kind: str, raw: np.ndarray | None, y: np.ndarray | None):
    if raw is None or y is None or len(np.unique(y)) < 2:
        return None
    if kind == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)


def _apply_calibrator(cal, raw: np.ndarray) -> np.ndarray:
    if cal is None:
        return 1.0 / (1.0 + np.exp(-raw))
    if hasattr(cal, "predict_proba"):
        return cal.predict_proba(raw.reshape(-1, 1))[:, 1]
    return cal.predict(raw)


def _one_thread():
    """Linear algebra on one thread: a multi-threaded BLAS adds in an order that varies, and the
    solver carries those last bits into coefficients that differ from run to run."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _signed_log(X: np.ndarray) -> np.ndarray:
    return np.sign(X) * np.log1p(np.abs(X))


class LogisticBaseline:
    """Plain logistic regression, the baseline the churn model must beat.

    Parameters
    ----------
    C : float
        Inverse regularisation strength.
    max_iter : int
    categorical : tuple of str, optional
        Columns to one-hot encode (default: object and categorical columns).
    max_rows : int, optional
        Fit on a random sample of at most this many rows (a linear model's coefficients settle
        long before hundreds of thousands of rows; the fit stays in seconds).
    random_state : int
        Seed of that sample.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 2000, categorical: tuple[str, ...] | None = None,
                 max_rows: int | None = 100_000, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.categorical = categorical
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: object) -> LogisticBaseline:
        """Fit the pipeline; returns ``self``."""
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline, make_pipeline
        from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

        X, y = _check_xy(X, y)
        self.prep_ = _Prepared(X, self.categorical)
        Xp = self._frame(X)
        numeric = [c for c in self.prep_.columns if c not in self.prep_.categories]
        # a category column without a single value (customers imported without a segment) has
        # nothing to encode: the imputer would drop it and leave the encoder no column at all
        cats = [c for c, values in self.prep_.categories.items() if values]
        transformers = []
        if numeric:
            transformers.append((
                "num",
                make_pipeline(FunctionTransformer(_signed_log), SimpleImputer(strategy="median", add_indicator=True,
                                                                             keep_empty_features=True),
                              StandardScaler()),
                numeric,
            ))
        if cats:
            transformers.append((
                "cat",
                make_pipeline(SimpleImputer(strategy="constant", fill_value="(blank)"),
                              OneHotEncoder(handle_unknown="ignore", min_frequency=5)),
                cats,
            ))
        self.pipeline_ = Pipeline([
            ("prep", ColumnTransformer(transformers)),
            ("logit", LogisticRegression(C=self.C, max_iter=self.max_iter)),
        ])
        if self.max_rows is not None and len(Xp) > self.max_rows:
            keep = np.random.default_rng(self.random_state).choice(len(Xp), int(self.max_rows), replace=False)
            keep = np.sort(keep)
            if len(np.unique(y[keep])) == 2:
                Xp, y = Xp.iloc[keep], y[keep]
        with _one_thread():
            self.pipeline_.fit(Xp, y)
            # the mean of each encoded column over the fitted rows: the reference a customer's
            # per-feature contributions are measured from (:meth:`contributions`)
            self.encoded_mean_ = np.asarray(self._encode(Xp).mean(axis=0)).ravel()
        return self

    def _encode(self, Xp: pd.DataFrame) -> np.ndarray:
        """The rows as the logistic regression sees them (scaled numbers, missing-value
        indicators, one-hot categories), dense."""
        Z = self.pipeline_.named_steps["prep"].transform(Xp)
        return Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z, dtype="float64")

    def _encoded_features(self) -> list[str]:
        """The input feature each encoded column comes from, in the encoded order."""
        out: list[str] = []
        for name, pipe, columns in self.pipeline_.named_steps["prep"].transformers_:
            if name == "num":
                imputer = pipe.named_steps["simpleimputer"]
                out += list(columns)
                if imputer.indicator_ is not None:
                    out += [columns[i] for i in imputer.indicator_.features_]
            elif name == "cat":
                encoder = pipe.named_steps["onehotencoder"]
                # the encoder's own count of output columns per input column (after grouping rare values)
                names = encoder.get_feature_names_out([f"{i}" for i in range(len(columns))])
                out += [columns[int(n.split("_", 1)[0])] for n in names]
        return out

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each feature's contribution to each row's log-odds, plus ``bias``: the same shape as
        :meth:`ChurnModel.contributions`, so reasons work whichever scorer is in use.

        A feature's contribution is the sum over its encoded columns of coefficient × (value −
        mean over the fitted rows); ``bias`` is the log-odds of the mean row. The row's log-odds
        is the sum of the row, exactly.
        """
        if not hasattr(self, "pipeline_"):
            raise NotFittedError("this LogisticBaseline is not fitted yet; call fit(X, y) first")
        logit = self.pipeline_.named_steps["logit"]
        coef = logit.coef_.ravel()
        with _one_thread():
            Z = self._encode(self._frame(X))
        parts = pd.DataFrame(coef * (Z - self.encoded_mean_), index=X.index, columns=self._encoded_features())
        out = parts.T.groupby(level=0, sort=False).sum().T.reindex(columns=self.prep_.columns, fill_value=0.0)
        out["bias"] = float(logit.intercept_[0] + coef @ self.encoded_mean_)
        return out

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        Xp = self.prep_.transform(X)
        for c in self.prep_.categories:
            Xp[c] = Xp[c].astype("object").where(Xp[c].notna(), np.nan)
        return Xp

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities, shape ``(n, 2)``."""
        if not hasattr(self, "pipeline_"):
            raise NotFittedError("this LogisticBaseline is not fitted yet; call fit(X, y) first")
        with _one_thread():
            return self.pipeline_.predict_proba(self._frame(X))


class RecencyHeuristic:
    """Days since the last purchase, and nothing else.

    The probability of a customer is the churn rate observed in the training rows whose
    recency fell in the same bin (``bins`` bins of equal size; customers who never bought
    have a bin of their own). No shape is imposed: whatever recency says, the heuristic says.

    Parameters
    ----------
    column : str
        The recency column.
    bins : int
        Number of recency bins.
    """

    def __init__(self, column: str = "days_since_last_purchase", bins: int = 20):
        self.column = column
        self.bins = bins

    def _recency(self, X: pd.DataFrame) -> np.ndarray:
        if self.column not in X.columns:
            raise InputError(f"the recency heuristic needs column {self.column!r}; existing: {', '.join(X.columns)}")
        return pd.to_numeric(X[self.column], errors="coerce").to_numpy(dtype="float64")

    def _bin(self, r: np.ndarray) -> np.ndarray:
        b = np.searchsorted(self.edges_, r, side="right")
        return np.where(np.isfinite(r), b, len(self.edges_) + 1)

    def fit(self, X: pd.DataFrame, y: object) -> RecencyHeuristic:
        """Learn the churn rate of each recency bin; returns ``self``."""
        X, y = _check_xy(X, y)
        r = self._recency(X)
        finite = r[np.isfinite(r)]
        qs = np.quantile(finite, np.linspace(0, 1, int(self.bins) + 1)[1:-1]) if len(finite) else np.array([])
        self.edges_ = np.unique(qs)
        b = self._bin(r)
        overall = float(np.mean(y))
        self.rates_ = np.full(len(self.edges_) + 2, overall)
        for k in np.unique(b):
            self.rates_[k] = float(np.mean(y[b == k]))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities, shape ``(n, 2)``."""
        if not hasattr(self, "rates_"):
            raise NotFittedError("this RecencyHeuristic is not fitted yet; call fit(X, y) first")
        p = self.rates_[self._bin(self._recency(X))]
        return np.column_stack([1 - p, p])
