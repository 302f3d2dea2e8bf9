"""``churnguard investigate`` as a user types it: what it prints (English and Chinese), the JSON it
answers, and errors that name the option without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from tests.present.live import Site, copy_site

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(demo_template: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_site(demo_template, tmp_path_factory.mktemp("cli") / "shop").path


def cg(shop: Path, *args: str, lang: str = "en", code: int = 0):
    r = runner.invoke(app, [*args, "-w", str(shop), "--lang", lang])
    assert r.exit_code == code, r.output
    return r


def test_a_whole_investigation_from_the_command_line(shop: Path) -> None:
    out = cg(shop, "investigate", "start", "--period", "2026-Q3", "--seed", "2").stdout
    assert "investigation 2026-Q3 opened: 19 interviews (19 complete defectors" in out and "王芳: " in out
    started = json.loads(cg(shop, "investigate", "start", "--period", "2026-Q3", "--seed", "2", "--json").stdout)
    assert started["investigation_id"] == "2026-Q3-2" and started["count"] == 19
    rows = json.loads(cg(shop, "investigate", "interviews", "2026-Q3", "--json").stdout)["data"]
    assert [r["customer_id"] for r in rows] == [r["customer_id"] for r in started["data"]]
    ids = [r["customer_id"] for r in rows]
    for cid in ids[:4]:
        out = cg(shop, "investigate", "record", cid, "--investigation", "2026-Q3", "--reason", "价格",
                 "--competitor", "优选商城", "--recoverable", "no", "--attempts", "2", "--notes", "太贵",
                 "--on", "2026-09-29").stdout
        assert f"interview of {cid} in 2026-Q3 recorded: price" in out
    out = cg(shop, "investigate", "record", ids[0], "--investigation", "2026-Q3", "--reason", "service").stdout
    assert "replaced" in out
    out = cg(shop, "investigate", "list").stdout
    assert "2026-Q3-2" in out and "4/19 (21%)" in out and "at 25% (5" in out  # (the table wraps at 80 columns)
    cg(shop, "investigate", "record", ids[4], "--investigation", "2026-Q3", "--reason", "closure")
    out = cg(shop, "investigate", "review", "2026-Q3").stdout
    assert "a review is due (25% of the interviews done)" in out and "uncontrollable" in out
    out = cg(shop, "investigate", "review", "2026-Q3", "--done", "--notes", "price leads").stdout
    assert "review recorded at 25%" in out and "next review at 75%: when 15 interviews are done" in out
    cg(shop, "investigate", "action", "add", "2026-Q3", "--reason", "price", "--action", "new price list",
       "--owner", "李明", "--due", "2026-05-01", "--starts", "2026-04-01")
    review = json.loads(cg(shop, "investigate", "review", "2026-Q3", "--json").stdout)
    assert {r["reason"]: r["interviews"] for r in review["data"]} == {"price": 3, "service": 1, "closure": 1}
    assert review["actions"][0]["measurable"] is True and review["actions"][0]["churn_before"] is not None
    zh = cg(shop, "investigate", "review", "2026-Q3", lang="zh").stdout
    assert "已完成面谈的流失原因" in zh and "价格" in zh and "不可控" in zh
    cg(shop, "investigate", "close", "2026-Q3")
    listed = json.loads(cg(shop, "investigate", "list", "--status", "closed", "--json").stdout)["data"]
    assert [x["investigation_id"] for x in listed] == ["2026-Q3"] and listed[0]["done"] == 5
    log = json.loads(runner.invoke(app, ["audit", "--json", "-w", str(shop)]).stdout)["data"]
    acts = [e["action"] for e in log if e["action"].startswith(("investigation", "interview", "improvement"))]
    assert sorted(set(acts)) == ["improvement_action_added", "interview_recorded", "investigation_closed",
                                 "investigation_reviewed", "investigation_started"]
    assert acts.count("interview_recorded") == 6 and acts.count("investigation_started") == 2


@pytest.mark.parametrize("args, message", [
    (["investigate", "start", "--period", "2026-Q5"], "--period: '2026-Q5' is not a period"),
    (["investigate", "start", "--period", "2027-Q1"], "starts after the as-of date"),
    (["investigate", "start", "--period", "2020"], "no defector to interview"),
    (["investigate", "start", "--period", "2026-Q3", "--partial-sample", "2"], "--partial-sample: must be a share"),
    (["investigate", "record", "C0000035", "--reason", "cheap"], "--reason: 'cheap' is not a churn reason; choose one of: price"),
    (["investigate", "record", "C0000035", "--reason", "price", "--recoverable", "maybe"], "--recoverable"),
    (["investigate", "record", "NOPE", "--reason", "price"], "in no open investigation"),
    (["investigate", "review", "1999-Q1"], "no investigation '1999-Q1'"),
    (["investigate", "action", "add", "1999-Q1", "--reason", "price", "--action", "x", "--owner", "y",
      "--due", "someday"], "--due: 'someday' is not a date"),
])
def test_errors_name_the_option(shop: Path, args: list[str], message: str) -> None:
    r = runner.invoke(app, [*args, "-w", str(shop), "--lang", "en"])
    assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output


def test_a_transactions_file_alone_has_no_one_to_interview_and_says_so(tmp_path: Path) -> None:
    """No customers file, no users: every interview stays unassigned, and the command says why
    rather than that everyone is full."""
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    toml = ws / "churnguard.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('threshold_days = "auto"', "threshold_days = 90"),
                    encoding="utf-8")
    lines = ["customer_id,occurred_at,amount"]
    for i in range(6):  # each buys monthly through 2025, then stops: lost 90 days after, in 2026-Q1
        lines += [f"C{i},2025-{m:02d}-15,{100 + i}" for m in range(1, 13)]
    lines += ["K,2026-06-30,50"]  # the data's last day
    (tmp_path / "tx.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "transactions", str(tmp_path / "tx.csv"), "-w", str(ws)]).exit_code == 0
    out = cg(ws, "investigate", "start", "--period", "2026-Q1").stdout
    assert "opened: 6 interviews (6 complete defectors" in out
    assert "6 interviews unassigned: no one to give them to" in out and "already" not in out
