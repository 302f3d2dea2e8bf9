"""The at-risk list says which feature families the model went without (CLI, API and page).

A workspace holding a transactions file alone, as most companies start: the model trains on
purchase features only, and the person reading the list learns what importing would add.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service import users as users_svc
from churnguard.service.imports import ImportOptions, import_data
from churnguard.settings import SETTINGS_FILE, render_settings
from churnguard.simulate import simulate
from churnguard.store import Workspace
from tests.present.live import PASSWORD, PEOPLE, Site, serve_in_thread

runner = CliRunner()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """200 simulated customers' transactions (no other file), after ``churnguard run``, served."""
    path = tmp_path_factory.mktemp("left-out") / "shop"
    tx = simulate(customers=200, months=18, seed=5).tables["transactions"]
    site = Site(path)
    with Workspace.init(path) as ws:
        cols = ["customer_id", "occurred_at", "amount", "quantity"]
        summary = import_data(ws, ImportOptions("transactions", frame=pa.Table.from_pandas(tx[cols],
                                                                                           preserve_index=False)))
        assert summary.ok, summary.to_dict()
        s = ws.settings
        s.model.observation_dates, s.model.trees = 3, 40  # about which tables exist, not the model's skill
        (path / SETTINGS_FILE).write_text(render_settings(s), encoding="utf-8")
        for name, (role, csm) in PEOPLE.items():
            users_svc.add_user(ws, users_svc.UserCreate(name, role, PASSWORD, csm_name=csm))
            site.tokens[name] = users_svc.create_token(ws, name)
    r = runner.invoke(app, ["run", "-w", str(path), "--json"])
    assert r.exit_code == 0, r.output
    with serve_in_thread(site) as s:
        s.run = json.loads(r.stdout)
        yield s


def test_at_risk_json_carries_what_the_run_left_out(site: Site) -> None:
    r = runner.invoke(app, ["at-risk", "-w", str(site.path), "--top", "5", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["features_left_out"] == site.run["features_left_out"]
    assert {"contact", "complaint", "satisfaction", "wallet"} <= {i["family"] for i in d["features_left_out"]}
    with site.client("li") as api:
        assert api.get("/api/at-risk", params={"top": 5}).json()["features_left_out"] == d["features_left_out"]
    text = runner.invoke(app, ["at-risk", "-w", str(site.path), "--top", "5", "--lang", "en"]).output
    assert "features left out (no data)" in text and "interactions" in text


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["The model had no records for", "contacts (needs Interactions)", "satisfaction (needs Survey responses)",
            "breadth of categories bought (needs Transactions · category)"]),
    ("zh-CN", ["模型缺少以下数据", "接触（需要", "满意度（需要"]),
])
def test_the_page_says_it_in_the_readers_language(site: Site, lang: str, words: list[str]) -> None:
    import httpx

    with httpx.Client(base_url=site.base_url, headers={"Accept-Language": lang}, timeout=120) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"user_id": "li", "password": PASSWORD, "csrf_token": token}).status_code == 303
        page = c.get("/at-risk")
    assert page.status_code == 200
    hint = re.search(r'<p class="hint" id="left-out">(.*?)</p>', page.text, re.S)
    assert hint, "no left-out hint on the page"
    for w in words:
        assert w in hint.group(1), (w, hint.group(1))


def test_a_workspace_with_every_table_has_no_such_hint(run_site: Site) -> None:
    with run_site.client("li") as api:
        assert api.get("/api/at-risk", params={"top": 5}).json()["features_left_out"] == []
