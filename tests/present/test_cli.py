"""The command line as a user types it: workspace option anywhere, --json shapes, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app

runner = CliRunner()


def cg(*args: str, env: dict | None = None):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    r = cg("init", str(tmp_path / "shop"))
    assert r.exit_code == 0, r.output
    return tmp_path / "shop"


def test_init_writes_documented_settings(ws: Path) -> None:
    text = (ws / "churnguard.toml").read_text(encoding="utf-8")
    assert 'database_url = "duckdb:///churnguard.duckdb"' in text
    assert "# language of pages" in text
    assert (ws / "churnguard.duckdb").exists()
    r = cg("init", str(ws))
    assert r.exit_code == 2 and "already a workspace" in r.output


def test_import_json_summary_and_status(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "订单.csv"
    f.write_bytes("客户编号,下单日期,金额\nC1,2024-01-05,10\nC2,2024-01-07,5\n".encode("gbk"))
    r = cg("import", "transactions", str(f), "--workspace", str(ws), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out == {
        "data": [], "count": 0,  # the bad values: none
        "kind": "transactions", "file": str(f), "encoding": "gbk/gb18030",
        "mapping": {"customer_id": "客户编号", "occurred_at": "下单日期", "amount": "金额"},
        "rows_read": 2, "rows_imported": 2, "rows_unchanged": 0, "error_count": 0, "errors": [],
        "dry_run": False,
    }
    r = cg("status", "--json", "-w", str(ws))
    st = json.loads(r.stdout)
    assert st["tables"]["transactions"] == {
        "rows": 2, "date_from": "2024-01-05", "date_to": "2024-01-07", "last_import": st["tables"]["transactions"]["last_import"]
    }
    assert st["tables"]["transactions"]["last_import"] is not None
    assert st["tables"]["customers"]["rows"] == 2


def test_rejected_rows_exit_nonzero_with_errors_in_json(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("customer_id,occurred_at,amount\nC1,yesterday,10\n", encoding="utf-8")
    r = cg("import", "transactions", str(f), "-w", str(ws), "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["error_count"] == 1 and out["rows_imported"] == 0
    assert out["errors"][0] == {"file": str(f), "line": 2, "column": "occurred_at", "value": "yesterday",
                                "reason": out["errors"][0]["reason"]}
    r = cg("import", "transactions", str(f), "-w", str(ws), "--lang", "en")
    assert r.exit_code == 1
    assert "bad.csv:2: column 'occurred_at': value 'yesterday': not a date" in r.output


def test_workspace_from_environment_and_clear_errors(ws: Path, tmp_path: Path) -> None:
    r = cg("status", "--json", env={"CHURNGUARD_WORKSPACE": str(ws)})
    assert r.exit_code == 0 and "tables" in json.loads(r.stdout)
    r = cg("status", "-w", str(tmp_path / "nowhere"))
    assert r.exit_code == 2 and "not a churnguard workspace" in r.output
    r = cg("import", "orders", str(tmp_path / "x.csv"), "-w", str(ws))
    assert r.exit_code == 2 and "unknown kind 'orders'" in r.output


def test_installed_script_runs(ws: Path) -> None:
    """The console script, as a user runs it (not the in-process runner)."""
    exe = Path(sys.executable).with_name("churnguard")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "churnguard"]
    p = subprocess.run([*cmd, "status", "--json", "--workspace", str(ws)], capture_output=True, text=True,
                       env={**os.environ}, check=False)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["tables"]["contracts"]["rows"] == 0
