"""The learned threshold through the service, the CLI and the store, on DuckDB and PostgreSQL.

The rows are those of tests/compute/measure/test_threshold.py: 30 customers buy on 2024-01-01
and 2024-01-31 and stop, 10 bought once on 2024-12-21; with a 100-day return window the
learned threshold is 35 days.
"""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from churnguard.compute.measure import purchase_thresholds
from churnguard.compute.measure.status import store_thresholds, stored_thresholds
from churnguard.present.cli import app
from churnguard.schema import TRANSACTIONS
from churnguard.service import measure as svc
from churnguard.service.context import context_of
from churnguard.service.threshold import ThresholdOptions, threshold
from churnguard.service.workspace import update_settings
from churnguard.store import Workspace, load_rows
from churnguard.store.records import Records
from tests.conftest import call

runner = CliRunner()
AS_OF = date(2024, 12, 31)


def _tx(rows: list[tuple[str, str]], tag: str) -> pa.Table:
    schema = TRANSACTIONS.ibis_schema().to_pyarrow()
    names = ["record_key", *TRANSACTIONS.column_names]
    data = {n: [] for n in names}
    for i, (cid, day) in enumerate(rows):
        r = {"record_key": f"{tag}{i}", "customer_id": cid, "occurred_at": date.fromisoformat(day),
             "amount": 10.0, "quantity": 1.0}
        for n in names:
            data[n].append(r.get(n))
    return pa.table({n: pa.array(data[n], schema.field(n).type) for n in names})


def _load(ws: Workspace, rows, tag: str) -> None:
    t = _tx(rows, tag)
    load_rows(ws.store, TRANSACTIONS, t, kind="transactions", file=tag, encoding=None, rows_read=t.num_rows)


@pytest.fixture
def shop(workspace: Workspace):
    rows = [(f"a{i:02}", d) for i in range(30) for d in ("2024-01-01", "2024-01-31")]
    rows += [(f"b{i:02}", "2024-12-21") for i in range(10)]
    _load(workspace, rows, "t")
    update_settings(context_of(workspace), {"churn.return_window_days": "100", "language": "en"})
    workspace.settings = Workspace.open(workspace.path).settings
    return workspace


def test_threshold_command_prints_the_curve_and_the_choice(shop):
    d = call(shop.path, threshold, ThresholdOptions(), as_of=AS_OF).to_dict()
    chosen = [r for r in d["data"] if r["chosen"]]
    assert [(r["segment"], r["gap_days"]) for r in chosen] == [("(overall)", 35)]
    assert d["threshold_overall_days"] == 35
    assert d["thresholds"] == [{"segment": "(no segment)", "threshold_days": 35, "source": "overall", "customers": 40}]
    res = runner.invoke(app, ["threshold", "-w", str(shop.path), "--as-of", "2024-12-31", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["threshold_overall_days"] == 35
    res = runner.invoke(app, ["threshold", "-w", str(shop.path), "--by", "region"])
    assert res.exit_code != 0 and "--by" in res.output and "Traceback" not in res.output


def test_a_run_s_threshold_stays_in_force_until_asked_to_learn_again(shop):
    churn = shop.settings.churn
    learned = purchase_thresholds(Records.from_store(shop.store), churn, AS_OF)
    store_thresholds(shop.store, learned, churn, AS_OF)  # what 'churnguard run' does
    assert stored_thresholds(shop.store, churn, AS_OF).default == 35
    assert stored_thresholds(shop.store, churn, date(2024, 12, 30)) is None  # nothing learned later is used
    before = call(shop.path, svc.churn_rate, svc.ChurnRateOptions(), as_of=AS_OF).to_dict()
    # a late import: every 'a' customer also bought on 2024-03-20, 49 days after 01-31
    _load(shop, [(f"a{i:02}", "2024-03-20") for i in range(30)], "late")
    after = call(shop.path, svc.churn_rate, svc.ChurnRateOptions(), as_of=AS_OF).to_dict()
    nc = after["definition"]["non_contractual"]
    assert nc["threshold_origin"] == "stored" and nc["threshold_overall_days"] == 35
    assert "stored with the last 'churnguard run'" in nc["threshold_source"]
    again = call(shop.path, svc.churn_rate, svc.ChurnRateOptions(rethreshold=True), as_of=AS_OF).to_dict()
    nc2 = again["definition"]["non_contractual"]
    assert nc2["threshold_origin"] == "computed" and nc2["threshold_overall_days"] > 35
    assert before["definition"]["non_contractual"]["threshold_overall_days"] == 35
    res = runner.invoke(app, ["churn-rate", "-w", str(shop.path), "--as-of", "2024-12-31", "--rethreshold", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["definition"]["non_contractual"]["threshold_origin"] == "computed"


def test_churn_rate_reports_reactivations_and_warns_when_too_many_come_back(shop):
    d = call(shop.path, svc.churn_rate, svc.ChurnRateOptions(), as_of=AS_OF).to_dict()
    assert d["reactivation_share"] in (0.0, None) and d["reactivation_warning"] is None
    update_settings(context_of(shop), {"churn.threshold_days": "20"})  # shorter than the 30-day gap of 'a'
    d = call(shop.path, svc.churn_rate, svc.ChurnRateOptions(), as_of=AS_OF).to_dict()
    # every 'a' is lost on 2024-01-21 and back on 01-31, lost again on 02-20: 30 of 60 losses return
    assert d["reactivation_limit"] == 0.2
    q1 = d["data"][0]
    assert q1["reactivated"] == 30 and q1["reactivated_per_lost"] == 0.5
    assert d["reactivation_share"] == 0.5
    assert d["reactivation_warning"]["en"].startswith("50% of the customers counted lost bought again later")
    assert d["reactivation_warning"]["zh"].startswith("被计为流失的客户中有 50% 之后又购买了")
    assert d["reactivation_warning"]["en"] in d["warnings"]
    res = runner.invoke(app, ["churn-rate", "-w", str(shop.path), "--as-of", "2024-12-31", "--json"])
    out = json.loads(res.output)
    assert out["reactivation_share"] == d["reactivation_share"]


def test_churnguard_run_stores_the_threshold_it_used(tmp_path):
    from churnguard.service import run as rsvc
    from churnguard.service.demo import DemoOptions, build_demo
    from tests.conftest import call

    path = tmp_path / "demo"
    build_demo(DemoOptions(path, customers=400, months=12, seed=3))
    result = call(path, rsvc.run).to_dict()
    assert "thresholds" in result["snapshots"]
    with Workspace.open(path) as ws:
        when = result["as_of"] if isinstance(result["as_of"], date) else date.fromisoformat(str(result["as_of"]))
        stored = stored_thresholds(ws.store, ws.settings.churn, when)
        learned = purchase_thresholds(Records.from_store(ws.store), ws.settings.churn, when)
    assert stored is not None and stored.origin == "stored"
    assert (stored.mode, stored.default, stored.by_segment) == (learned.mode, learned.default, learned.by_segment)
    d = call(path, svc.churn_rate, svc.ChurnRateOptions()).to_dict()
    assert d["definition"]["non_contractual"]["threshold_origin"] == "stored"
