"""``/api/churn-rate`` and the churn page on a simulated company: the CLI's figures, in both languages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from tests.conftest import same_figures
from tests.present.live import PASSWORD, Site


def test_api_churn_rate_is_the_cli_json(demo_site: Site) -> None:
    with demo_site.client("王芳") as c:
        api = c.get("/api/churn-rate", params={"period": "quarter", "by": "segment"}).json()
    r = CliRunner().invoke(cli, ["churn-rate", "--by", "segment", "--json", "-w", str(demo_site.path)])
    assert r.exit_code == 0, r.output
    assert same_figures(api, json.loads(r.stdout))
    assert api["count"] > 0 and api["definition"]["by"] == "segment"
    assert {"period_start", "customers_at_start", "customers_lost", "churn_rate"} <= set(api["data"][0])


@pytest.mark.parametrize("path, params, command", [
    ("/api/cohorts", {"period": "quarter", "basis": "revenue"}, ["cohorts", "--period", "quarter", "--basis", "revenue"]),
    ("/api/retention", {"period": "month"}, ["retention", "--period", "month"]),
    ("/api/price-volume", {"period": "month", "tolerance": "0.05"}, ["price-volume", "--period", "month", "--tolerance", "0.05"]),
    ("/api/overview", {}, ["overview"]),
    ("/api/status", {}, ["status"]),
    ("/api/churn-rate", {"basis": "value", "from": "2025-01-01", "to": "2025-09-30", "as_of": "2025-12-31"},
     # ?to= / --to: the window's last day; ?as_of= / --as-of: the date of knowledge
     ["churn-rate", "--basis", "value", "--from", "2025-01-01", "--to", "2025-09-30", "--as-of", "2025-12-31"]),
    ("/api/threshold", {"by": "segment"}, ["threshold", "--by", "segment"]),
])
def test_every_figure_endpoint_is_the_cli_json(demo_site: Site, path: str, params: dict, command: list) -> None:
    with demo_site.client("li") as c:
        first = c.get(path, params=params)
        again = c.get(path, params=params)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert again.headers["x-churnguard-stored"] == "yes", "the second answer is read, not computed"
    assert again.headers["x-churnguard-computed-at"] == first.headers["x-churnguard-computed-at"]
    r = CliRunner().invoke(cli, [*command, "--json", "-w", str(demo_site.path)])
    assert r.exit_code == 0, r.output
    assert same_figures(again.json(), json.loads(r.stdout))


@pytest.mark.parametrize("path", ["/api/cohorts", "/api/retention", "/api/price-volume", "/api/overview"])
def test_figure_endpoints_need_a_token(demo_site: Site, path: str) -> None:
    with demo_site.client() as c:
        r = c.get(path)
        forged = c.get(path, headers={"Authorization": "Bearer cg_forged"})
    for answer in (r, forged):
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path, params, words", [
    ("/api/cohorts", {"period": "year"}, "period"),
    ("/api/cohorts", {"basis": "value"}, "basis"),
    ("/api/retention", {"basis": "customers"}, "basis"),
    ("/api/retention", {"from": "2024-02-30"}, "from"),
    ("/api/price-volume", {"tolerance": "1.5"}, "tolerance"),
    ("/api/price-volume", {"tolerance": "lots"}, "tolerance"),
    ("/api/overview", {"period": "decade"}, "period"),
    ("/api/overview", {"as_of": "soon"}, "as_of"),
])
def test_bad_figure_parameters_are_422_with_a_message(demo_site: Site, path: str, params: dict, words: str) -> None:
    with demo_site.client("li") as c:
        r = c.get(path, params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    assert words in r.json()["error"]["message"]


def test_a_recurring_basis_without_contracts_is_409_not_500(site: Site) -> None:
    with site.client("li") as c:
        for path in ("/api/retention", "/api/cohorts", "/api/price-volume"):
            r = c.get(path)
            assert r.status_code == 409 and r.json()["error"]["message"], (path, r.text)
        empty = c.get("/api/overview")
    assert empty.status_code == 200 and empty.json()["churn"] == [] and empty.json()["as_of"] is None


@pytest.mark.parametrize("params, words", [
    ({"period": "week"}, "period"),
    ({"basis": "money"}, "basis"),
    ({"by": "colour"}, "by"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2024-13-01"}, "to"),
])
def test_bad_parameters_are_422(demo_site: Site, params: dict, words: str) -> None:
    with demo_site.client("li") as c:
        r = c.get("/api/churn-rate", params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    assert words in r.json()["error"]["message"]


def test_nothing_to_measure_is_409_with_what_to_do(site: Site) -> None:
    with site.client("li") as c:
        r = c.get("/api/churn-rate")
        zh = c.get("/api/churn-rate", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_possible"
    assert "import transactions or contracts first" in r.json()["error"]["message"]
    assert "请先导入交易或合同数据" in zh.json()["error"]["message"]


@contextmanager
def _signed_in(site: Site, lang: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, headers={"Accept-Language": lang}, timeout=60) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"user_id": "li", "password": PASSWORD, "csrf_token": token}).status_code == 303
        yield c


def test_churn_page_draws_the_return_curve(demo_site: Site) -> None:
    with demo_site.client("li") as c:
        api = c.get("/api/threshold").json()
    with _signed_in(demo_site, "zh-CN") as c:
        page = c.get("/churn").text
    assert 'id="return-curve"' in page and "回购曲线" in page and 'id="chart-return-curve-chart"' in page
    assert f"当前生效的流失阈值为 {api['threshold_overall_days']} 天" in page
    assert 'id="reactivation-note"' in page and "回流客户占流失客户的比例" in page
    assert api["count"] > 0 and {"gap_days", "return_share", "judged", "chosen"} <= set(api["data"][0])


def test_churn_page_shows_the_same_figures(demo_site: Site) -> None:
    with demo_site.client("li") as c:
        api = c.get("/api/churn-rate", params={"period": "year"}).json()
    with _signed_in(demo_site, "en") as c:
        page = c.get("/churn", params={"period": "year"})
        zh = c.get("/churn", params={"period": "year", "by": "customer_type"}, headers={"Accept-Language": "zh"})
    assert page.status_code == 200 and 'id="chart-churn"' in page.text
    rows = re.findall(r"<tr(?: class=\"muted\")?>\s*<td>(\d{4})", page.text)
    assert rows == [r["period_start"][:4] for r in api["data"]]
    for r in api["data"]:
        if r["churn_rate"] is not None:
            assert f"{r['churn_rate'] * 100:.1f}%" in page.text
    assert 'href="/api/churn-rate?period=year&amp;basis=customers"' in page.text  # the JSON twin
    assert zh.status_code == 200 and "流失率" in zh.text and "大客户" in zh.text and "普通客户" in zh.text


def test_churn_page_without_data_says_what_to_do(site: Site) -> None:
    with _signed_in(site, "zh-CN") as c:
        page = c.get("/churn")
    assert page.status_code == 200 and "请先导入交易或合同数据" in page.text
