"""The investigation pages: the list with its start form (managers), the review page with the action
form, and the interview form on the customer page — role and CSRF checks, errors in the page, both
languages; and a real browser submitting the interview form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.present.live import Site, copy_site, serve_subprocess
from tests.present.web.test_pages import browser, csrf_of, login


@pytest.fixture(scope="module")
def opened(demo_site: Site) -> tuple[Site, str]:
    """The served demo with an investigation of 2026-Q3 started by the manager li through the page."""
    with browser(demo_site, "en") as c:
        login(c, "li")
        page = c.get("/investigations")
        assert page.status_code == 200 and "Start an investigation" in page.text
        r = c.post("/investigations", data={"period": "2026-Q3", "partial_sample": "", "seed": "3",
                                            "csrf_token": csrf_of(page)})
        assert r.status_code == 303, r.text
        inv = r.headers["location"].rsplit("/", 1)[1]
    return demo_site, inv


def interviews(site: Site, inv: str) -> list[dict]:
    with site.client("li") as c:
        return c.get(f"/api/investigations/{inv}/interviews").json()["data"]


def test_the_list_and_the_review_page_in_both_languages(opened: tuple[Site, str]) -> None:
    site, inv = opened
    with browser(site, "zh") as c:
        login(c, "li")
        c.get("/lang/zh")
        page = c.get("/investigations")
        assert "跳槽客户调查" in page.text and f'data-investigation="{inv}"' in page.text
        review = c.get(f"/investigations/{inv}")
        assert review.status_code == 200
        assert "改进措施" in review.text and "面谈" in review.text and 'id="action-form"' in review.text
    with browser(site, "en") as c:
        login(c, "王芳")
        c.get("/lang/en")
        page = c.get("/investigations")
        assert page.status_code == 200 and "Start an investigation" not in page.text  # a CSM does not start one
        review = c.get(f"/investigations/{inv}")
        assert "Improvement actions" in review.text and 'id="action-form"' not in review.text
        r = c.post("/investigations", data={"period": "2026-Q3", "csrf_token": csrf_of(review)})
        assert r.status_code == 403
    with browser(site, "en") as c:
        assert c.get("/investigations").status_code == 303  # not signed in: to the login page


def test_start_form_errors_are_shown_and_forged_forms_refused(opened: tuple[Site, str]) -> None:
    site, _ = opened
    with browser(site, "en") as c:
        login(c, "li")
        c.get("/lang/en")
        page = c.get("/investigations")
        r = c.post("/investigations", data={"period": "last summer", "csrf_token": csrf_of(page)})
        assert r.status_code == 422 and "is not a period" in r.text and 'id="start-error"' in r.text
        before = len(c.get("/api/investigations").json()["data"])
        r = c.post("/investigations", data={"period": "2026-Q3", "csrf_token": "forged"})
        assert r.status_code == 403
        assert len(c.get("/api/investigations").json()["data"]) == before


def test_the_interview_form_on_the_customer_page(opened: tuple[Site, str]) -> None:
    site, inv = opened
    rows = interviews(site, inv)
    own = next(x for x in rows if x["interviewer"] == "王芳")["customer_id"]
    with browser(site, "zh") as c:
        login(c, "王芳")
        c.get("/lang/zh")
        page = c.get(f"/customers/{own}")
        assert page.status_code == 200 and 'id="interview-form"' in page.text and "跳槽客户面谈" in page.text
        assert '<option value="price">价格</option>' in page.text  # reasons in the page's language
        token = csrf_of(page)
        url = f"/investigations/{inv}/interviews/{own}"
        r = c.post(url, data={"reason": "", "csrf_token": token})
        assert r.status_code == 422 and 'id="interview-error"' in r.text
        r = c.post(url, data={"reason": "promotion", "competitor": "优选商城", "recoverable": "yes",
                              "attempts": "3", "notes": "对手打折", "on": "2026-09-28", "csrf_token": token})
        assert r.status_code == 303 and r.headers["location"].endswith(f"/customers/{own}#interview")
        again = c.get(f"/customers/{own}")
        assert "已记录" in again.text or "recorded" in again.text
        # another CSM's customer: refused
        other = next(x for x in rows if x["interviewer"] not in ("王芳", None))["customer_id"]
        r = c.post(f"/investigations/{inv}/interviews/{other}", data={"reason": "price", "csrf_token": token})
        assert r.status_code in (403, 404)
    done = {x["customer_id"]: x for x in interviews(site, inv)}[own]
    assert (done["status"], done["reason"], done["competitor"], done["recoverable"], done["attempts"]) == \
        ("done", "promotion", "优选商城", True, 3)


def test_adding_an_action_and_recording_a_review(opened: tuple[Site, str]) -> None:
    site, inv = opened
    with browser(site, "en") as c:
        login(c, "li")
        c.get("/lang/en")
        page = c.get(f"/investigations/{inv}")
        token = csrf_of(page)
        r = c.post(f"/investigations/{inv}/actions", data={"reason": "price", "action": "", "owner": "x",
                                                           "due": "2026-10-01", "csrf_token": token})
        assert r.status_code == 422 and 'id="action-error"' in r.text
        r = c.post(f"/investigations/{inv}/actions", data={"reason": "service", "action": "second-line support",
                                                           "owner": "李明", "due": "2026-08-01", "csrf_token": token})
        assert r.status_code == 303
        page = c.get(f"/investigations/{inv}")
        assert "second-line support" in page.text and "not yet measurable" in page.text
        r = c.post(f"/investigations/{inv}/review", data={"notes": "", "csrf_token": token})
        assert r.status_code == 303  # not due yet: said on the page, nothing recorded
        assert "is due yet" in c.get(f"/investigations/{inv}").text
        r = c.post(f"/investigations/{inv}/actions/{inv}-a1/done", data={"csrf_token": token})
        assert r.status_code == 303
        # the review settles on another reason for the interview recorded on the customer page
        done = [x for x in interviews(site, inv) if x["status"] == "done"]
        assert len(done) == 1 and 'id="reclassify-form"' in c.get(f"/investigations/{inv}").text
        r = c.post(f"/investigations/{inv}/reclassify", data={"customer_id": done[0]["customer_id"],
                                                              "reason": "product", "csrf_token": token})
        assert r.status_code == 303
        review = c.get(f"/api/investigations/{inv}").json()
    assert review["actions"][0]["done_at"] is not None
    assert review["stated_vs_reviewed"] == [{"stated": "promotion", "reviewed": "product", "interviews": 1,
                                             "changed": True}]
    assert review["data"][0]["reason"] == "product"
    with browser(site, "en") as c:
        login(c, "王芳")  # a CSM may not reclassify
        token = csrf_of(c.get(f"/investigations/{inv}"))
        r = c.post(f"/investigations/{inv}/reclassify", data={"customer_id": done[0]["customer_id"],
                                                              "reason": "price", "csrf_token": token})
        assert r.status_code == 403


# -- a real browser ---------------------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def served(demo_template: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require(CHROMIUM.exists(), "chromium (/usr/bin/chromium)")
    with serve_subprocess(copy_site(demo_template, tmp_path_factory.mktemp("inv-browser") / "shop")) as site:
        yield site


@pytest.mark.browser
def test_open_the_investigation_and_submit_the_interview_form(served: Site, chromium) -> None:
    from tests.present.web.test_browser import LAPTOP, Tab

    with served.client("li") as c:
        inv = c.post("/api/investigations", json={"period": "2026-Q3", "seed": 1}).json()["investigation_id"]
        first = c.get(f"/api/investigations/{inv}/interviews").json()["data"][0]["customer_id"]
    t = Tab(chromium, served, "zh-CN", LAPTOP)
    try:
        t.login("li")
        t.use_language("zh")
        t.page.click("nav >> text=跳槽调查")
        assert t.page.inner_text("h1") == "跳槽客户调查"
        t.page.click(f"#investigations-table >> text={inv}")
        assert inv in t.page.inner_text("#investigation-title")
        t.shot("investigation-zh")
        t.page.click(f'#interviews-table tr[data-customer="{first}"] a')
        assert t.page.locator("#interview-form").count() == 1
        t.page.select_option("#interview-reason", "service")
        t.page.fill("#interview-competitor", "优选商城")
        t.page.select_option("#interview-recoverable", "no")
        t.page.fill("#interview-notes", "售后太慢")
        t.page.click("#interview-form button[type=submit]")
        t.page.wait_for_load_state()
        assert "面谈已记录" in t.page.inner_text(".flash-success")
        t.shot("interview-zh")
        t.go(f"/investigations/{inv}")
        row = t.page.locator(f'#interviews-table tr[data-customer="{first}"]')
        assert row.get_attribute("data-status") == "done" and "服务" in row.inner_text()
        assert "服务" in t.page.inner_text("#reasons-table")
        t.page.wait_for_selector("#reasons .chart .main-svg")
        t.use_language("en")
        assert "Reasons of the interviews done" in t.page.inner_text("#reasons")
        t.shot("investigation-en")
    finally:
        t.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from tests.present.web.test_browser import CHROMIUM_ARGS, SHOTS

    require(CHROMIUM.exists(), "chromium (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()

