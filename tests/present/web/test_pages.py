"""The pages over HTTP against a real server: login, CSRF on every form, roles, languages, uploads."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute

from churnguard.present.web.pages import PAGES
from churnguard.settings import SETTINGS_FILE, load_settings
from tests.present.live import BAD_TRANSACTIONS_CSV, CUSTOMERS_CSV, PASSWORD, TRANSACTIONS_CSV, Site

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(site: Site, lang: str = "en") -> httpx.Client:
    """A cookie-keeping client that does not follow redirects (so tests see them)."""
    return httpx.Client(base_url=site.base_url, headers={"Accept-Language": lang}, timeout=60)


def csrf_of(page: httpx.Response) -> str:
    m = CSRF.search(page.text)
    assert m, "every page with a form carries the CSRF token"
    return m.group(1)


def login(c: httpx.Client, who: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(c.get("/login"))
    return c.post("/login", data={"user_id": who, "password": password, "csrf_token": token})


def test_pages_need_a_login_and_come_back_after_it(site: Site) -> None:
    with browser(site) as c:
        for path in ("/", "/data", "/settings"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"
        token = csrf_of(c.get("/login?next=/data"))
        r = c.post("/login", data={"user_id": "li", "password": PASSWORD, "csrf_token": token, "next": "/data"})
        assert r.status_code == 303 and r.headers["location"] == "/data"
        assert c.get("/data").status_code == 200


def test_wrong_password_is_refused_without_telling_which_part(site: Site) -> None:
    with browser(site) as c:
        for who, pw in (("li", "wrong-pass"), ("nobody", PASSWORD)):
            r = login(c, who, pw)
            assert r.status_code == 401 and "Wrong user name or password." in r.text
        assert c.get("/").status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_csrf_token_is_403(site: Site, token: str | None) -> None:
    with browser(site) as c:
        c.get("/login")
        data = {"user_id": "li", "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        r = c.post("/login", data=data)
        assert r.status_code == 403 and "This form has expired" in r.text
        assert c.get("/").status_code == 303  # not signed in


def test_a_form_post_with_a_bad_csrf_token_is_403_and_changes_nothing(fresh_site: Site) -> None:
    site = fresh_site
    with browser(site) as c:
        login(c, "admin")
        files = {"file": ("orders.csv", TRANSACTIONS_CSV.encode(), "text/csv")}
        for data in ({"kind": "transactions"}, {"kind": "transactions", "csrf_token": "forged"}):
            r = c.post("/data/import", data=data, files=files)
            assert r.status_code == 403 and "This form has expired" in r.text
        before = (site.path / SETTINGS_FILE).read_bytes()
        r = c.post("/settings", data={"language": "en", "csrf_token": "forged"})
        assert r.status_code == 403
        assert (site.path / SETTINGS_FILE).read_bytes() == before
        r = c.post("/logout", data={})
        assert r.status_code == 403 and c.get("/").status_code == 200  # still signed in
        # a token from another session does not work either
        with browser(site) as other:
            login(other, "li")
            foreign = csrf_of(other.get("/data"))
        assert c.post("/data/import", data={"kind": "transactions", "csrf_token": foreign},
                      files=files).status_code == 403
    with site.client("admin") as api:
        assert api.get("/api/status").json()["tables"]["transactions"]["rows"] == 0


def test_every_page_post_is_csrf_checked(site: Site) -> None:
    """Every POST route of every page module answers 403 without the session's token."""
    posts = [r.path for m in PAGES for r in m.router.routes if isinstance(r, APIRoute) and "POST" in r.methods]
    assert set(posts) >= {"/login", "/logout", "/data/import", "/settings", "/settings/users"}
    with browser(site) as c:
        login(c, "admin")
        for path in posts:
            r = c.post(path, data={"user_id": "admin", "password": PASSWORD, "kind": "customers"},
                       files={"file": ("c.csv", CUSTOMERS_CSV.encode(), "text/csv")})
            assert r.status_code == 403 and "This form has expired" in r.text, path
            r = c.post(path, json={"user_id": "admin"}, headers={"X-CSRF-Token": "forged"})
            assert r.status_code == 403, path


def test_upload_bad_then_good_file(fresh_site: Site) -> None:
    site = fresh_site
    with browser(site) as c:
        login(c, "li")
        page = c.get("/data")
        token = csrf_of(page)
        assert 'enctype="multipart/form-data"' in page.text
        r = c.post("/data/import", data={"kind": "transactions", "csrf_token": token},
                   files={"file": ("坏订单.csv", BAD_TRANSACTIONS_CSV.encode(), "text/csv")})
        assert r.status_code == 422
        rows = re.findall(r"<tr><td>坏订单.csv</td><td class=\"num\">(\d+)</td><td>([^<]+)</td>", r.text)
        assert rows == [("2", "下单日期"), ("3", "金额"), ("4", "客户编号")]
        assert "3 bad values; nothing was imported." in r.text and "not a date" in r.text
        r = c.post("/data/import", data={"kind": "customers", "csrf_token": token},
                   files={"file": ("客户.csv", CUSTOMERS_CSV.encode("gbk"), "text/csv")})
        assert r.status_code == 303 and r.headers["location"] == "/data"
        page = c.get("/data")
        assert "Imported 客户.csv (Customers): 3 rows read, 3 new or changed, 0 unchanged." in page.text
        assert "Imported" not in c.get("/data").text  # a flash shows once
        r = c.post("/data/import", data={"kind": "", "csrf_token": token},
                   files={"file": ("o.csv", b"x", "text/csv")})
        assert r.status_code == 422 and "Choose what the file holds." in r.text
        r = c.post("/data/import", data={"kind": "transactions", "csrf_token": token},
                   files={"file": ("empty.csv", b"", "text/csv")})
        assert r.status_code == 422 and "empty.csv: the file is empty" in r.text


def test_a_csm_reads_but_does_not_import_or_change_settings(fresh_site: Site) -> None:
    site = fresh_site
    with browser(site) as c:
        login(c, "王芳")
        page = c.get("/data")
        assert page.status_code == 200 and 'action="/data/import"' not in page.text
        token = csrf_of(page)
        r = c.post("/data/import", data={"kind": "customers", "csrf_token": token},
                   files={"file": ("c.csv", CUSTOMERS_CSV.encode(), "text/csv")})
        assert r.status_code == 403 and "may not do this" in r.text
        settings = c.get("/settings")
        assert settings.status_code == 200 and "Only an administrator changes settings." in settings.text
        assert 'id="users-table"' not in settings.text and 'name="churn.threshold_days"' not in settings.text
        assert c.post("/settings", data={"language": "en", "csrf_token": token}).status_code == 403
        assert c.post("/settings/users", data={"user_id": "x", "role": "admin", "password": "s3cret-pass",
                                               "password2": "s3cret-pass", "csrf_token": token}).status_code == 403
        nav = re.findall(r'<nav class="nav".*?</nav>', c.get("/").text, re.S)[0]
        assert "/settings" in nav and "/data" in nav


def test_admin_changes_settings_and_sees_refusals_per_field(fresh_site: Site) -> None:
    site = fresh_site
    toml = site.path / SETTINGS_FILE
    with browser(site) as c:
        login(c, "admin")
        page = c.get("/settings")
        token = csrf_of(page)
        assert 'name="churn.threshold_days" value="auto"' in page.text
        assert "duckdb:///churnguard.duckdb" in page.text and 'name="database_url"' not in page.text
        before = toml.read_bytes()
        r = c.post("/settings", data={"csrf_token": token, "churn.threshold_days": "soon",
                                      "churn.grace_days": "7", "value.pareto_share": "2"})
        assert r.status_code == 422 and "Nothing was saved" in r.text
        assert r.text.count('class="field-error"') == 2 and 'value="soon"' in r.text
        assert toml.read_bytes() == before
        r = c.post("/settings", data={"csrf_token": token, "churn.threshold_days": "60", "churn.grace_days": "7",
                                      "currency": "USD"})
        assert r.status_code == 303
        assert "Saved 3 settings." in c.get("/settings").text
        s = load_settings(toml)
        assert (s.churn.threshold_days, s.churn.grace_days, s.currency) == (60, 7, "USD")
        r = c.post("/settings", data={"csrf_token": token, "database_url": "postgresql://x@y/z"})
        assert r.status_code == 303 and load_settings(toml).database_url == "duckdb:///churnguard.duckdb"


def test_admin_adds_a_user_who_can_then_sign_in(fresh_site: Site) -> None:
    site = fresh_site
    with browser(site) as c:
        login(c, "admin")
        token = csrf_of(c.get("/settings"))
        new = {"csrf_token": token, "user_id": "张伟", "role": "csm", "csm_name": "张伟", "language": "zh",
               "password": "zhang-pass", "password2": "zhang-pass"}
        r = c.post("/settings/users", data={**new, "password2": "other-pass"})
        assert r.status_code == 422 and "The two passwords differ." in r.text
        assert c.post("/settings/users", data={**new, "role": "boss"}).status_code == 422
        r = c.post("/settings/users", data=new)
        assert r.status_code == 303 and r.headers["location"] == "/settings#users"
        assert "User 张伟 added." in c.get("/settings").text
        r = c.post("/settings/users", data=new)
        assert r.status_code == 422 and "already exists" in r.text
    with browser(site, lang="en") as z:
        assert login(z, "张伟", "zhang-pass").status_code == 303
        assert "总览" in z.get("/").text  # the user's own language beats the browser's


def test_language_follows_the_browser_then_the_switch(fresh_site: Site) -> None:
    site = fresh_site
    with browser(site, lang="zh-CN,zh;q=0.9") as c:
        assert "登录" in c.get("/login").text
    with browser(site, lang="en-GB,en;q=0.9") as c:
        page = c.get("/login")
        assert "Sign in" in page.text and "登录" not in page.text
        assert c.get("/lang/zh", params={"next": "/login"}).headers["location"] == "/login"
        assert "登录" in c.get("/login").text  # chosen before signing in, kept through it
        login(c, "li")
        assert "总览" in c.get("/").text
        r = c.get("/lang/en", params={"next": "/data?x=1"})
        assert r.status_code == 303 and r.headers["location"] == "/data?x=1"
        assert "Overview" in c.get("/").text
        with site.client("admin") as api:  # a link switches the session only: a GET stores nothing
            assert {u["user_id"]: u["language"] for u in api.get("/api/users").json()["data"]}["li"] is None
        assert c.post("/lang/zh", data={"next": "/"}).status_code == 403  # a change needs the CSRF token
        r = c.post("/lang/en", data={"next": "/data?x=1", "csrf_token": csrf_of(c.get("/"))})
        assert r.status_code == 303 and r.headers["location"] == "/data?x=1"
        assert c.get("/lang/fr").status_code == 404
        assert c.get("/lang/en", params={"next": "//evil.example/"}).headers["location"] == "/"
        assert c.get("/lang/en", params={"next": "https://evil.example/"}).headers["location"] == "/"
    with site.client("admin") as api:
        users = {u["user_id"]: u["language"] for u in api.get("/api/users").json()["data"]}
    assert users["li"] == "en"  # kept for the next login


def test_logout_ends_the_session(site: Site) -> None:
    with browser(site) as c:
        login(c, "li")
        token = csrf_of(c.get("/"))
        r = c.post("/logout", data={"csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.get("/").status_code == 303


def test_assets_are_local_and_headers_strict(site: Site) -> None:
    with browser(site) as c:
        login(c, "li")
        page = c.get("/data")
        js = c.get("/assets/plotly.min.js")
        css = c.get("/assets/app.css")
        charts = c.get("/assets/charts.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000 and "javascript" in js.headers["content-type"]
    assert css.status_code == 200 and charts.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store", "a signed-in page is never kept by a browser or proxy"
    assert "no-store" not in css.headers.get("cache-control", "")
    assert js.headers["cache-control"].startswith("public")
    assert not re.search(r'(src|href)="(https?:)?//', page.text), "nothing from another site"
    assert "<script>" not in page.text  # no inline scripts (CSP)


def test_unknown_page_is_404_page(site: Site) -> None:
    with browser(site, lang="zh") as c:
        r = c.get("/no-such-page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "未找到" in r.text
