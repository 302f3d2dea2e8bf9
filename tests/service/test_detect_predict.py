"""Detection and prediction use cases end to end on a small simulated company."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from churnguard.compute.detect import Records, lost_within
from churnguard.compute.predict.early import longest_threshold
from churnguard.compute.predict.features import index_days
from churnguard.errors import ChurnguardError, InputError
from churnguard.service import at_risk as rsk
from churnguard.service import backtest as bsvc
from churnguard.service import detect as dsvc
from churnguard.service import run as rsvc
from churnguard.service import survival as ssvc
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.service.scoring import first_data_date
from churnguard.settings import SETTINGS_FILE, render_settings
from churnguard.store import Workspace, read_snapshot, snapshot_dates
from tests.conftest import call

BACKTEST_KEYS = {"roc_auc", "pr_auc", "lift_at_10pct", "precision_at_10pct", "recall_at_10pct", "brier"}


def small_model(path: Path) -> None:
    """Few observation dates and trees: unit tests stay quick on two shared cores."""
    with Workspace.open(path) as ws:
        s = ws.settings
    s.model.observation_dates = 3
    s.model.observation_spacing_days = 45
    s.model.trees = 30
    s.model.threads = 1
    (path / SETTINGS_FILE).write_text(render_settings(s), encoding="utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("detect") / "demo"
    build_demo(DemoOptions(path, customers=1200, months=24, seed=4))
    small_model(path)
    return path


def test_defectors_with_evidence(demo):
    r = call(demo, dsvc.defectors, dsvc.DefectorOptions())
    d = r.to_dict()
    assert d["as_of"] == "2026-09-30" and d["as_of_source"] == "last date in the data"
    assert d["counts"]["complete"] > 50 and d["count"] == sum(d["counts"].values())
    row = d["data"][0]
    assert set(row) >= {"customer_id", "kind", "rules", "lost_at", "evidence", "evidence_text"}
    assert row["evidence"][0]["text"] and row["evidence"][0]["code"]
    assert d["definition"]["threshold_days"] == "auto"
    partial = call(demo, dsvc.defectors, dsvc.DefectorOptions(kind="partial")).to_dict()
    assert all(x["kind"] == "partial" for x in partial["data"])
    with pytest.raises(InputError, match="complete or partial"):
        dsvc.DefectorOptions(kind="gone")


def test_signals_listed_with_rules(demo):
    d = call(demo, dsvc.signals, dsvc.SignalOptions(), as_of=date(2026, 6, 30)).to_dict()
    assert [r["rule"] for r in d["rules"]] == ["contact_drop", "renewal_silence", "unsubscribed", "complaint",
                                               "satisfaction", "spend_trend", "chain", "price_exposure"]
    assert d["count"] > 0 and all(x["signal_count"] >= 1 for x in d["data"])
    only = call(demo, dsvc.signals, dsvc.SignalOptions(rule="unsubscribed"), as_of=date(2026, 6, 30)).to_dict()
    assert only["count"] == next(r["fired"] for r in d["rules"] if r["rule"] == "unsubscribed")


def test_run_then_at_risk(demo):
    result = call(demo, rsvc.run).to_dict()
    assert set(result["snapshots"]) >= {"value", "defectors", "signals", "scores"}
    assert result["counts"]["scored"] == result["counts"]["active"]
    # which scorer ranked the list is stored with the model and said by the run
    import json

    saved = json.loads((demo / "models" / "churn-2026-09-30.json").read_text(encoding="utf-8"))
    assert saved["model_kind"] == result["model"]["model_kind"] == "gradient_boosting"
    assert saved["model_choice"]["method"] == "replay"
    with Workspace.open(demo) as ws:
        assert snapshot_dates(ws.store, "scores") == [date(2026, 9, 30)]
        # the seasonality the run judged by, kept for the customer pages' spend charts
        index = read_snapshot(ws.store, "seasonal_index").to_pandas()
        assert len(index) == index_days(ws.settings) and index["day"].nunique() == len(index)
        assert abs(index["spend_weight"].mean() - 1) < 0.05 and index["spend_weight"].std() > 0
    risk = call(demo, rsk.at_risk, rsk.AtRiskOptions(top=5)).to_dict()
    assert risk["count"] == 5 and [r["rank"] for r in risk["data"]] == [1, 2, 3, 4, 5]
    vals = [r["value_at_risk"] for r in risk["data"]]
    assert vals == sorted(vals, reverse=True)
    top = risk["data"][0]
    assert abs(top["value_at_risk"] - top["probability"] * top["expected_value"]) < 1e-6
    assert top["value_source"] == "clv"  # the value step ran first and stored its snapshot
    assert top["reasons"] and all(r["text"] and r["contribution"] > 0 for r in top["reasons"])
    # what a customer is (its revenue level, tenure, segment …) is never a reason to act on
    every = call(demo, rsk.at_risk, rsk.AtRiskOptions(top=100)).to_dict()["data"]
    families = {r["family"] for row in every for r in row["reasons"]}
    assert families and not families & {"value", "tenure", "relationship", "profile"}
    # the same reasons in two lists, stored with the scores: what changed and the likely cause
    for row in every:
        both = row["changes"] + row["causes"]
        assert all(r in both for r in row["reasons"])
        assert {r["family"] for r in row["changes"]} <= {"recency", "frequency", "spend", "breadth", "contact"}
        assert not row["reasons"] or row["causes"]  # a customer with reasons has causes, or "cause unknown"
        assert all("?" not in r["text"] for r in both)
    causes = [c for row in every for c in row["causes"]]
    assert any(c["code"] == "cause_unknown" for c in causes) and any(c["code"] != "cause_unknown" for c in causes)
    with Workspace.open(demo) as ws:
        stored = read_snapshot(ws.store, "scores").to_pandas()
    assert {"reasons", "changes", "causes"} <= set(stored.columns)
    assert [row["name"] for row in every[:5]] == [row["name"] for row in risk["data"]]
    assert all(isinstance(row["name"], str) and row["name"] for row in every)  # the demo names everyone
    big = call(demo, rsk.at_risk, rsk.AtRiskOptions(top=3, min_value=50_000)).to_dict()
    assert all(r["expected_value"] >= 50_000 for r in big["data"])
    summary = call(demo, rsk.top_at_risk, rsk.TopOptions(n=3))
    assert [s["customer_id"] for s in summary] == [r["customer_id"] for r in risk["data"][:3]]
    assert all(isinstance(t, str) for s in summary for t in s["reasons"])


def test_early_training_set_shares_the_main_sets_dates_and_features(demo, monkeypatch):
    # the early-warning rows are the main training set's rows of the same dates (the customers
    # not yet overdue whose outcome is known), not features built again a day apart
    from churnguard.compute.predict import training

    with Workspace.open(demo) as ws:
        records, s, first = Records.from_store(ws.store), ws.settings, first_data_date(ws.store)
        as_of = date(2026, 9, 30)
        main = training.build_training_set(records, s, as_of, first_data_date=first)
        built = []
        real = training.features_as_of
        monkeypatch.setattr(training, "features_as_of", lambda *a, **k: built.append(a[2]) or real(*a, **k))
        early = training.build_early_training_set(records, s, as_of, first_data_date=first, main=main)
    assert early is not None and early.sample == main.sample
    assert built == []  # every date's features came from the main set
    assert early.dates == [d for d in main.dates if d != max(main.dates)]  # the newest has no known outcome yet
    assert len(early.dates) >= 2 and set(early.X.index).issubset(main.X.index)
    same = main.X.loc[early.X.index, early.X.columns]
    pd.testing.assert_frame_equal(early.X, same)
    assert early.y.sum() >= 10 and 0 < early.y.mean() < 1


def test_backtest_against_what_happened(demo):
    d = call(demo, bsvc.backtest).to_dict()
    with Workspace.open(demo) as ws:
        records = Records.from_store(ws.store)
        longest = longest_threshold(records, ws.settings.churn, date(2026, 9, 30))
        # the latest date whose early warnings' outcome is known: data end - horizon - threshold
        when = date(2026, 9, 30) - timedelta(days=90 + longest)
        truth = lost_within(records, ws.settings.churn, when, 90).to_pandas()
    assert d["as_of"] == when.isoformat() and d["horizon_days"] == 90
    for name in ("model", "baseline", "heuristic"):
        assert BACKTEST_KEYS <= set(d[name])
        assert len(d[name]["calibration"]) == 10
        # the same figures for the customers who were not yet overdue on the date
        assert BACKTEST_KEYS <= set(d["early"][name])
    assert d["n_customers"] == len(truth) and d["n_lost"] == int(truth["lost"].sum())
    assert d["model"]["roc_auc"] > 0.8
    # contracts, contacts, complaints: the trees rank the replayed newest training date better
    # than the baseline, so they are kept, and no warning is due
    choice = d["training"]["model_choice"]
    assert choice["method"] == "replay" and choice["held_out_date"] == d["training"]["observation_dates"][0]
    assert choice["gradient_boosting"]["roc_auc"] >= choice["logistic_baseline"]["roc_auc"]
    assert d["model_kind"] == "gradient_boosting" and d["model_choice"] is None and d["in_use"] == d["model"]
    assert d["warnings"] == [] and d["model"]["roc_auc"] >= d["baseline"]["roc_auc"]
    assert all(o < when.isoformat() for o in d["training"]["observation_dates"])
    early = d["early"]
    assert 0 < early["n_lost"] < early["n_customers"] <= early["not_yet_overdue"] < d["n_customers"]
    assert early["judged_through"] == "2026-09-30" and early["undetermined"] == 0 and "note" not in early
    assert d["lead_time_days"] == early["lead_time_days"] and early["lead_time_days"] > 0
    with pytest.raises(InputError, match="not known yet"):
        call(demo, bsvc.backtest, as_of=date(2026, 8, 1))
    # a later date: whose departure the data cannot show yet is left out, and the output says so
    late = call(demo, bsvc.backtest, as_of=date(2026, 7, 2)).to_dict()["early"]
    assert late["undetermined"] > 0 and "note" in late


def test_at_risk_marks_and_lists_early_warnings(demo):
    call(demo, rsvc.run)
    every = call(demo, rsk.at_risk, rsk.AtRiskOptions(top=100_000)).to_dict()
    kinds = {r["warning"] for r in every["data"]}
    assert kinds == {"early", "overdue"}
    for r in every["data"]:
        # an early warning has its own probability; an overdue customer none
        assert (r["early_probability"] is not None) == (r["warning"] == "early")
    early = call(demo, rsk.at_risk, rsk.AtRiskOptions(top=10, early=True)).to_dict()
    assert early["count"] == 10 and early["matching"] == sum(r["warning"] == "early" for r in every["data"])
    assert all(r["warning"] == "early" for r in early["data"])
    vals = [r["early_value_at_risk"] for r in early["data"]]
    assert vals == sorted(vals, reverse=True) and [r["rank"] for r in early["data"]] == list(range(1, 11))
    nxt = call(demo, rsk.at_risk, rsk.AtRiskOptions(top=10, offset=10, early=True)).to_dict()
    assert nxt["data"][0]["early_value_at_risk"] <= vals[-1] and nxt["data"][0]["rank"] == 11


def test_survival_by_customer_type(demo):
    d = call(demo, ssvc.survival, ssvc.SurvivalOptions(by="customer_type"))
    assert {g["group"] for g in d["groups"]} == {"key", "regular"}
    for g in d["groups"]:
        assert 0 < g["retained_365d"] <= g["retained_90d"] <= 1
    assert d["expected_remaining_days"]["mean"] > 0
    with pytest.raises(InputError, match="unknown group"):
        ssvc.SurvivalOptions(by="colour")


def test_at_risk_before_any_run(tmp_path):
    Workspace.init(tmp_path / "empty").close()
    with pytest.raises(ChurnguardError, match="churnguard run"):
        call(tmp_path / "empty", rsk.at_risk, rsk.AtRiskOptions())
