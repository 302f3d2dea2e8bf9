"""The same data and settings give the same scores, ranks, reasons and backtest figures on every run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from churnguard.compute.detect import Records
from churnguard.compute.predict.training import build_training_set
from churnguard.service import at_risk as risk
from churnguard.service import backtest as bsvc
from churnguard.service import run as rsvc
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.simulate import simulate
from churnguard.store import Workspace, read_snapshot
from churnguard.store.records import seeded_draw
from tests.conftest import call
from tests.service.test_detect_predict import small_model
from tests.simulated import load_tables


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("repro") / "demo"
    build_demo(DemoOptions(path, customers=800, months=24, seed=11))
    small_model(path)
    return path


def _scores(path: Path) -> pd.DataFrame:
    with Workspace.open(path) as ws:
        snap = read_snapshot(ws.store, "scores").to_pandas()
    return snap.sort_values("customer_id").reset_index(drop=True)


def test_two_runs_give_identical_scores_ranks_and_reasons(demo):
    call(demo, rsvc.run)
    first, top_first = _scores(demo), call(demo, risk.top_at_risk, risk.TopOptions(n=8))
    call(demo, rsvc.run)
    second, top_second = _scores(demo), call(demo, risk.top_at_risk, risk.TopOptions(n=8))
    assert len(first) > 300
    # exactly equal: probabilities to the last bit, the rank of every customer, every reason
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert top_first == top_second and len(top_first) == 8
    assert first["reasons"].str.len().gt(2).sum() > 0


def test_two_backtests_give_identical_figures(demo):
    a = call(demo, bsvc.backtest).to_dict()
    b = call(demo, bsvc.backtest).to_dict()
    assert a["model"]["roc_auc"] is not None
    assert a == b


def test_every_engine_samples_the_same_customers(workspace):
    sim = simulate(customers=400, months=12, seed=3)
    load_tables(workspace, sim.tables)
    records = Records.from_store(workspace.store)
    drawn = set(records.sampled(0.3, seed=5).customers.select("customer_id").to_pandas()["customer_id"])
    cu = sim.tables["customers"]
    key = cu["group_id"].where(cu["group_id"].notna(), cu["customer_id"])
    # the draw depends on the (group) key and the seed alone, never on the engine's own hash
    expected = set(cu.loc[seeded_draw(key, 5) < 0.3, "customer_id"])
    assert drawn == expected
    assert 0.15 * len(cu) < len(drawn) < 0.45 * len(cu)
    # whole groups at a time
    groups = cu.loc[cu["customer_id"].isin(drawn), "group_id"].dropna().unique()
    assert set(cu.loc[cu["group_id"].isin(groups), "customer_id"]) <= drawn


def test_every_engine_builds_the_same_training_rows_twice(workspace):
    sim = simulate(customers=400, months=18, seed=8)
    load_tables(workspace, sim.tables)
    s = workspace.settings.model_copy(deep=True)
    s.model.observation_dates = 3
    s.model.observation_spacing_days = 45
    as_of = sim.end

    def build():
        ts = build_training_set(Records.from_store(workspace.store), s, as_of)
        return ts.X, ts.y

    (x1, y1), (x2, y2) = build(), build()
    assert len(x1) > 300 and y1.sum() > 0
    # rows in (date, customer id) order and the same values to the last bit
    assert x1.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(x1, x2, check_exact=True)
    pd.testing.assert_series_equal(y1, y2)
