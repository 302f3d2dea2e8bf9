"""`churnguard demo --admin NAME [--serve]` (what `make demo` runs): a random administrator
password printed once, the figures stored, the demo served at the printed address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service import at_risk, investigations, results, users
from churnguard.store import Workspace
from tests.conftest import call
from tests.present.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_demo_adds_an_admin_with_a_random_password(tmp_path: Path) -> None:
    passwords = []
    for _ in range(2):
        r = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--customers", "40", "--months", "6",
                                     "--replace", "--admin", "boss", "--lang", "en"])
        assert r.exit_code == 0, r.output
        (password,) = re.findall(r"administrator boss, password (\S+) \(shown only now\)", r.stdout)
        passwords.append(password)
        with Workspace.open(tmp_path / "demo") as ws:
            assert users.authenticate(ws, "boss", password).role == "admin"
    assert passwords[0] != passwords[1] and len(passwords[0]) >= 12, "never a fixed default password"


def test_demo_summary_ends_with_the_top_at_risk_customers(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo"), "--customers", "200", "--months", "12"])
    assert r.exit_code == 0, r.output
    block = r.stdout.split("风险最高的客户（风险价值 = 流失概率 × 预期价值）\n")[1]  # the demo workspace speaks Chinese
    firsts = re.findall(r"^  (C\d{7})  流失概率 [\d.]+%  风险价值 [\d,]+$", block, re.M)
    assert len(firsts) == 5, block
    top = call(tmp_path / "demo", at_risk.at_risk, at_risk.AtRiskOptions(top=5)).to_dict()["data"]
    assert firsts == [row["customer_id"] for row in top]
    assert all(row["reasons"] for row in top) and top[0]["reasons"][0]["text"] in block
    assert block.rstrip().splitlines()[-1].startswith("下一步：churnguard status")
    # it ends with an open defector investigation of the last full quarter, some interviews recorded
    (inv, recorded) = re.findall(r"已开启跳槽客户调查 (\S+)（2026-Q3）：\d+ 个面谈，其中 (\d+) 个", block)[0]
    assert inv == "2026-Q3" and int(recorded) > 0
    listed = call(tmp_path / "demo", investigations.list_investigations).to_dict()["data"]
    assert [(x["investigation_id"], x["status"], x["done"]) for x in listed] == [(inv, "open", int(recorded))]


def test_demo_serve_prints_the_address_and_serves_the_stored_figures(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "churnguard", "demo", "--dir", str(tmp_path / "demo"), "--customers", "60",
         "--months", "9", "--admin", "admin", "--serve", "--port", str(port), "--lang", "en"],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "password" in line:
                break
        text = "".join(lines)
        assert f"serving the demo at http://127.0.0.1:{port}/" in text, text
        (password,) = re.findall(r"sign in as admin with the password (\S+) ", text)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                login = httpx.get(base + "/login", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as c:
            token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
            r = c.post("/login", data={"user_id": "admin", "password": password, "csrf_token": token})
            assert r.status_code == 303 and login.status_code == 200
            page = c.get("/")
            assert page.status_code == 200 and 'id="fig-customers">60<' in page.text
        stored = list((tmp_path / "demo" / results.CACHE_DIR).rglob("overview-*.json"))
        assert stored, "the opening figures were stored before serving"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
