"""Every command on any subset of the eight record kinds, on DuckDB and PostgreSQL.

Most companies start from a transactions file alone. The matrix: transactions only;
transactions and a customers file of ids and names; those and contracts; customers and
contracts without a single order; all eight kinds.
Each workspace goes through ``run``, ``backtest``, ``at-risk``, ``value``, ``defectors``,
``signals``, ``survival`` and ``report`` as a user types them; features whose records are
missing are left out and the output says which.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service.imports import ImportOptions, import_data
from churnguard.settings import SETTINGS_FILE, render_settings
from churnguard.simulate import simulate
from churnguard.store import Workspace
from tests.simulated import load_tables

runner = CliRunner()

#: which kinds each subset imports, and with which columns (None: all the simulator's columns)
SUBSETS: dict[str, dict[str, list[str] | None]] = {
    "transactions": {"transactions": ["customer_id", "occurred_at", "amount", "quantity"]},
    "customer_names": {"customers": ["customer_id", "name"],
                       "transactions": ["customer_id", "occurred_at", "amount", "quantity"]},
    "contracts": {"customers": ["customer_id", "name"],
                  "transactions": ["customer_id", "occurred_at", "amount", "quantity"],
                  "contracts": None},
    "contracts_only": {"customers": None, "contracts": None},  # a subscription business without orders
    "all": {},  # every kind, every column
}

#: families a subset must leave out (at least), and families it must keep
LEFT_OUT = {
    "transactions": {"contact", "contract", "relationship", "complaint", "satisfaction", "wallet", "chain",
                     "profile"},
    "customer_names": {"contact", "contract", "complaint", "satisfaction", "wallet", "chain", "profile"},
    "contracts": {"contact", "complaint", "satisfaction", "wallet", "chain", "profile"},
    "contracts_only": {"recency", "frequency", "spend", "contact", "complaint", "satisfaction", "wallet"},
    "all": set(),
}
KEPT = {
    "transactions": set(),
    "customer_names": set(),
    "contracts": {"contract", "relationship"},
    "contracts_only": {"contract", "relationship", "profile", "chain"},
    "all": {"contact", "contract", "complaint", "satisfaction", "wallet", "chain", "profile"},
}


@pytest.fixture(scope="session")
def company() -> dict[str, pd.DataFrame]:
    """A small simulated company: 250 customers over two years (read only; each test imports
    its subset into a workspace of its own, so the tests may run on different workers)."""
    return simulate(customers=250, months=24, seed=11).tables


def cg(*args: str) -> dict | None:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, f"churnguard {' '.join(args)} exited {r.exit_code}: {r.output}"
    assert "Traceback" not in r.output
    return json.loads(r.stdout) if "--json" in args else None


def fill(ws: Workspace, company: dict[str, pd.DataFrame], subset: str) -> None:
    kinds = SUBSETS[subset]
    if not kinds:
        load_tables(ws, company)
        return
    # customers first, as a user would import them; transactions add the customers they name
    for kind in ("customers", "transactions", "contracts"):
        if kind in kinds:
            frame = company[kind]
            cols = kinds[kind] or list(frame.columns)
            summary = import_data(ws, ImportOptions(kind, frame=pa.Table.from_pandas(frame[cols],
                                                                                       preserve_index=False)))
            assert summary.ok, summary.to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("subset", list(SUBSETS))
def test_every_command_runs_on_a_subset_of_the_tables(subset: str, workspace: Workspace, company, tmp_path: Path,
                                                      engine: str) -> None:
    fill(workspace, company, subset)
    s = workspace.settings
    # fewer training dates and trees: this test is about which tables exist, not the model's skill
    s.model.observation_dates, s.model.trees = 3, 40
    (workspace.path / SETTINGS_FILE).write_text(render_settings(s), encoding="utf-8")
    folder = str(workspace.path)
    workspace.close()

    run = cg("run", "-w", folder, "--json")
    left = {i["family"] for i in run["features_left_out"]}
    assert LEFT_OUT[subset] <= left, left
    assert not (KEPT[subset] & left), left
    for item in run["features_left_out"]:
        assert item["needs"] and item["features"]
    if subset == "transactions":
        needs = {n for i in run["features_left_out"] for n in i["needs"]}
        assert {"interactions", "contracts", "complaints", "surveys", "wallet_estimates"} <= needs
    assert run["counts"]["scored"] > 0
    assert run["counts"]["with_reasons"] > 0

    risk = cg("at-risk", "-w", folder, "--top", "10", "--json")
    assert risk["count"] == 10
    if "transactions" in SUBSETS[subset] or subset == "all":
        assert any(r["reasons"] for r in risk["data"]), "a model on purchase features alone still explains"
    for r in risk["data"]:
        for reason in r["reasons"]:
            assert reason["family"] not in left, reason

    bt = cg("backtest", "-w", folder, "--json")
    assert bt["n_customers"] > 0
    if subset != "contracts_only":  # 73 contract customers: none of them leaves within the 90 days
        assert bt["n_lost"] > 0 and bt["model"]["roc_auc"] is not None
    assert {i["family"] for i in bt["features_left_out"]} == left

    value = cg("value", "-w", folder, "--json")
    assert value["count"] > 0

    defectors = cg("defectors", "-w", folder, "--json")
    assert defectors["count"] > 0
    assert all(r["kind"] in ("complete", "partial") for r in defectors["data"])

    signals = cg("signals", "-w", folder, "--json")
    assert "data" in signals and signals["count"] == len(signals["data"])
    needs = {r["rule"]: r["needs"] for r in signals["rules"]}
    assert needs["spend_trend"] == ([] if subset != "contracts_only" else ["transactions"])
    assert needs["contact_drop"] == ([] if subset == "all" else ["interactions"])
    assert needs["renewal_silence"] == ([] if subset in ("contracts", "contracts_only", "all") else ["contracts"])

    survival = cg("survival", "-w", folder, "--by", "all", "--json")
    assert survival["groups"] and survival["groups"][0]["customers"] > 0

    report = tmp_path / "report.html"
    cg("report", "-w", folder, "--out", str(report))
    assert report.stat().st_size > 10_000


@pytest.mark.slow
def test_backtest_on_a_short_public_log_picks_a_date_it_can_train_for(tmp_path: Path) -> None:
    """The CDNOW sample (Fader and Hardie; 2,357 customers, 18 months), transactions only: the
    learned threshold (about ten months) leaves no room to train before "last date − horizon −
    threshold", so the backtest takes the earliest date it can train for and says that some
    early outcomes are not known yet, instead of stopping."""
    raw = pd.read_csv(Path(__file__).parents[1] / "reference" / "data" / "CDNOW_sample.txt", sep=r"\s+",
                      header=None, dtype=str, names=["customer_id", "sample_id", "date", "quantity", "amount"])
    raw["occurred_at"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    csv = tmp_path / "cdnow.csv"
    raw[["customer_id", "occurred_at", "amount", "quantity"]].to_csv(csv, index=False)
    folder = str(tmp_path / "ws")
    cg("init", folder)
    cg("import", "transactions", str(csv), "-w", folder)
    bt = cg("backtest", "-w", folder, "--json")
    assert bt["as_of"] == "1997-09-28"  # 1997-01-01 + 90 days of horizon + 180 days of history
    assert bt["n_lost"] > 0 and bt["model"]["roc_auc"] is not None
    assert "not known yet" in bt["early"]["note"]
    assert {i["family"] for i in bt["features_left_out"]} >= {"contact", "contract", "wallet"}
