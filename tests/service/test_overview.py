"""The overview is assembled from the measure use cases, never computed differently."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service import measure
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.service.jsonable import jsonable
from churnguard.service.overview import OverviewOptions, false_growth_warnings, overview
from churnguard.store import Workspace
from tests.conftest import call, same_figures


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("overview") / "shop"
    build_demo(DemoOptions(directory=path, customers=150, months=12, seed=5))
    return path


def test_overview_repeats_the_measure_figures(shop: Path) -> None:
    d = jsonable(call(shop, overview))
    count = jsonable(call(shop, measure.churn_rate, measure.ChurnRateOptions()))
    value = jsonable(call(shop, measure.churn_rate, measure.ChurnRateOptions(basis="value")))
    kept = jsonable(call(shop, measure.retention, measure.RetentionOptions()))
    assert [r["period_start"] for r in d["churn"]] == [r["period_start"] for r in count["data"]]
    for mine, c, v in zip(d["churn"], count["data"], value["data"], strict=True):
        assert mine["churn_rate"] == c["churn_rate"] and mine["customers_lost"] == c["customers_lost"]
        assert same_figures(mine["value_churn_rate"], v["churn_rate"])
    assert same_figures([r["nrr"] for r in d["retention"]], [r["nrr"] for r in kept["data"]])
    assert d["as_of"] == count["definition"]["as_of"] and d["status"]["tables"]["customers"]["rows"] == 150


def test_latest_is_the_last_complete_fully_counted_period(shop: Path) -> None:
    d = jsonable(call(shop, overview, OverviewOptions(period="month")))
    done = [r for r in d["churn"] if r["complete"] and r["history_complete"] and r["churn_rate"] is not None]
    assert d["latest"]["churn"]["period_start"] == done[-1]["period_start"]
    assert d["latest"]["churn"]["previous_churn_rate"] == done[-2]["churn_rate"]
    assert d["latest"]["retention"]["grr"] is not None


def test_a_short_history_is_a_warning_with_its_dates(shop: Path) -> None:
    d = jsonable(call(shop, overview))
    (w,) = [w for w in d["warnings"] if w["code"] == "history_short"]
    first = d["status"]["tables"]["transactions"]["date_from"]
    assert w["first_date"] == first and w["threshold_days"] > 0
    assert date.fromisoformat(w["ready_date"]) > date.fromisoformat(first)
    assert w["periods"] == sum(not r["history_complete"] for r in d["churn"])


def test_false_growth_warnings_carry_the_changes_and_the_comparison() -> None:
    rows = [
        {"period_start": "2024-01-01", "revenue": 100.0, "units": 10.0, "customers": 5, "comparison": None,
         "compared_with": None, "revenue_growth": None, "units_growth": None, "customers_growth": None,
         "warning": None},
        {"period_start": "2024-04-01", "revenue": 101.0, "units": 8.0, "customers": 5, "comparison": "year_before",
         "compared_with": "2023-04-01", "revenue_growth": 0.03, "units_growth": -0.1, "customers_growth": 0.0,
         "warning": "false growth? …"},
    ]
    (w,) = false_growth_warnings(rows)
    assert w["code"] == "false_growth" and w["period_start"] == "2024-04-01"
    # the changes against the period judged (a year before), not against the row above
    assert w["revenue_change"] == pytest.approx(0.03) and w["units_change"] == pytest.approx(-0.1)
    assert w["customers_change"] == 0
    assert (w["comparison"], w["compared_with"]) == ("year_before", "2023-04-01")


def test_an_empty_workspace_has_the_status_only(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "empty").close()
    d = jsonable(call(tmp_path / "empty", overview))
    assert d["as_of"] is None and d["churn"] == [] and d["warnings"] == []
    assert d["status"]["tables"]["transactions"]["rows"] == 0


def test_cli_overview_json_and_text(shop: Path) -> None:
    r = CliRunner().invoke(app, ["overview", "--json", "-w", str(shop)])
    assert r.exit_code == 0, r.output
    assert same_figures(json.loads(r.stdout), jsonable(call(shop, overview)))
    text = CliRunner().invoke(app, ["overview", "-w", str(shop), "--lang", "en"])
    assert text.exit_code == 0 and "churn rate" in text.stdout and "GRR" in text.stdout
    bad = CliRunner().invoke(app, ["overview", "--period", "week", "-w", str(shop)])
    assert bad.exit_code != 0 and "period" in bad.output


def test_cli_refresh_stores_figures(shop: Path, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(shop, path)
    r = CliRunner().invoke(app, ["refresh", "--json", "-w", str(path)])
    assert r.exit_code == 0, r.output
    figures = json.loads(r.stdout)["figures"]
    assert {f["name"] for f in figures} >= {"overview", "churn-rate", "cohorts", "retention", "price-volume"}
    again = CliRunner().invoke(app, ["refresh", "-w", str(path), "--lang", "en"])
    assert again.exit_code == 0 and "already stored" in again.stdout
