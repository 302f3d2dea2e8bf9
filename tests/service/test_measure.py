"""The measure use cases and their CLI commands over a real workspace."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.schema import CONTRACTS, TRANSACTIONS
from churnguard.service import measure as svc
from churnguard.store import Workspace, load_rows
from tests.conftest import call

runner = CliRunner()


def _arrow(table, rows):
    schema = table.ibis_schema().to_pyarrow()
    names = ["record_key", *table.column_names]
    cols = {n: [r.get(n, f"k{i}" if n == "record_key" else None) for i, r in enumerate(rows)] for n in names}
    return pa.table({n: pa.array(cols[n], schema.field(n).type) for n in names})


@pytest.fixture
def ws(tmp_path):
    """A workspace: 4 contractual customers (one lost in 2024-Q2) and 2 buyers (one lost in Q1)."""
    path = tmp_path / "shop"
    w = Workspace.init(path)
    settings_file = path / "churnguard.toml"  # a fixed 90-day threshold, as a user would set it
    settings_file.write_text(settings_file.read_text().replace('threshold_days = "auto"', "threshold_days = 90"))
    contracts = [
        {"record_key": f"c{i}", "contract_id": f"c{i}", "customer_id": f"x{i}", "start_at": date(2023, 1, 1),
         "end_at": date(2024, 5, 15) if i == 0 else date(2025, 12, 31), "recurring_value": 1000.0}
        for i in range(4)
    ]
    tx = [
        {"customer_id": "a", "occurred_at": date(2023, 12, 1), "amount": 50.0, "quantity": 5.0},
        {"customer_id": "b", "occurred_at": date(2023, 12, 1), "amount": 50.0, "quantity": 5.0},
        {"customer_id": "b", "occurred_at": date(2024, 2, 1), "amount": 110.0, "quantity": 4.0},
        {"customer_id": "b", "occurred_at": date(2024, 4, 1), "amount": 60.0, "quantity": 4.0},
        {"customer_id": "b", "occurred_at": date(2024, 6, 1), "amount": 60.0, "quantity": 4.0},
    ]
    load_rows(w.store, CONTRACTS, _arrow(CONTRACTS, contracts), kind="contracts", file="c", encoding=None, rows_read=4)
    load_rows(w.store, TRANSACTIONS, _arrow(TRANSACTIONS, tx), kind="transactions", file="t", encoding=None, rows_read=5)
    w.close()
    return path


def run(*args):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def test_churn_rate_result_shape(ws):
    res = call(ws, svc.churn_rate, svc.ChurnRateOptions(start=date(2024, 1, 1)), as_of=date(2024, 6, 30))
    d = res.to_dict()
    assert set(d) == {"data", "count", "definition", "warnings", "reactivation_share", "reactivation_limit",
                      "reactivation_warning"}
    assert d["count"] == 2
    q1, q2 = d["data"]
    assert set(q1) == {"period_start", "period_end", "complete", "customers_at_start", "customers_lost",
                       "customers_acquired", "reactivated", "customers_at_end", "churn_rate", "history_complete",
                       "reactivated_per_lost"}
    # purchases start 2023-12-01 (90-day threshold): 2024-Q1 starts before losses can show
    assert (q1["history_complete"], q2["history_complete"]) == (False, True)
    assert "undercounted" in d["warnings"][0] and "before 2024-02-29" in d["warnings"][0]
    assert (q1["customers_at_start"], q1["customers_lost"], q1["churn_rate"]) == (6, 1, 1 / 6)
    assert (q2["customers_at_start"], q2["customers_lost"], q2["churn_rate"]) == (5, 1, 0.2)
    defn = d["definition"]
    assert defn["as_of"] == date(2024, 6, 30) and defn["as_of_source"] == "given"
    assert defn["non_contractual"]["threshold_days"] == 90
    assert defn["contractual"]["grace_days"] == 0
    assert defn["engine"] == "duckdb"


def test_churn_rate_json_from_the_cli(ws):
    r = run("churn-rate", "--workspace", str(ws), "--basis", "value", "--from", "2023-01-01", "--to", "2024-06-30", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["count"] == len(d["data"]) == 6
    first = d["data"][0]
    assert first["period_start"] == "2023-01-01" and first["churn_rate"] is None  # nobody at the start
    assert {"value_at_start", "value_lost"} <= set(first)
    assert d["definition"]["basis"] == "value"


def test_churn_rate_terminal_output_has_a_trend_chart(ws):
    r = run("churn-rate", "--workspace", str(ws), "--from", "2024-01-01", "--to", "2024-06-30", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "churn rate trend" in r.stdout and "2024-Q2" in r.stdout and "20.0%" in r.stdout


def test_unknown_by_column_lists_the_allowed_ones(ws):
    r = run("churn-rate", "--workspace", str(ws), "--by", "colour")
    assert r.exit_code == 2
    assert "allowed: segment, region, customer_type, csm, relationship" in r.stderr


@pytest.mark.parametrize("args", [
    ("churn-rate", "--period", "week"),
    ("churn-rate", "--basis", "margin"),
    ("cohorts", "--period", "year"),
    ("churn-rate", "--engine", "flink"),
    ("churn-rate", "--engine", "spark"),
    ("compare", "--at", "2024-07-01", "--window", "soon"),
    ("churn-rate", "--to", "31/12/2024"),
])
def test_bad_options_are_errors_that_say_what_to_do(ws, args):
    r = run(*args, "--workspace", str(ws))
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("error: --")


def test_cohorts_retention_price_volume_compare_json(ws):
    for cmd in (["cohorts", "--period", "quarter"], ["retention"], ["price-volume"],
                ["compare", "--at", "2024-04-01", "--window", "1q"]):
        r = run(*cmd, "--workspace", str(ws), "--json")
        assert r.exit_code == 0, r.output
        d = json.loads(r.stdout)
        assert d["count"] == len(d["data"]) > 0 and "definition" in d, cmd
    d = json.loads(run("compare", "--at", "2024-04-01", "--window", "1q", "--workspace", str(ws), "--json").stdout)
    assert set(d["comparison"]) == {"difference", "ci_low", "ci_high", "z", "p_value", "confidence", "test"}
    assert [row["window"] for row in d["data"]] == ["before", "after"]


def test_price_volume_warns_of_false_growth(ws):
    # 2023-Q4 -> 2024-Q1: revenue 100 -> 110 while units 10 -> 4 and customers 2 -> 1
    r = run("price-volume", "--workspace", str(ws), "--to", "2024-03-31", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "warning" in r.stdout and "2024-Q1" in r.stdout
    d = json.loads(run("price-volume", "--workspace", str(ws), "--to", "2024-03-31", "--json").stdout)
    assert [w["period_start"] for w in d["warnings"]] == ["2024-01-01"]
    assert "units -60.0%" in d["warnings"][0]["warning"]


@pytest.mark.parametrize("cmd", ["churn-rate", "cohorts", "retention", "price-volume", "compare"])
def test_every_command_documents_itself(cmd):
    r = run(cmd, "--help")
    assert r.exit_code == 0
    assert "--workspace" in r.stdout and "--json" in r.stdout and "Example" in r.stdout


def test_early_periods_are_flagged_as_undercounted(tmp_path):
    """Data from 2024-01-01, 90-day threshold: no loss can show before 2024-03-31."""
    from churnguard.service.imports import ImportOptions, import_data

    w = Workspace.init(tmp_path / "w")
    f = tmp_path / "t.csv"
    f.write_text("customer_id,occurred_at,amount\n" + "".join(
        f"c{i},2024-01-{1 + i % 28:02d},10\n" for i in range(40)), encoding="utf-8")
    import_data(w, ImportOptions("transactions", file=f))
    w.close()
    sf = tmp_path / "w" / "churnguard.toml"
    sf.write_text(sf.read_text().replace('threshold_days = "auto"', "threshold_days = 90"))
    d = call(tmp_path / "w", svc.churn_rate, svc.ChurnRateOptions(period="month"), as_of=date(2024, 8, 31)).to_dict()
    flags = {r["period_start"].isoformat(): r["history_complete"] for r in d["data"]}
    assert flags["2024-03-01"] is False and flags["2024-04-01"] is True
    assert d["warnings"] and "before 2024-03-31" in d["warnings"][0]
