"""Every command with --json answers {"data": [...], "count": n, ...}: lists as lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from tests.present.live import Site, copy_site

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(run_template: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small simulated company after 'churnguard run', a copy of this module's own."""
    return copy_site(run_template, tmp_path_factory.mktemp("shape") / "shop").path


def _table(tmp: Path) -> Path:
    rows = ["id,tenure,spend,plan,churned"]
    for i in range(120):
        rows.append(f"u{i},{i % 40},{(i * 37) % 500},{'abc'[i % 3]},{'yes' if (i * 7) % 5 == 0 else 'no'}")
    path = tmp / "own.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _commands(shop: Path, tmp: Path) -> list[list[str]]:
    table = _table(tmp)
    customers = tmp / "more.csv"
    customers.write_text("customer_id,name\nX1,新客户\n", encoding="utf-8")
    models = tmp / "models"
    return [
        ["status"],
        ["threshold"],
        ["churn-rate"],
        ["churn-rate", "--from", "2026-01-01", "--to", "2026-06-30"],
        ["cohorts", "--period", "quarter"],
        ["retention"],
        ["price-volume"],
        ["compare", "--at", "2026-04-01", "--window", "1q"],
        ["overview"],
        ["defectors", "--limit", "5"],
        ["reasons"],
        ["reasons", "--by", "region", "--from", "2026-01-01"],
        ["signals", "--limit", "5"],
        ["survey", "report"],
        ["survey", "report", "--by", "segment"],
        ["survey", "sample", "--size", "5", "--stratify", "segment", "--dry-run"],
        ["complaints"],
        ["complaints", "--open"],
        ["profile-defectors"],
        ["suggest-reasons", "--limit", "5"],
        ["at-risk", "--top", "5"],
        ["core-customers", "--top", "5"],
        ["customers", "--limit", "5"],
        ["customer", "C0000001"],
        ["survival"],
        ["backtest"],
        ["value"],
        ["run"],
        ["refresh"],
        ["import", "customers", str(customers)],
        ["report", "--out", str(tmp / "r.xlsx")],
        ["user", "list"],
        ["user", "tokens"],
        ["user", "locks"],
        ["audit", "--limit", "5"],
        ["model", "train", "--table", str(table), "--target", "churned", "--id", "id", "--model", str(models)],
        ["model", "score", "--table", str(table), "--model", str(models)],
        ["investigate", "start", "--period", "2026-Q3", "--seed", "1"],
        ["investigate", "list"],
        ["investigate", "interviews", "2026-Q3"],
        ["investigate", "record", "C0000035", "--investigation", "2026-Q3", "--reason", "price"],
        ["investigate", "reclassify", "2026-Q3", "C0000035", "--reason", "service"],
        ["investigate", "action", "add", "2026-Q3", "--reason", "service", "--action", "faster fixes",
         "--owner", "li", "--due", "2026-09-01"],
        ["investigate", "action", "done", "2026-Q3-a1"],
        ["investigate", "review", "2026-Q3"],
        ["investigate", "close", "2026-Q3"],
    ]


def test_every_json_has_data_and_count(shop: Path, tmp_path: Path) -> None:
    seen = []
    for cmd in _commands(shop, tmp_path):
        r = runner.invoke(app, [*cmd, "-w", str(shop), "--json"])
        assert r.exit_code == 0, (cmd, r.output)
        d = json.loads(r.stdout)
        assert isinstance(d["data"], list), cmd
        assert d["count"] == len(d["data"]), cmd
        seen.append(cmd[0] if cmd[0] not in ("user", "model", "survey", "investigate") else " ".join(cmd[:2]))
    assert {"status", "overview", "survival", "backtest", "customer", "reasons", "investigate review"} <= set(seen)
    assert {"survey report", "survey sample", "complaints", "profile-defectors"} <= set(seen)


def test_lists_are_lists(shop: Path) -> None:
    d = json.loads(runner.invoke(app, ["signals", "-w", str(shop), "--json"]).stdout)
    assert d["data"] and all(isinstance(r["signals"], list) and r["signals"] for r in d["data"])
    d = json.loads(runner.invoke(app, ["defectors", "-w", str(shop), "--json"]).stdout)
    assert "run" not in d  # read from the stored run (only a list computed afresh says "run": "computed")
    assert d["data"] and all(isinstance(r["rules"], list) and r["rules"] for r in d["data"])
    d = json.loads(runner.invoke(app, ["at-risk", "-w", str(shop), "--json"]).stdout)
    assert all(isinstance(r["signals"], list) for r in d["data"])


def test_backtest_keeps_its_named_objects(shop: Path) -> None:
    d = json.loads(runner.invoke(app, ["backtest", "-w", str(shop), "--json"]).stdout)
    assert {"model", "baseline", "heuristic", "early"} <= set(d)
    assert {(r["subset"], r["scorer"]) for r in d["data"]} >= {("all", "model"), ("all", "baseline"),
                                                              ("all", "heuristic")}
    model = next(r for r in d["data"] if r["subset"] == "all" and r["scorer"] == "model")
    assert model["roc_auc"] == d["model"]["roc_auc"]


def test_status_rows_are_its_tables(shop: Path) -> None:
    d = json.loads(runner.invoke(app, ["status", "-w", str(shop), "--json"]).stdout)
    assert [r["table"] for r in d["data"]] == list(d["tables"])
    assert all(r["rows"] == d["tables"][r["table"]]["rows"] for r in d["data"])


def test_headers_and_errors_in_the_asked_language(shop: Path) -> None:
    zh = runner.invoke(app, ["churn-rate", "-w", str(shop), "--lang", "zh"])
    en = runner.invoke(app, ["churn-rate", "-w", str(shop), "--lang", "en"])
    assert zh.exit_code == en.exit_code == 0
    assert "流失率" in zh.stdout and "churn rate" in en.stdout and "流失率" not in en.stdout
    bad = runner.invoke(app, ["churn-rate", "-w", str(shop), "--lang", "fr"])
    assert bad.exit_code == 2 and "--lang" in bad.output


def test_window_is_from_to_and_knowledge_is_as_of(shop: Path) -> None:
    whole = json.loads(runner.invoke(app, ["churn-rate", "-w", str(shop), "--period", "month", "--json"]).stdout)
    window = json.loads(runner.invoke(app, ["churn-rate", "-w", str(shop), "--period", "month", "--from",
                                            "2026-01-01", "--to", "2026-03-15", "--json"]).stdout)
    assert [r["period_start"] for r in window["data"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    same = {r["period_start"]: r for r in whole["data"]}
    assert all(r == same[r["period_start"]] for r in window["data"])  # the same knowledge: figures alike
    assert window["definition"]["as_of"] == whole["definition"]["as_of"]
