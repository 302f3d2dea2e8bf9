"""A churn model on a user's own labelled customer table (a CRM export with a churned column).

Many companies have exactly that: one row per customer, a yes/no churn column, numeric and
text columns mixed, blanks where a value is unknown. :func:`learn_preprocessing` decides what
each column is — from the data, not from its name alone — and says why:

* the id column (``--id``, else a column of unique text values or unique whole numbers whose
  name says id/number, or that counts 1, 2, 3 …) is kept for the output but never learned from;
* text columns with too many distinct values to learn from (names, free text) are dropped;
* columns that look like the target (their name contains the target's word, e.g. "Churn
  Reason" next to "Churn") or that alone predict it perfectly are dropped as leaks;
* numeric-looking text ("1,234.5", "¥12", " " for blank) becomes numbers, dates become day
  numbers, the rest are categories for LightGBM's categorical splits; constant columns go.

The target may be written yes/no, true/false, 1/0, y/n, 是/否, 流失/未流失 (any case).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect.words import say
from churnguard.compute.predict.models import ChurnModel, LogisticBaseline
from churnguard.errors import FitError, InputError
from churnguard.vocab import MONEY_NOISE

BLANKS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "无", "空"}
POSITIVE = {"yes", "y", "true", "t", "1", "1.0", "是", "churn", "churned", "lost", "流失", "已流失", "离网", "exited",
            "left", "attrited", "attrited customer", "churned customer", "cancelled", "canceled", "流失客户"}
NEGATIVE = {"no", "n", "false", "f", "0", "0.0", "否", "stay", "stayed", "retained", "active", "kept", "未流失",
            "留存", "在网", "existing", "existing customer", "current", "current customer", "非流失", "正常"}
_ID_NAME = re.compile(r"(^|[^a-z])(id|no|num|number|key|code)$|^id|编号|序号|号码|账号|id$", re.IGNORECASE)
_MONEY_NOISE = re.compile(MONEY_NOISE)


def _clean_text(s: pd.Series) -> pd.Series:
    """Text with surrounding spaces removed and the usual blank markers as missing."""
    t = s.astype("object").where(s.notna(), None)
    t = t.map(lambda v: None if v is None else str(v).strip())
    return t.map(lambda v: None if v is None or v.lower() in BLANKS else v)


def _to_number(t: pd.Series) -> pd.Series:
    """Numbers from text the way an import reads amounts (``vocab.MONEY_NOISE``: ¥1,234.50,
    ￥1，234, 56元), plus a percent sign and accounting negatives: (56.00) is -56."""
    s = t.astype("object").map(lambda v: None if v is None else _MONEY_NOISE.sub("", v))
    neg = s.map(lambda v: v is not None and len(v) > 2 and v[0] == "(" and v[-1] == ")")
    s = s.where(~neg, s.str[1:-1])
    pct = s.map(lambda v: v is not None and v[-1:] in ("%", "％"))
    s = s.where(~pct, s.str[:-1])
    out = pd.to_numeric(s, errors="coerce")
    out = out.where(~neg, -out)
    return out.where(~pct, out / 100.0)


def parse_target(values: pd.Series, column: str, positive: str | None = None) -> pd.Series:
    """0/1 from a churn column written in any of the usual ways; an error lists what it found.

    ``positive`` names the value that means churned when the column says it otherwise
    ("Attrited Customer", "Closed"); every other non-blank value then means kept.
    """
    t = _clean_text(values)
    low = t.map(lambda v: None if v is None else v.lower())
    if positive is not None:
        want = positive.strip().lower()
        if not (low == want).any():
            seen = sorted({str(v) for v in t.dropna()})[:8]
            raise InputError(f"target column {column!r}: no row says {positive!r} (--positive); "
                             f"it holds {', '.join(repr(v) for v in seen)}")
        pos, neg = {want}, set(low.dropna()) - {want}
    else:
        pos, neg = POSITIVE, NEGATIVE
    known = low.isna() | low.isin(pos) | low.isin(neg)
    if not known.all():
        odd = sorted({str(v) for v in t[~known]})[:8]
        held = sorted({str(v) for v in t.dropna()})[:8]
        raise InputError(
            f"target column {column!r}: cannot read {', '.join(repr(v) for v in odd)} as churned or not; "
            "write it as yes/no, true/false, 1/0 or 是/否, or say which value means churned with "
            f"--positive VALUE (the column holds {', '.join(repr(v) for v in held)})"
        )
    y = low.map(lambda v: None if v is None else (1 if v in pos else 0))
    if y.isna().any():
        raise InputError(
            f"target column {column!r}: {int(y.isna().sum())} row(s) have no value; fill them or drop those rows"
        )
    y = y.astype("int64")
    if y.nunique() < 2:
        raise FitError(f"target column {column!r}: every row says {'churned' if y.iloc[0] else 'not churned'}; "
                       "a model needs both")
    return y


@dataclass
class Preprocessing:
    """What each column of the user's table became; saved next to the model as JSON."""

    target: str
    id_column: str | None
    numeric: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    medians: dict[str, float] = field(default_factory=dict)
    positive_rate: float = float("nan")
    n_rows: int = 0

    @property
    def features(self) -> list[str]:
        """The columns the model learns from, in order."""
        return [*self.numeric, *self.dates, *self.categorical]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessing:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The feature table of ``df`` (numbers as float, dates as day numbers, categories as text)."""
        missing = [c for c in self.features if c not in df.columns]
        if missing:
            raise InputError(
                f"the table lacks column(s) the model was trained with: {', '.join(missing)}; "
                f"existing columns: {', '.join(map(str, df.columns))}"
            )
        out = {}
        for c in self.numeric:
            out[c] = _to_number(_clean_text(df[c])).astype("float64")
        for c in self.dates:
            out[c] = _to_days(_clean_text(df[c]))
        for c in self.categorical:
            out[c] = _clean_text(df[c]).astype("object")
        return pd.DataFrame(out, index=df.index)[self.features]


def _to_days(t: pd.Series) -> pd.Series:
    d = pd.to_datetime(t, errors="coerce", format="mixed")
    return ((d - pd.Timestamp("1970-01-01")).dt.days).astype("float64")


def _looks_like_dates(t: pd.Series) -> bool:
    sample = t.dropna().head(500)
    if sample.empty or not sample.map(lambda v: bool(re.match(r"^\d{4}[-/年.]\d{1,2}", v))).mean() > 0.95:
        return False
    return bool(pd.to_datetime(sample, errors="coerce", format="mixed").notna().mean() > 0.95)


def _word(name: str) -> str:
    """The main word of a column name, lower case (e.g. 'Churn Label' -> 'churn')."""
    words = [w for w in re.split(r"[^0-9a-z\u4e00-\u9fff]+", name.lower()) if w]
    skip = {"label", "value", "flag", "status", "is", "has", "yn", "target", "col"}
    words = [w for w in words if w not in skip] or words
    return max(words, key=len) if words else name.lower()


def learn_preprocessing(df: pd.DataFrame, target: str, id_column: str | None = None,
                        max_categories: int | None = None, *,
                        positive: str | None = None) -> tuple[Preprocessing, pd.Series]:
    """Decide what each column is; return the preprocessing and the 0/1 target.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read (text values).
    target : str
        The churn column.
    id_column : str, optional
        The customer id column; found automatically when omitted.
    max_categories : int, optional
        Text columns with more distinct values are dropped (default: the larger of 50 and a
        fifth of the rows).
    positive : str, optional
        The target value that means churned, when it is not one of the usual spellings.
    """
    if target not in df.columns:
        raise InputError(f"no target column {target!r}; existing columns: {', '.join(map(str, df.columns))}")
    if id_column is not None and id_column not in df.columns:
        raise InputError(f"no id column {id_column!r}; existing columns: {', '.join(map(str, df.columns))}")
    y = parse_target(df[target], target, positive)
    n = len(df)
    limit = max_categories or max(50, n // 5)
    prep = Preprocessing(target=target, id_column=id_column, positive_rate=float(y.mean()), n_rows=n)
    tword = _word(target)
    for c in df.columns:
        if c in (target, id_column):
            continue
        name = str(c)
        t = _clean_text(df[c])
        present = t.dropna()
        if len(tword) >= 3 and tword in name.lower():
            prep.dropped[name] = f"looks like the target (name contains {tword!r})"
            continue
        if present.empty or present.nunique() <= 1:
            prep.dropped[name] = "constant or empty"
            continue
        num = _to_number(t)
        numeric = num.notna().sum() >= 0.95 * len(present)
        unique = present.nunique() == len(present) and len(present) >= 0.9 * n
        if numeric:
            whole = bool(np.all(np.mod(num.dropna(), 1) == 0))
            consecutive = whole and unique and np.all(np.diff(np.sort(num.dropna().to_numpy())) == 1)
            if unique and whole and (consecutive or _ID_NAME.search(name)):
                prep.dropped[name] = "an id or row number (unique whole numbers)"
                if prep.id_column is None and not consecutive:
                    prep.id_column = name
                continue
            prep.numeric.append(name)
            prep.medians[name] = float(num.median())
            bad = int(t.notna().sum() - num.notna().sum())
            if bad:
                prep.dropped[f"{name} (values)"] = f"{bad} value(s) not numbers, read as blank"
            continue
        if unique:
            prep.dropped[name] = "an id (unique text values)"
            if prep.id_column is None:
                prep.id_column = name
            continue
        if _looks_like_dates(t):
            prep.dates.append(name)
            continue
        if present.nunique() > limit:
            prep.dropped[name] = f"text with {present.nunique():,} distinct values (names or free text)"
            continue
        prep.categorical.append(name)
    _drop_leaks(prep, df, y)
    if not prep.features:
        raise FitError(f"no usable column left to learn from; dropped: {prep.dropped}")
    return prep, y


def _drop_leaks(prep: Preprocessing, df: pd.DataFrame, y: pd.Series) -> None:
    """Drop columns that alone separate churned from kept rows (almost) perfectly: leaks."""
    from sklearn.metrics import roc_auc_score

    X = prep.transform(df)
    for c in list(prep.features):
        x = X[c]
        if c in prep.categorical:
            rate = y.groupby(x.fillna("(blank)")).mean()
            score = x.fillna("(blank)").map(rate).astype("float64")
        else:
            score = x.fillna(x.median() if x.notna().any() else 0.0)
        if score.nunique() < 2:
            continue
        auc = roc_auc_score(y, score)
        if max(auc, 1 - auc) >= 0.995:
            prep.dropped[c] = f"predicts the target alone (ROC AUC {max(auc, 1 - auc):.3f}): a leak"
            for lst in (prep.numeric, prep.dates, prep.categorical):
                if c in lst:
                    lst.remove(c)
            prep.medians.pop(c, None)


class TabularChurnModel:
    """Churn model for a user's own table: preprocessing, LightGBM and the logistic baseline.

    A user's table is often small (thousands of rows), and a fixed 300 trees of 31 leaves
    overfit it: on three public churn tables (IBM telco 7,043 rows, the C50/BigML telecom
    table 5,000, IBM HR attrition 1,470; docs/benchmarks.md) the 5-fold ROC AUC was
    0.835 / 0.921 / 0.800. Small trees (7 leaves, learning rate 0.03) added until the held-out
    rows stop improving give 0.849 / 0.918 / 0.810. From ``LARGE`` rows on, overfitting matters
    less and time more (5-fold training with up to 2,000 trees on 200,000 rows took 9 minutes):
    at most 500 trees of 31 leaves at 0.1.

    Parameters
    ----------
    n_estimators
        The most trees (default 2,000, or 500 from ``LARGE`` rows); early stopping on the
        held-out (calibration) fifth picks how many.
    learning_rate, num_leaves
        Passed to :class:`ChurnModel`; by default chosen from the table's size as above.
    n_jobs, random_state, early_stopping_rounds
        Passed to :class:`ChurnModel`.
    """

    LARGE = 20_000

    def __init__(self, n_estimators: int | None = None, learning_rate: float | None = None, num_leaves: int | None = None,
                 n_jobs: int = 2, random_state: int = 0, early_stopping_rounds: int = 100):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping_rounds = early_stopping_rounds

    def _new_model(self, categorical: list[str], n_rows: int) -> ChurnModel:
        large = n_rows >= self.LARGE
        return ChurnModel(n_estimators=self.n_estimators or (500 if large else 2000),
                          learning_rate=self.learning_rate or (0.1 if large else 0.03),
                          num_leaves=self.num_leaves or (31 if large else 7), max_depth=-1,
                          min_child_samples=20, n_jobs=self.n_jobs, random_state=self.random_state,
                          categorical=tuple(categorical), early_stopping_rounds=self.early_stopping_rounds)

    def fit(self, df: pd.DataFrame, target: str, id_column: str | None = None, *,
            positive: str | None = None) -> TabularChurnModel:
        """Learn the preprocessing and fit the model on every row; returns ``self``."""
        self.prep_, y = learn_preprocessing(df, target, id_column, positive=positive)
        X = self.prep_.transform(df)
        self.model_ = self._new_model(self.prep_.categorical, len(X)).fit(X, y)
        return self

    def cross_validate(self, df: pd.DataFrame, target: str, id_column: str | None = None,
                       folds: int = 5, *, positive: str | None = None) -> dict[str, Any]:
        """Stratified ``folds``-fold ROC AUC and PR AUC of the model and the logistic baseline.

        Returns the JSON shape of ``churnguard model train``: ``{"n_rows", "positive_rate",
        "model": {"roc_auc", "pr_auc"}, "baseline": {"roc_auc", "pr_auc"}, "folds", …}``.
        """
        from sklearn.metrics import average_precision_score, roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        prep, y = learn_preprocessing(df, target, id_column, positive=positive)
        X = prep.transform(df)
        if min(int(y.sum()), int((1 - y).sum())) < folds:
            raise FitError(f"{folds}-fold cross-validation needs at least {folds} churned and {folds} kept rows")
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        scores: dict[str, dict[str, list[float]]] = {k: {"roc_auc": [], "pr_auc": []} for k in ("model", "baseline")}
        trees = []
        for train, test in skf.split(X, y):
            m = self._new_model(prep.categorical, len(train)).fit(X.iloc[train], y.iloc[train])
            trees.append(m.n_trees_)
            b = LogisticBaseline(categorical=tuple(prep.categorical)).fit(X.iloc[train], y.iloc[train])
            for key, est in (("model", m), ("baseline", b)):
                p = est.predict_proba(X.iloc[test])[:, 1]
                scores[key]["roc_auc"].append(roc_auc_score(y.iloc[test], p))
                scores[key]["pr_auc"].append(average_precision_score(y.iloc[test], p))
        out: dict[str, Any] = {"n_rows": int(len(df)), "positive_rate": round(float(y.mean()), 4)}
        for key in ("model", "baseline"):
            out[key] = {m: round(float(np.mean(v)), 4) for m, v in scores[key].items()}
            out[key]["roc_auc_sd"] = round(float(np.std(scores[key]["roc_auc"])), 4)
        out["model"]["trees"] = int(np.median(trees))
        out["folds"] = folds
        out["features"] = prep.features
        out["id_column"] = prep.id_column
        out["dropped"] = prep.dropped
        return out

    def _check_fitted(self) -> None:
        from churnguard.errors import NotFittedError

        if not hasattr(self, "model_"):
            raise NotFittedError("this TabularChurnModel is not fitted yet; call fit(df, target) first")

    def score(self, df: pd.DataFrame, top: int = 3, language: str = "en") -> pd.DataFrame:
        """``id, probability, reasons`` for every row of ``df`` (reasons: the columns pushing risk
        up, said in ``language``, zh or en)."""
        self._check_fitted()
        X = self.prep_.transform(df)
        p = self.model_.predict_proba(X)[:, 1]
        contrib = self.model_.contributions(X).drop(columns="bias")
        values = contrib.to_numpy()
        order = np.argsort(-values, axis=1)[:, :top]
        reasons = []
        for i in range(len(X)):
            items = []
            for j in order[i]:
                if values[i, j] <= 0:
                    break
                col = contrib.columns[j]
                items.append(self._say(col, X.iloc[i][col], float(values[i, j]), language))
            reasons.append(items)
        ids = df[self.prep_.id_column].astype(str).to_numpy() if self.prep_.id_column in df.columns else np.arange(1, len(df) + 1).astype(str)
        return pd.DataFrame({"id": ids, "probability": np.round(p, 4), "reasons": reasons}, index=df.index)

    def _say(self, col: str, value: Any, contribution: float, language: str) -> dict[str, Any]:
        """One reason: ``{"column", "code", "text", "values", "contribution"}``, said in ``language``."""
        blank = value is None or (isinstance(value, float) and not np.isfinite(value))
        if blank:
            ev = say("column_blank", language, {"column": col})
        elif col in self.prep_.numeric:
            med = self.prep_.medians.get(col)
            code = "column_value" if med is None or value == med else "column_above" if value > med else "column_below"
            ev = say(code, language, {"column": col, "value": value, "median": med},
                     value=f"{value:,.4g}", median="" if med is None else f"{med:,.4g}")
        elif col in self.prep_.dates:
            day = f"{pd.Timestamp('1970-01-01') + pd.Timedelta(days=value):%Y-%m-%d}"
            ev = say("column_value", language, {"column": col, "value": day})
        else:
            ev = say("column_value", language, {"column": col, "value": str(value)})
        return {"column": col, **ev, "contribution": round(contribution, 4)}

    def save(self, directory: Path) -> Path:
        """Write ``model.joblib`` (the fitted model), ``model.txt`` (LightGBM's text format) and
        ``preprocessing.json`` into ``directory``; returns the folder."""
        import joblib

        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / "model.joblib.tmp"
        joblib.dump(self, tmp)
        tmp.replace(directory / "model.joblib")
        self.model_.booster_.booster_.save_model(str(directory / "model.txt"))
        (directory / "preprocessing.json").write_text(
            json.dumps(self.prep_.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return directory

    @classmethod
    def load(cls, directory: Path) -> TabularChurnModel:
        """Read a model written by :meth:`save`."""
        import joblib

        path = Path(directory) / "model.joblib"
        if not path.exists():
            raise InputError(f"{directory}: no trained model here; run 'churnguard model train --table FILE --target COLUMN' first")
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise InputError(f"{path}: not a churnguard table model")
        return model
