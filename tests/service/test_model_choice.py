"""The scorer in use: the gradient-boosted model, or the logistic baseline when it ranks better.

On the CDNOW sample (Fader and Hardie's public purchase log: 2,357 customers, 18 months,
transactions only) the trees trail the baseline, and the choice, made with nothing after the
date, sets them aside; the demo's contract business keeps the trees
(tests/service/test_detect_predict.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from churnguard.compute.predict import suite as suite_module
from churnguard.compute.predict.suite import customer_explanations
from churnguard.present.cli import app
from churnguard.service import backtest as bsvc
from churnguard.service.scoring import model_warnings
from tests.conftest import call

SAMPLE = Path(__file__).resolve().parents[1] / "reference" / "data" / "CDNOW_sample.txt"
runner = CliRunner()


def cg(*args: str):
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, f"churnguard {' '.join(args)} exited {r.exit_code}: {r.output}"
    return json.loads(r.stdout) if "--json" in args else r.stdout


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory) -> Path:
    """A workspace holding nothing but the CDNOW sample's purchases (a real DuckDB file)."""
    tmp = tmp_path_factory.mktemp("cdnow")
    raw = pd.read_csv(SAMPLE, sep=r"\s+", header=None, dtype=str,
                      names=["customer_id", "sample_id", "date", "quantity", "amount"])
    raw["occurred_at"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    csv = tmp / "cdnow.csv"
    raw[["customer_id", "occurred_at", "amount", "quantity"]].to_csv(csv, index=False)
    folder = tmp / "ws"
    cg("init", str(folder))
    cg("import", "transactions", str(csv), "-w", str(folder))
    return folder


@pytest.mark.slow
def test_baseline_ranks_when_the_trees_trail_it(cdnow):
    """The backtest's date (1997-09-28) has one training date: the trees and the baseline are
    compared on a held-out fifth of its customers, the baseline ranks better there, and it
    ranks the list; the trees' own figures on what happened next bear the choice out."""
    result = call(cdnow, bsvc.backtest)
    d = result.to_dict()
    assert d["model_kind"] == "logistic_baseline"
    choice = d["training"]["model_choice"]
    assert choice["method"] == "in_time" and choice["held_out_date"] is None
    assert choice["logistic_baseline"]["roc_auc"] > choice["gradient_boosting"]["roc_auc"]
    assert "set aside" in d["model_choice"]["en"] and "梯度提升模型已弃用" in d["model_choice"]["zh"]
    # what the manager gets is the baseline's ranking, with reasons of its own
    assert d["in_use"] == d["baseline"]
    assert np.array_equal(result.scores["probability"], result.scores["baseline_probability"])
    assert d["baseline"]["roc_auc"] > d["model"]["roc_auc"]
    assert d["warnings"] == []  # the baseline cannot trail itself
    assert sum(1 for t in d["flagged"] if t["top_reason"]) >= len(d["flagged"]) // 2
    # the baseline's reasons speak of purchases (the only records here)
    found = customer_explanations(result.suite, result.features, result.scores.index[:20], language="zh")
    families = {r["family"] for rs in found["reasons"] for r in rs}
    assert families and families <= {"recency", "frequency", "spend", "returns"}


@pytest.mark.slow
def test_backtest_warns_in_both_languages_when_the_trees_in_use_trail(cdnow, monkeypatch):
    """Had the trees been kept, the backtest says that they ranked worse than the baseline,
    in English and Chinese, in --json and in its text."""
    monkeypatch.setattr(suite_module, "choose_model_kind",
                        lambda *a, **k: ("gradient_boosting", {"method": "none"}))
    d = cg("backtest", "-w", str(cdnow), "--json")
    assert d["model_kind"] == "gradient_boosting" and d["model_choice"] is None
    assert d["in_use"] == d["model"] and d["model"]["roc_auc"] < d["baseline"]["roc_auc"]
    [w] = d["warnings"]
    assert w["code"] == "model_trails_baseline"
    assert str(d["model"]["roc_auc"]) in w["en"] and "worse than the logistic baseline" in w["en"]
    assert str(d["baseline"]["roc_auc"]) in w["zh"] and "不如逻辑回归基线" in w["zh"]
    text = cg("backtest", "-w", str(cdnow), "--lang", "en")
    assert "warning:" in text and "警告" in text and "scorer in use: gradient_boosting" in text


def test_no_warning_when_the_trees_rank_at_least_as_well():
    figures = {"model": {"roc_auc": 0.9, "pr_auc": 0.5}, "baseline": {"roc_auc": 0.9, "pr_auc": 0.6}}
    assert model_warnings("gradient_boosting", figures) == []
    figures["model"]["roc_auc"] = 0.89
    assert [w["code"] for w in model_warnings("gradient_boosting", figures)] == ["model_trails_baseline"]
    assert model_warnings("logistic_baseline", figures) == []
