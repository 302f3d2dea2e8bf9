"""An unexpected error never shows a traceback: one line (CLI), the one JSON error shape (API), the error
page (pages); the full trace goes to the workspace's rotated log file.

The error is caused for real: the customers table of a workspace loses its ``name`` column, as
when someone changes the database by hand, so every search by name fails inside the engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from churnguard.present import errorlog
from churnguard.present.cli import app
from churnguard.present.cli.common import UNEXPECTED_EXIT
from tests.present.live import PASSWORD, make_site, serve_in_thread

runner = CliRunner()


def damage(folder: Path) -> None:
    """Turn the customers' name column into numbers behind churnguard's back, so a search by name
    fails inside the engine (a column dropped instead is added back when the workspace opens, as
    for a workspace an older version made; DuckDB wants the indexes gone first)."""
    con = duckdb.connect(str(folder / "churnguard.duckdb"))
    try:
        for (name,) in con.sql("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'customers'").fetchall():
            con.execute(f'DROP INDEX "{name}"')
        con.execute("ALTER TABLE customers DROP COLUMN name")
        con.execute("ALTER TABLE customers ADD COLUMN name INTEGER")
    finally:
        con.close()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    f = tmp_path / "orders.csv"
    f.write_text("customer_id,occurred_at,amount\nC1,2024-01-05,10\nC2,2024-02-07,5\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "transactions", str(f), "-w", str(folder)]).exit_code == 0
    damage(folder)
    return folder


def test_cli_says_one_line_and_logs_the_trace(broken: Path) -> None:
    # a real process, as a user runs it: what reaches the terminal is exactly what is printed
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    r = subprocess.run([sys.executable, "-c", "from churnguard.present.cli import main; main()", "customers",
                        "--query", "acme", "-w", str(broken)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == UNEXPECTED_EXIT
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    log = broken / "logs" / "churnguard.log"
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: churnguard customers failed unexpectedly:")
    assert str(log) in lines[0]
    text = log.read_text(encoding="utf-8")
    assert "churnguard customers failed" in text and "Traceback (most recent call last)" in text
    assert "find_customers" in text  # the full trace, down to the use case that failed


def test_cli_in_process_exit_code_and_log(broken: Path) -> None:
    r = runner.invoke(app, ["customers", "--query", "acme", "-w", str(broken), "--json"])
    assert r.exit_code == UNEXPECTED_EXIT
    assert r.stdout == ""
    assert (broken / "logs" / "churnguard.log").is_file()


def test_api_and_page_answer_500_without_a_trace(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site")
    f = tmp_path / "orders.csv"
    f.write_text("customer_id,occurred_at,amount\nC1,2024-01-05,10\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "transactions", str(f), "-w", str(site.path)]).exit_code == 0
    damage(site.path)
    log = site.path / "logs" / "churnguard.log"
    with serve_in_thread(site):
        with site.client("admin") as c:
            r = c.get("/api/customers", params={"q": "acme"})
        assert r.status_code == 500
        body = r.json()
        assert set(body) == {"error"} and body["error"]["code"] == "internal_error"
        assert "GET /api/customers" in body["error"]["message"] and "Traceback" not in r.text
        assert body["error"]["details"] == {"log": str(log)}
        assert "GET /api/customers failed" in log.read_text(encoding="utf-8")
        with httpx.Client(base_url=site.base_url, timeout=60, headers={"Accept-Language": "zh"}) as web:
            from tests.present.web.test_pages import login

            login(web, "admin", PASSWORD)
            page = web.get("/customers", params={"q": "acme"})
        assert page.status_code == 500
        assert "Traceback" not in page.text and "服务器出错了" in page.text
    assert log.read_text(encoding="utf-8").count("Traceback (most recent call last)") == 2
    console = capfd.readouterr()
    assert "Traceback" not in console.out + console.err  # the server's console: one line per error


def test_without_a_workspace_the_trace_goes_to_the_cache_folder(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        path = errorlog.write_trace(exc, "churnguard run", tmp_path / "not-a-workspace")
    assert path == tmp_path / "cache" / "churnguard" / "logs" / "churnguard.log"
    assert "RuntimeError: boom" in path.read_text(encoding="utf-8")
    assert not (tmp_path / "not-a-workspace").exists()


def test_the_log_is_rotated(broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errorlog, "MAX_BYTES", 2_000)
    for i in range(12):
        try:
            raise ValueError("x" * 500 + str(i))
        except ValueError as exc:
            errorlog.write_trace(exc, f"attempt {i}", broken)
    files = sorted(p.name for p in (broken / "logs").iterdir())
    assert files == ["churnguard.log", *[f"churnguard.log.{i}" for i in range(1, errorlog.BACKUPS + 1)]]
    assert all((broken / "logs" / f).stat().st_size <= 2_000 + 1_500 for f in files)
    assert "attempt 11" in (broken / "logs" / "churnguard.log").read_text(encoding="utf-8")


def test_one_line_never_spans_lines() -> None:
    assert errorlog.one_line(ValueError("a\nb  c")) == "ValueError: a b c"
    assert len(errorlog.one_line(ValueError("y" * 1000), limit=50)) == 50
