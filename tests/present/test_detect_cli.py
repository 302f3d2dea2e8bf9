"""The detect and predict commands as a user types them: --json shapes and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.settings import SETTINGS_FILE, render_settings
from churnguard.store import Workspace
from tests.compute.predict.tabular_data import telco

runner = CliRunner()
SRC = str(Path(__file__).resolve().parents[2] / "src")


def cg(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo"
    build_demo(DemoOptions(path, customers=800, months=24, seed=2))
    with Workspace.open(path) as ws:
        s = ws.settings
    s.model.observation_dates, s.model.trees, s.model.threads = 2, 25, 1
    s.language = "en"
    (path / SETTINGS_FILE).write_text(render_settings(s), encoding="utf-8")
    return path


def test_defectors_json(demo):
    r = cg("defectors", "-w", str(demo), "--kind", "complete", "--limit", "5", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["count"] == 5 and all(x["kind"] == "complete" for x in d["data"])
    assert d["counts"]["complete"] >= 5
    r = cg("defectors", "-w", str(demo), "--as-of", "2026-13-01")
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_signals_text(demo):
    r = cg("signals", "-w", str(demo), "--limit", "3")
    assert r.exit_code == 0, r.output
    assert "renewal_silence" in r.stdout


def test_run_at_risk_backtest(demo):
    r = cg("run", "-w", str(demo), "--json")
    assert r.exit_code == 0, r.output
    assert "scores" in json.loads(r.stdout)["snapshots"]
    r = cg("at-risk", "-w", str(demo), "--top", "3", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["count"] == 3 and any(row["reasons"] for row in d["data"])
    # every listed customer's likely cause is said, or that it is unknown; what changed in its own list
    assert all(row["causes"] and all(x["text"] for x in row["causes"] + row["changes"]) for row in d["data"])
    r = cg("at-risk", "-w", str(demo), "--top", "3")
    # the two lists in their own columns (the narrow test terminal wraps the headers)
    text = r.stdout.lower()
    assert r.exit_code == 0 and "value at risk" in text and "what" in text and "likely" in text
    r = cg("at-risk", "-w", str(demo), "--top", "3", "--early", "--json")
    assert r.exit_code == 0, r.output
    assert [x["warning"] for x in json.loads(r.stdout)["data"]] == ["early"] * 3
    r = cg("backtest", "-w", str(demo), "--horizon", "60", "--as-of", "2026-03-01", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["horizon_days"] == 60 and d["as_of"] == "2026-03-01"
    for name in ("model", "baseline", "heuristic"):
        assert {"roc_auc", "pr_auc", "lift_at_10pct", "precision_at_10pct", "recall_at_10pct", "brier"} <= set(d[name])
        assert {"roc_auc", "pr_auc", "lift_at_10pct", "brier"} <= set(d["early"][name])
    assert {"n_customers", "n_lost", "lead_time_days"} <= set(d) and {"n_customers", "n_lost"} <= set(d["early"])
    r = cg("backtest", "-w", str(demo), "--horizon", "60", "--as-of", "2026-03-01", "--lang", "en")
    assert r.exit_code == 0 and "early warnings" in r.stdout


def test_model_train_then_score_in_a_later_process(tmp_path):
    df = telco(500)
    table = tmp_path / "客户流失.csv"
    df.to_csv(table, index=False, encoding="gbk")
    r = cg("model", "train", "--table", str(table), "--target", "Churn", "--folds", "3", "-w", str(tmp_path), "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {"n_rows", "positive_rate", "model", "baseline"} <= set(d)
    assert set(d["model"]) >= {"roc_auc", "pr_auc"} and set(d["baseline"]) >= {"roc_auc", "pr_auc"}
    assert d["n_rows"] == 500 and d["id_column"] == "customerID"
    assert (tmp_path / "models" / "table" / "preprocessing.json").exists()
    new = tmp_path / "new.csv"
    df.drop(columns=["Churn"]).head(20).to_csv(new, index=False)
    out = tmp_path / "scores.csv"
    env = {**os.environ, "PYTHONPATH": SRC}
    p = subprocess.run(
        [sys.executable, "-m", "churnguard", "model", "score", "--table", str(new), "-w", str(tmp_path),
         "--output", str(out), "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    scored = json.loads(p.stdout)
    assert scored["count"] == 20 and scored["data"][0]["id"] == df["customerID"].iloc[0]
    assert 0 <= scored["data"][0]["probability"] <= 1
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == "id,probability,reasons"
    # tmp_path is no workspace: reasons in the default language (zh) unless --lang says otherwise
    texts = [r["text"] for row in scored["data"] for r in row["reasons"]]
    assert any("中位数" in t for t in texts)
    r = cg("model", "score", "--table", str(new), "-w", str(tmp_path), "--lang", "en", "--json")
    assert r.exit_code == 0, r.output
    assert any("median" in x["text"] for row in json.loads(r.stdout)["data"] for x in row["reasons"])
    r = cg("model", "score", "--table", str(new), "-w", str(tmp_path), "--lang", "fr")
    assert r.exit_code == 2 and "--lang: 'fr': choose zh or en" in r.output


def test_model_score_without_a_model(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    r = cg("model", "score", "--table", str(tmp_path / "t.csv"), "-w", str(tmp_path))
    assert r.exit_code == 2 and "model train" in r.output


def test_a_refused_option_is_named_as_typed(tmp_path):
    # the options check themselves before any workspace is opened
    r = cg("at-risk", "--signal", "nonsense", "-w", str(tmp_path / "nowhere"))
    assert r.exit_code == 2 and "--signal: unknown rule 'nonsense'" in r.output
    r = cg("backtest", "--horizon", "0", "-w", str(tmp_path / "nowhere"))
    assert r.exit_code == 2 and "--horizon: must be at least 1 day" in r.output
