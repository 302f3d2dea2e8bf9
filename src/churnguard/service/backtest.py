"""``churnguard backtest``: train on what was known at a past date, score that date, and compare
the warnings with what happened next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from churnguard.compute.detect import Records, lost_within
from churnguard.compute.predict import features_as_of, score_report
from churnguard.compute.predict.early import (
    EARLY,
    decidable,
    early_outcome,
    judged_through,
    lead_time_days,
    longest_threshold,
    warning_kind,
)
from churnguard.compute.predict.suite import (
    GRADIENT_BOOSTING,
    LOGISTIC_BASELINE,
    ModelSuite,
    customer_reasons,
    score_customers,
)
from churnguard.compute.predict.training import MIN_HISTORY_DAYS
from churnguard.errors import ChurnguardError, InputError, OptionError
from churnguard.service.common import last_data_date
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.service.scoring import (
    Step,
    first_data_date,
    model_choice_note,
    model_warnings,
    scorer_rows,
    train,
)
from churnguard.settings import Settings
from churnguard.store import Store


@dataclass
class BacktestOptions:
    """``churnguard backtest``: replay a past date (the context's as-of date; default: the latest
    whose outcome is known) and compare the warnings with what happened.

    ``horizon``: days ahead a departure counts (default: the workspace's ``churn.horizon_days``);
    ``flagged``: how many of the riskiest customers to list.
    """

    horizon: int | None = None
    flagged: int = 20

    def __post_init__(self) -> None:
        if self.horizon is not None and self.horizon < 1:
            raise OptionError("horizon", f"must be at least 1 day (got {self.horizon})")
        if self.flagged < 0:
            raise OptionError("flagged", f"must be at least 0 (got {self.flagged})")


@dataclass
class BacktestResult:
    """Scores as of a past date against who actually left within the horizon."""

    as_of: date
    horizon_days: int
    n_customers: int
    n_lost: int
    scorers: dict[str, dict[str, Any]]
    by_relationship: dict[str, dict[str, Any]]
    flagged: pd.DataFrame
    training: dict[str, Any]
    early: dict[str, Any] = field(default_factory=dict)
    model_kind: str = GRADIENT_BOOSTING
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # what the figures were computed from, for callers that look further (benchmarks)
    suite: ModelSuite | None = field(default=None, repr=False)
    features: Any = field(default=None, repr=False)
    scores: pd.DataFrame | None = field(default=None, repr=False)
    outcome: pd.Series | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "horizon_days", "n_customers", "n_lost", "lost_rate", "model", "baseline",
        "heuristic", "in_use", "model_kind", "model_choice", "warnings", "by_relationship", "early",
        "lead_time_days", "flagged", "training", "features_left_out"}``; each
        scorer has ``roc_auc``, ``pr_auc``, ``brier``, precision/recall/lift at the top 5/10/20%
        and ``calibration``. ``model`` is the gradient-boosted model; ``in_use`` the scorer the
        list was ranked by (``model_kind``: ``gradient_boosting`` or ``logistic_baseline``, chosen
        with what was known at the date; ``model_choice`` says in ``en`` and ``zh`` why the
        trees were set aside, None when they were not). ``warnings``:
        ``[{"code": "model_trails_baseline", "en", "zh", "model", "baseline"}]`` when the
        gradient-boosted model was in use and ranked worse than the baseline. ``early`` holds the same three scorers' figures on the customers not
        yet overdue on the date (``n_customers``, ``n_lost``, ``model``, ``baseline``,
        ``heuristic``, ``lead_time_days``, …; see :mod:`churnguard.compute.predict.early`).
        ``features_left_out`` lists the feature families the records cannot feed. ``data`` has
        one row per scorer and subset (``all``, ``early``) with its single figures, ``count`` them."""
        data = scorer_rows({"all": self.scorers, "early": self.early})
        return {
            "data": data,
            "count": len(data),
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.horizon_days,
            "n_customers": self.n_customers,
            "n_lost": self.n_lost,
            "lost_rate": round(self.n_lost / self.n_customers, 4) if self.n_customers else None,
            **self.scorers,
            "model_kind": self.model_kind,
            "model_choice": model_choice_note(self.training),
            "warnings": self.warnings,
            "by_relationship": self.by_relationship,
            "early": self.early,
            "lead_time_days": self.early.get("lead_time_days"),
            "flagged": rows_of(self.flagged),
            "training": self.training,
            "features_left_out": self.training.get("features_left_out", []),
        }


def backtest(ctx: Context, opts: BacktestOptions | None = None, step: Step | None = None) -> BacktestResult:
    """Train on what was known at a past date, score that date, and compare with what happened next.

    The date is ``ctx.as_of_given``. "Actually left" uses the same churn definition on the
    records after the date (never the simulator's truth). Without a date: the last date in the
    data minus the horizon and the longest churn threshold: the latest whose outcome is fully
    known, including the early warnings' (whose departures within the horizon are declared only
    a threshold later).
    """
    opts = opts or BacktestOptions()
    say = step or (lambda _m: None)
    store = ctx.store
    settings = ctx.settings
    if opts.horizon is not None:
        settings = settings.model_copy(deep=True)
        settings.churn.horizon_days = opts.horizon
    h = settings.churn.horizon_days
    last = last_data_date(store)
    if last is None:
        raise ChurnguardError("the workspace holds no dated records yet")
    records = Records.from_store(store)
    # the early warnings' outcome needs the records through date + horizon + threshold
    longest = longest_threshold(records, settings.churn, last)
    when = ctx.as_of_given or _default_backtest_date(store, last, h, longest)
    if when + timedelta(days=h) > last:
        raise InputError(
            f"--as-of {when}: its {h}-day outcome is not known yet (data end {last}); "
            f"choose {last - timedelta(days=h)} or earlier"
        )
    say(f"training on what was known at {when}")
    suite = train(store, settings, records, when)
    say("scoring and comparing with what happened")
    fs = features_as_of(records, settings, when, language=settings.language)
    scores = score_customers(suite, fs, reasons=False)
    y = lost_within(records, settings.churn, when, h, pinned=False).to_pandas().set_index("customer_id")["lost"]
    y = y.reindex(scores.index).fillna(False).astype("int64")
    # "model" is the gradient-boosted model's own figures whichever scorer is in use;
    # "in_use" those of the scores the worklist would have been ranked by
    trees = pd.Series(suite.model.predict_proba(fs.X)[:, 1], index=fs.X.index).reindex(scores.index)
    scorers = {
        "model": score_report(y, trees),
        "baseline": score_report(y, scores["baseline_probability"]),
        "heuristic": score_report(y, scores["heuristic_probability"]),
    }
    scorers["in_use"] = scorers["baseline" if suite.kind == LOGISTIC_BASELINE else "model"]
    warnings = model_warnings(suite.kind, scorers)
    early = _early_figures(records, settings, when, h, longest, last, fs, scores)
    by_rel = {}
    scores = scores.assign(model_probability=trees)
    rel = fs.profile["relationship"].reindex(scores.index)
    for name in sorted(rel.dropna().unique()):
        m = (rel == name).to_numpy()
        if len(np.unique(y[m])) == 2:
            by_rel[name] = {"n_customers": int(m.sum()), "n_lost": int(y[m].sum()), **{
                k: {x: v for x, v in score_report(y[m], scores.loc[m, c]).items() if x in ("roc_auc", "pr_auc", "brier")}
                for k, c in (("model", "model_probability"), ("baseline", "baseline_probability"),
                             ("heuristic", "heuristic_probability"))
            }}
    k = max(1, int(np.ceil(0.10 * len(scores))))
    flagged_ids = scores["probability"].sort_values(ascending=False, kind="stable").index[: min(k, opts.flagged)]
    found = customer_reasons(suite, fs, flagged_ids, top=settings.model.reasons, language=settings.language)
    found = found.reindex(flagged_ids)
    flagged = pd.DataFrame({
        "customer_id": flagged_ids,
        "probability": scores.loc[flagged_ids, "probability"].round(4).to_numpy(),
        "lost": y.loc[flagged_ids].astype(bool).to_numpy(),
        "top_reason": found.map(lambda r: r[0]["text"] if isinstance(r, list) and r else None).to_numpy(),
    })
    return BacktestResult(when, h, int(len(y)), int(y.sum()), scorers, by_rel, flagged, suite.to_dict(),
                          early=early, suite=suite, features=fs, scores=scores, outcome=y,
                          model_kind=suite.kind, warnings=warnings)


SCORERS = (("model", "probability"), ("baseline", "baseline_probability"), ("heuristic", "heuristic_probability"))


def _default_backtest_date(store: Store, last: date, h: int, longest: int) -> date:
    """The last date minus the horizon and the longest threshold — unless the history before that
    date is too short to train on (18 months of purchases and a learned threshold of ten months,
    as in the CDNOW log): then the earliest date the model can be trained for, and the early
    warnings' outcome is judged with the records there are (their customers whose fate the data
    do not yet show are counted as undetermined)."""
    wanted = last - timedelta(days=h + longest)
    first = first_data_date(store)
    if first is None:
        return wanted
    trainable = first + timedelta(days=h + MIN_HISTORY_DAYS)
    return min(max(wanted, trainable), last - timedelta(days=h))


def _early_figures(records: Records, settings: Settings, when: date, h: int, longest: int, last: date,
                   fs: Any, scores: pd.DataFrame) -> dict[str, Any]:
    """The backtest's figures on the customers who were not yet overdue on the date (see
    :mod:`churnguard.compute.predict.early`)."""
    kind = warning_kind(fs.X).reindex(scores.index)
    through = min(judged_through(when, h, longest), last)
    out = early_outcome(records, settings.churn, when, h, through).reindex(scores.index)
    outcome = out["outcome"].fillna("gone_before")
    early = kind == EARLY
    known = decidable(fs.profile.reindex(scores.index), settings.churn, when, h, through)
    outcome = outcome.where(known | (outcome == "gone_before"), "undetermined")
    judged = early & outcome.isin(["lost", "kept"])
    y = (outcome[judged] == "lost").astype("int64")
    figures: dict[str, Any] = {
        "n_customers": int(judged.sum()),
        "n_lost": int(y.sum()),
        "lost_rate": round(float(y.mean()), 4) if len(y) else None,
        "not_yet_overdue": int(early.sum()),
        "gone_before": int((early & (outcome == "gone_before")).sum()),
        "undetermined": int((early & (outcome == "undetermined")).sum()),
        "judged_through": through.isoformat(),
        "threshold_days": longest,
    }
    if through < judged_through(when, h, longest):
        figures["note"] = (f"the data end {last}, before {judged_through(when, h, longest)}: customers whose "
                           f"outcome is not known yet are left out; choose --as-of "
                           f"{last - timedelta(days=h + longest)} or earlier for the full picture")
    ids = y.index
    # the model's figures are those of the early-warning model where there is one
    early_scorers = (("model", "early_probability"), *SCORERS[1:])
    for name, col in early_scorers:
        figures[name] = score_report(y, scores.loc[ids, col]) if len(ids) else {}
    figures["lead_time_days"] = (lead_time_days(out.loc[ids, "days_to_end"], y == 1,
                                                scores.loc[ids, "early_probability"]) if len(ids) else None)
    figures["by_relationship"] = {}
    rel = fs.profile["relationship"].reindex(ids)
    for name in sorted(rel.dropna().unique()):
        m = (rel == name).to_numpy()
        if len(np.unique(y[m])) == 2:
            figures["by_relationship"][name] = {"n_customers": int(m.sum()), "n_lost": int(y[m].sum()), **{
                k: {x: v for x, v in score_report(y[m], scores.loc[ids[m], c]).items() if x in ("roc_auc", "pr_auc")}
                for k, c in early_scorers}}
    return figures

