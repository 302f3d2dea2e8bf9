"""``churnguard value`` and ``churnguard core-customers`` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.store import Workspace
from tests.compute.value import shop
from tests.compute.value.test_summary import cdnow_lines

runner = CliRunner()


def cg(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def cdnow_dir(tmp_path_factory) -> Path:
    """A workspace with CDNOW's purchase lines (English labels), shared by this module's
    read-only tests; each command run only rewrites the value snapshot."""
    path = tmp_path_factory.mktemp("cli") / "cdnow"
    with Workspace.init(path, language="en") as ws:
        shop.load_frame(ws, "transactions", cdnow_lines())
    return path


def test_value_json_shape(cdnow_dir: Path) -> None:
    r = cg("value", "-w", str(cdnow_dir), "--as-of", "1997-09-30", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert list(out) == ["as_of", "as_of_source", "time_unit", "models", "data", "count"]
    assert (out["as_of"], out["as_of_source"], out["time_unit"], out["count"]) == (
        "1997-09-30",
        "given",
        "week",
        2357,
    )
    assert set(out["models"]) == {"bgnbd", "pareto_nbd", "gamma_gamma", "clv", "sbg"}
    assert {"r", "alpha", "a", "b", "log_likelihood"} <= set(out["models"]["bgnbd"])
    assert {"r", "alpha", "s", "beta", "log_likelihood"} <= set(out["models"]["pareto_nbd"])
    assert {"p", "q", "v"} <= set(out["models"]["gamma_gamma"])
    assert out["models"]["sbg"] == {
        "fitted": False,
        "log_likelihood": None,
        "customers": 0,
        "note": None,
        "error": "sBG: no contracts on or before the as-of date",
        "chains": 0,
        "life_table": [],
    }
    row = out["data"][0]
    for key in (
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "clv",
        "rfm_segment",
        "rfm_segment_label",
        "core",
        "core_reason",
        "days_since_last_purchase",
        "purchase_count",
        "total_spend",
        "tenure_days",
        "cumulative_revenue_share",
        "pareto_top",
    ):
        assert key in row, key
    assert (row["customer_id"], row["frequency"], row["first_purchase_at"]) == ("0001", 2, "1997-01-01")
    assert row["rfm_segment"] == "important_value" and row["rfm_segment_label"] == "important value"
    assert row["margin"] is None and row["on_time_share"] is None  # no costs, no due dates


def test_value_table_output_and_out_files(cdnow_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "value.csv"
    r = cg("value", "-w", str(cdnow_dir), "--as-of", "1997-09-30", "--out", str(csv))
    assert r.exit_code == 0, r.output
    assert "bgnbd" in r.stdout and "value concentration" in r.stdout
    back = pd.read_csv(csv, dtype={"customer_id": str}, encoding="utf-8-sig")
    assert len(back) == 2357 and back["customer_id"].iloc[0] == "0001"
    pq = tmp_path / "value.parquet"
    r = cg(
        "value",
        "-w",
        str(cdnow_dir),
        "--as-of",
        "1997-09-30",
        "--time-unit",
        "day",
        "--out",
        str(pq),
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["time_unit"] == "day"
    assert pd.read_parquet(pq)["T"].max() == pytest.approx(272.0)
    r = cg("value", "-w", str(cdnow_dir), "--out", str(tmp_path / "value.txt"))
    assert r.exit_code == 2 and "unknown file type '.txt'" in r.output


def test_core_customers(cdnow_dir: Path) -> None:
    r = cg("core-customers", "-w", str(cdnow_dir), "--top", "3", "--fresh", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["as_of"] == "1998-06-30" and out["as_of_source"] == "last date in the data"
    assert out["run"] == "computed"
    assert out["count"] == 3 and out["core_customers"] >= 3 and out["customers"] == 2357
    assert out["data"][0]["core_reason"].startswith("top 1% of revenue, 1.3 years")
    r = cg("core-customers", "-w", str(cdnow_dir), "--top", "2")
    assert r.exit_code == 0 and "core customers as of 1998-06-30" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["value", "--time-unit", "month"], "unknown time unit 'month'; choose one of: day, week"),
        (["value", "--as-of", "1990-01-01"], "no transactions or contracts on or before 1990-01-01"),
        (["value", "--as-of", "30/09/1997"], "--as-of: '30/09/1997' is not a date"),
        (["core-customers", "--time-unit", "year", "--json"], "unknown time unit 'year'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(cdnow_dir: Path, args: list[str], message: str) -> None:
    r = cg(*args, "-w", str(cdnow_dir))
    assert r.exit_code == 2 and message in r.output, r.output


def test_empty_workspace(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "empty").close()
    r = cg("value", "-w", str(tmp_path / "empty"), "--lang", "en")
    assert r.exit_code == 1 and "no dated records yet" in r.output
    r = cg("value", "-w", str(tmp_path / "empty"))  # the workspace's language: zh
    assert r.exit_code == 1 and "还没有带日期的记录" in r.output


def test_out_csv_writes_formula_like_text_inert(tmp_path: Path) -> None:
    """An id or name that starts like a formula must not run when the CSV is opened in a spreadsheet."""
    lines = cdnow_lines()
    lines = lines[lines["customer_id"].isin(["0001", "0002", "0003"])].copy()
    lines["customer_id"] = lines["customer_id"].replace({"0001": "=1+2", "0002": "@SUM(A1)"})
    path = tmp_path / "ws"
    with Workspace.init(path, language="en") as ws:
        shop.load_frame(ws, "transactions", lines)
    csv = tmp_path / "value.csv"
    r = cg("value", "-w", str(path), "--as-of", "1997-09-30", "--out", str(csv))
    assert r.exit_code == 0, r.output
    ids = set(pd.read_csv(csv, dtype={"customer_id": str}, encoding="utf-8-sig")["customer_id"])
    assert ids == {"'=1+2", "'@SUM(A1)", "0003"}
