"""/api/reasons/suggestions against a served simulated company: the CLI's JSON, a CSM's own
defectors, saving for managers only (403 for a CSM, 401 without a token), saving twice adds nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from churnguard.service import users as users_svc
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.store import Workspace
from tests.present.live import PASSWORD, PEOPLE, Site, serve_in_thread
from tests.present.server.test_api import assert_error

runner = CliRunner()
AS_OF = "2026-06-30"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A simulated company large enough to learn reasons from (about 60 interviews by the date)."""
    path: Path = tmp_path_factory.mktemp("reasons") / "shop"
    build_demo(DemoOptions(directory=path, customers=1500, months=24, seed=5))
    site = Site(path)
    with Workspace.open(path) as ws:
        for name, (role, csm) in PEOPLE.items():
            users_svc.add_user(ws, users_svc.UserCreate(name, role, PASSWORD, csm_name=csm))
            site.tokens[name] = users_svc.create_token(ws, name)
    with serve_in_thread(site) as s:
        yield s


def test_get_is_the_cli_json_and_a_csm_sees_their_own(shop: Site) -> None:
    r = runner.invoke(cli, ["suggest-reasons", "--as-of", AS_OF, "--lang", "en", "-w", str(shop.path), "--json"])
    assert r.exit_code == 0, r.output
    expected = json.loads(r.stdout)
    assert expected["count"] > 0 and expected["saved"] is None
    with shop.client("li") as c:
        got = c.get("/api/reasons/suggestions", params={"as_of": AS_OF, "lang": "en"})
    assert got.status_code == 200, got.text
    assert got.json() == expected
    with shop.client("王芳") as c:
        mine = c.get("/api/reasons/suggestions", params={"as_of": AS_OF}).json()
    assert mine["count"] < expected["count"] and all(row["csm"] == "王芳" for row in mine["data"])
    assert {row["customer_id"] for row in mine["data"]} == {
        row["customer_id"] for row in expected["data"] if row["csm"] == "王芳"}


def test_saving_is_for_managers_and_adds_nothing_the_second_time(shop: Site) -> None:
    with shop.client() as c:
        assert_error(c.post("/api/reasons/suggestions", params={"as_of": AS_OF}), 401, "unauthorized")
    with shop.client("王芳") as c:
        assert_error(c.post("/api/reasons/suggestions", params={"as_of": AS_OF}), 403, "forbidden")
    with shop.client("li") as c:
        first = c.post("/api/reasons/suggestions", params={"as_of": AS_OF, "limit": 2})
        second = c.post("/api/reasons/suggestions", params={"as_of": AS_OF})
        bad = c.get("/api/reasons/suggestions", params={"limit": 0})
    assert first.status_code == 200 and second.status_code == 200
    a, b = first.json(), second.json()
    assert a["count"] == 2 and a["saved"] > 2 and b["saved"] == 0 and b["count"] == a["saved"]
    assert_error(bad, 422, "invalid_request")


def test_the_command_line_says_it_in_english_and_chinese(shop: Site) -> None:
    wide = {"COLUMNS": "250"}
    en = runner.invoke(cli, ["suggest-reasons", "--as-of", AS_OF, "--limit", "3", "--lang", "en", "-w", str(shop.path)],
                       env=wide)
    assert en.exit_code == 0, en.output
    d = json.loads(runner.invoke(cli, ["suggest-reasons", "--as-of", AS_OF, "-w", str(shop.path), "--json"]).stdout)
    assert (f"reasons suggested from text as of 2026-06-30 (given): {d['suggested']} of {d['with_text']} defectors"
            in en.stdout)  # the table's headers shrink with the terminal: the summary line is the check
    zh = runner.invoke(cli, ["suggest-reasons", "--as-of", AS_OF, "--limit", "3", "--lang", "zh", "-w", str(shop.path)],
                       env=wide)
    assert zh.exit_code == 0, zh.output
    assert "根据文字推断的流失原因" in zh.stdout
    bad = runner.invoke(cli, ["suggest-reasons", "--limit", "0", "-w", str(shop.path)])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
