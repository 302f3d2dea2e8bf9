"""Churn reasons over HTTP against a served workspace after `churnguard run`: /api/reasons is the
CLI's JSON, bad parameters are 422 naming them, the defectors, at-risk and customer routes carry the
recorded reason, and the reasons page and the overview's reasons chart read in both languages."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from tests.conftest import same_figures
from tests.present.live import Site
from tests.present.server.test_api import assert_error
from tests.present.web.test_measure_pages import h1, signed_in

runner = CliRunner()


def cli_json(site: Site, *args: str) -> dict:
    r = runner.invoke(cli, [*args, "--workspace", str(site.path), "--json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("cli_args, path", [
    (["reasons"], "/api/reasons"),
    (["reasons", "--by", "segment", "--from", "2026-01-01"], "/api/reasons?by=segment&from=2026-01-01"),
])
def test_api_reasons_is_the_cli_json(run_site: Site, cli_args: list[str], path: str) -> None:
    want = cli_json(run_site, *cli_args)
    with run_site.client("li") as c:
        got = c.get(path, headers={"Accept-Language": "en"}).json()
    for d in (want, got):  # labels are in the reader's language; the figures are the same
        for r in d["data"]:
            r.pop("label")
    assert same_figures(got, want)
    assert got["defectors_source"] == "stored by churnguard run"
    assert got["count"] == len(got["data"]) > 0
    assert sum(t["defectors"] for t in got["totals"].values()) == sum(r["defectors"] for r in got["data"])


@pytest.mark.parametrize("params, field", [({"by": "colour"}, "by"), ({"from": "2026-09-01", "to": "2026-01-01"}, "from"),
                                           ({"to": "2031-01-01"}, "to"), ({"from": "soon"}, "from")])
def test_bad_reason_parameters_are_422(run_site: Site, params: dict, field: str) -> None:
    with run_site.client("li") as c:
        r = c.get("/api/reasons", params=params)
    # a value the route cannot read (invalid_request) or options that do not fit (invalid_input)
    err = assert_error(r, 422, r.json()["error"]["code"])
    assert r.json()["error"]["code"] in ("invalid_request", "invalid_input")
    assert field in err["message"]


def test_lists_carry_the_recorded_reason(run_site: Site) -> None:
    with run_site.client("li") as c:
        defectors = c.get("/api/defectors").json()["data"]
        risk = c.get("/api/at-risk", params={"top": 200}).json()["data"]
        assert all({"reason", "reason_source", "competitor"} <= set(r) for r in defectors + risk)
        with_reason = [r for r in defectors if r["reason"]]
        assert with_reason and all(r["reason_source"] in ("recorded", "inferred") for r in with_reason)
        one = with_reason[0]
        page = c.get(f"/api/customers/{one['customer_id']}").json()
    assert page["churn_reasons"] and page["churn_reasons"][0]["reason"] == one["reason"]
    assert [r for r in page["churn_reasons"] if r["counts"]][0]["competitor"] == one["competitor"]


def test_reasons_page_and_overview_chart_in_both_languages(run_site: Site) -> None:
    with signed_in(run_site, "en") as c:
        page = c.get("/reasons", params={"by": "segment"})
        assert page.status_code == 200 and h1(page) == "Churn reasons"
        assert 'id="reasons-table"' in page.text and 'id="reasons-by-table"' in page.text
        assert 'data-chart="reason-defectors"' in page.text and "plotly.min.js" in page.text
        assert 'href="/api/reasons?by=segment">JSON</a>' in page.text
        assert "controllable" in page.text
        overview = c.get("/")
        assert 'id="overview-reasons"' in overview.text and 'data-chart="overview-reasons-chart"' in overview.text
        for bad in ({"from": "2026-09-01", "to": "2026-01-01"}, {"from": "soon"}, {"to": "0001-01-01"}):
            r = c.get("/reasons", params=bad)
            assert r.status_code == 200 and 'id="reasons-problem"' in r.text, bad
        # the form as a browser sends it, empty dates included
        empty = c.get("/reasons", params={"from": "", "to": "", "by": "region"})
        assert empty.status_code == 200 and 'id="reasons-by-table"' in empty.text
    with signed_in(run_site, "zh-CN", "王芳") as c:
        page = c.get("/reasons")
        assert h1(page) == "流失原因"
        assert "可控" in page.text and "未记录" in page.text and "各原因的跳槽客户数" in page.text
        assert re.search(r'<a href="/reasons">流失原因</a>', c.get("/").text)


def test_pages_show_the_recorded_reason(run_site: Site) -> None:
    with run_site.client("li") as c:
        defectors = c.get("/api/defectors", params={"kind": "complete"}).json()["data"]
    one = next(r for r in defectors if r["reason"])
    with signed_in(run_site, "en") as c:
        listed = c.get("/defectors", params={"kind": "complete", "page": 1 + defectors.index(one) // 50}).text
        row = re.search(rf'<tr data-customer="{one["customer_id"]}">.*?</tr>', listed, re.S).group(0)
        assert "Recorded reason" in row
        page = c.get(f"/customers/{one['customer_id']}").text
        assert 'id="churn-reasons-table"' in page and 'data-counts="yes"' in page
    with signed_in(run_site, "zh-CN") as c:
        page = c.get(f"/customers/{one['customer_id']}").text
        assert "流失原因" in page and 'id="churn-reasons-table"' in page


def test_a_reason_recorded_after_the_run_shows_at_once(run_site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Last in this module: it adds a churn reason to the served workspace."""
    from tests.present.server.test_api import upload

    with run_site.client("li") as c:
        top = c.get("/api/at-risk", params={"top": 1}).json()["data"][0]
    cid = top["customer_id"]
    # a partial defection the team recorded after the run (and after the data's last purchase)
    csv = f"customer_id,recorded_at,reason,kind,competitor,source\n{cid},2026-10-15,促销,partial,对手乙,interview\n"
    assert upload(run_site, "admin", "churn-reasons", "reasons.csv", csv.encode()).status_code == 200
    with run_site.client("li") as c:
        row = c.get("/api/at-risk", params={"top": 1}).json()["data"][0]
        history = c.get(f"/api/customers/{cid}").json()["churn_reasons"]
    assert (row["customer_id"], row["reason"], row["reason_source"], row["competitor"]) == (
        cid, "promotion", "recorded", "对手乙")
    assert history[0]["reason"] == "promotion" and history[0]["counts"] is True
    from churnguard.present.cli import common

    monkeypatch.setattr(common.console, "width", 300)  # the table's every column on one line
    shown = runner.invoke(cli, ["at-risk", "--top", "1", "--workspace", str(run_site.path), "--lang", "en"])
    assert shown.exit_code == 0 and "Recorded reason" in shown.stdout and "对手乙" in shown.stdout
    page = runner.invoke(cli, ["customer", cid, "--workspace", str(run_site.path), "--lang", "en", "--limit", "1"])
    assert page.exit_code == 0 and "churn reason: promotion (a rival's offer) · 对手乙 (2026-10-15, interview)" in page.stdout
