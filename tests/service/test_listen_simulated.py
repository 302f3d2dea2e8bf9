"""Listening against the simulator's truth: satisfaction answers foretell churn, complainers
churn more than the customers who stay silent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from churnguard.compute.learn.surveys import latest_answers
from churnguard.service import complaints as csvc
from churnguard.service import surveys as ssvc
from churnguard.simulate import simulate
from churnguard.store import Workspace
from tests.conftest import call
from tests.simulated import load_tables


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """20,000 simulated customers over two years (complaints are rare: about 4% of the
    dissatisfied complain, so it takes a large company to see them)."""
    sim = simulate(customers=20_000, months=24, seed=7)
    path = tmp_path_factory.mktemp("listen") / "ws"
    with Workspace.init(path) as ws:
        load_tables(ws, sim.tables)
    return path, sim.truth, sim.tables


def test_churn_falls_as_satisfaction_rises(company) -> None:
    path, truth, tables = company
    d = call(path, ssvc.survey_report, ssvc.SurveyReportOptions()).to_dict()
    by = {r["level"]: r for r in d["churn_by_level"]}
    low_n = by[1]["customers"] + by[2]["customers"]
    low_rate = (by[1]["lost"] + by[2]["lost"]) / low_n
    assert low_n > 100 and by[5]["customers"] > 500
    # the dissatisfied (1–2) leave far more often than the very satisfied (5), beyond both intervals
    assert low_rate > by[3]["churn_rate"] > by[5]["churn_rate"]
    assert by[2]["ci"][0] > by[5]["ci"][1]
    # the same answers judged by the simulator's truth (left within the horizon after the answer)
    horizon, as_of = timedelta(days=d["horizon_days"]), pd.Timestamp(d["as_of"])
    latest = latest_answers(tables["surveys"])
    latest = latest[pd.to_datetime(latest["answered_at"]) + horizon <= as_of]
    m = latest.merge(truth[["customer_id", "churned", "churned_at"]], on="customer_id")
    when, answered = pd.to_datetime(m["churned_at"]), pd.to_datetime(m["answered_at"])
    m = m[~(m["churned"] & (when <= answered))]  # already gone when answering
    m["left"] = m["churned"] & (when <= answered + horizon)
    true_rate = m.groupby("satisfaction")["left"].mean()
    assert true_rate[[1, 2]].mean() > true_rate[5]
    for level in (5, 4, 3, 2):  # the churn definition agrees with the truth within a few points
        if by[level]["customers"] >= 150:
            assert by[level]["churn_rate"] == pytest.approx(true_rate[level], abs=0.06), level


def test_complainers_churn_more_than_the_silent(company) -> None:
    path, truth, tables = company
    d = call(path, csvc.complaints, csvc.ComplaintOptions(horizon_days=180)).to_dict()
    c = d["complainer_churn"]
    assert c["complainers"]["customers"] >= 80
    assert c["complainers"]["churn_rate"] > c["others"]["churn_rate"]
    assert c["difference"]["ci"][0] > 0  # the interval excludes no difference
    # the truth says the same of the customers who complained in the window
    q = tables["complaints"]
    opened = pd.to_datetime(q["opened_at"])
    who = set(q.loc[(opened >= c["from"]) & (opened <= c["to"]), "customer_id"])
    t = truth.set_index("customer_id")
    when = pd.to_datetime(t["churned_at"])
    alive = (pd.to_datetime(t["acquired_at"]) <= pd.Timestamp(c["from"])) & ~(t["churned"] & (when < c["from"]))
    left = t["churned"] & (when >= c["from"]) & (when <= c["outcome_at"])
    complained = t.index.isin(list(who))
    assert left[alive & complained].mean() > left[alive & ~complained].mean() + 0.05
    # the register: every complaint of the data, resolution times whole days, never negative
    assert d["summary"]["complaints"] == len(q) and d["count"] == len(q)
    days = [r["days_to_resolve"] for r in d["data"] if r["days_to_resolve"] is not None]
    assert days and min(days) >= 0
