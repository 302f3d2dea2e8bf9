"""The listening pages and routes against a served small company: surveys (with the sample form
for managers, CSRF-checked), complaints and the defector profile, in Chinese and English; the
API answers what the CLI's --json prints."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app as cli
from tests.present.live import Site
from tests.present.web.test_pages import browser, csrf_of, login

runner = CliRunner()


def cli_json(site: Site, *args: str) -> dict:
    r = runner.invoke(cli, [*args, "--workspace", str(site.path), "--json", "--lang", "en"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("cli_args, path", [
    (["survey", "report"], "/api/surveys/report"),
    (["survey", "report", "--by", "segment", "--from", "2026-01-01"], "/api/surveys/report?by=segment&from=2026-01-01"),
    (["complaints"], "/api/complaints"),
    (["complaints", "--open"], "/api/complaints?open=true"),
    (["profile-defectors"], "/api/defectors/profile"),
])
def test_the_api_answers_the_cli_json(demo_site: Site, cli_args: list[str], path: str) -> None:
    with demo_site.client("王芳") as c:
        r = c.get(path)
    assert r.status_code == 200, r.text
    assert r.json() == cli_json(demo_site, *cli_args)
    assert r.json()["count"] == len(r.json()["data"])


def test_the_api_names_a_bad_parameter(demo_site: Site) -> None:
    with demo_site.client("li") as c:
        assert c.get("/api/surveys/report?by=colour").status_code == 422
        r = c.get("/api/defectors/profile?from=2026-06-01&to=2026-01-01")
        assert r.status_code == 422 and '"from"' in r.text
        r = c.post("/api/surveys/sample", json={"size": 10_000_000})
        assert r.status_code == 422


def test_only_managers_draw_a_sample_through_the_api(demo_site: Site) -> None:
    with demo_site.client("王芳") as c:
        assert c.post("/api/surveys/sample", json={"size": 5}).status_code == 403
    with demo_site.client("li") as c:
        dry = c.post("/api/surveys/sample", json={"size": 5, "seed": 3, "stratify": "segment", "dry_run": True}).json()
        assert dry["count"] == 5 and not dry["recorded"]
        same = cli_json(demo_site, "survey", "sample", "--size", "5", "--seed", "3", "--stratify", "segment", "--dry-run")
        assert same["data"] == dry["data"]
        done = c.post("/api/surveys/sample", json={"size": 5, "seed": 3}).json()
        assert done["recorded"] and done["sample_id"].startswith("S")
        again = c.post("/api/surveys/sample", json={"size": 5, "seed": 3, "dry_run": True}).json()
        assert again["cooled_down"] >= done["cooled_down"] + 5
        assert not {r["customer_id"] for r in again["data"]} & {r["customer_id"] for r in done["data"]}


@pytest.mark.parametrize("lang, words", [("en", ("Satisfaction surveys", "Churn by satisfaction level", "very satisfied")),
                                         ("zh", ("满意度调查", "按满意度的流失率", "高度满意"))])
def test_survey_page_in_both_languages(demo_site: Site, lang: str, words: tuple[str, ...]) -> None:
    with browser(demo_site, lang) as c:
        login(c, "王芳")
        page = c.get("/surveys")
        assert page.status_code == 200
        for w in words:
            assert w in page.text, w
        assert 'id="sample-form"' not in page.text  # a CSM does not draw samples
    with browser(demo_site, lang) as c:
        login(c, "li")
        page = c.get("/surveys?by=segment")
        assert page.status_code == 200 and 'id="sample-form"' in page.text  # a manager does


@pytest.mark.parametrize("lang, words", [("en", ("Complaints", "Estimates from settings, not measurements", "Silent majority (estimate)")),
                                         ("zh", ("投诉", "估计", "沉默的大多数"))])
def test_complaint_page_marks_the_estimates(demo_site: Site, lang: str, words: tuple[str, ...]) -> None:
    with browser(demo_site, lang) as c:
        login(c, "li")
        page = c.get("/complaints")
        assert page.status_code == 200
        for w in words:
            assert w in page.text, w
        assert c.get("/complaints?status=open").status_code == 200


@pytest.mark.parametrize("lang, words", [("en", ("What defectors have in common", "Standardised")),
                                         ("zh", ("跳槽客户的共同点", "标准化差异"))])
def test_profile_page_in_both_languages(demo_site: Site, lang: str, words: tuple[str, ...]) -> None:
    with browser(demo_site, lang) as c:
        login(c, "li")
        page = c.get("/defectors/profile")
        assert page.status_code == 200 and 'id="profile-table"' in page.text
        for w in words:
            assert w in page.text, w


def test_the_sample_form_checks_role_and_csrf(demo_site: Site) -> None:
    with browser(demo_site) as c:
        login(c, "王芳")
        token = csrf_of(c.get("/surveys"))
        assert c.post("/surveys/sample", data={"size": "3", "csrf_token": token}).status_code == 403
    with browser(demo_site) as c:
        login(c, "li")
        assert c.post("/surveys/sample", data={"size": "3", "csrf_token": "forged"}).status_code == 403
        token = csrf_of(c.get("/surveys"))
        r = c.post("/surveys/sample", data={"size": "abc", "csrf_token": token})
        assert r.status_code == 422 and 'id="sample-problem"' in r.text
        r = c.post("/surveys/sample", data={"size": "4", "seed": "1", "stratify": "segment", "dry_run": "1",
                                            "csrf_token": token})
        assert r.status_code == 200 and 'id="sample-table"' in r.text and "Not recorded" in r.text
        r = c.post("/surveys/sample", data={"size": "4", "seed": "1", "csrf_token": token})
        assert r.status_code == 200 and "recorded: 4 customers" in r.text


def test_pages_say_why_they_have_no_figures(site: Site, demo_site: Site) -> None:
    """An empty workspace, and a window the data cannot give, read as a message where the
    figures would be, never as a server error."""
    with browser(site, "zh") as c:
        login(c, "li")
        for path in ("/surveys", "/complaints", "/defectors/profile"):
            page = c.get(path)
            assert page.status_code == 200 and 'id="listen-problem"' in page.text, path
            assert "导入" in page.text  # import transactions or contracts first
    with browser(demo_site, "en") as c:
        login(c, "li")
        for path in ("/complaints?from=2030-01-01", "/surveys?from=2030-01-01", "/defectors/profile?from=2026-09-01&to=2026-01-01"):
            page = c.get(path)
            assert page.status_code == 422 and 'id="listen-problem"' in page.text and "from" in page.text, path
