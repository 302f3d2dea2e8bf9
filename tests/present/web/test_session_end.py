"""A login ends on the server: a cookie copied before logout, a new password or a disabled user
opens nothing afterwards (issue 17: the cookie saved before logout still opened /settings)."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
from typer.testing import CliRunner

from churnguard.present.cli import app
from tests.present.live import PASSWORD, Site

runner = CliRunner()


def _signed_in(site: Site, who: str) -> httpx.Client:
    c = httpx.Client(base_url=site.base_url, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"user_id": who, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return c


def _copy(c: httpx.Client, site: Site) -> httpx.Client:
    thief = httpx.Client(base_url=site.base_url, timeout=60)
    thief.cookies.set("churnguard_session", c.cookies.get("churnguard_session"))
    return thief


def test_a_cookie_copied_before_logout_opens_nothing_after_it(fresh_site: Site) -> None:
    with closing(_signed_in(fresh_site, "admin")) as c:
        with _copy(c, fresh_site) as thief:
            assert thief.get("/settings").status_code == 200
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/").text).group(1)
            assert c.post("/logout", data={"csrf_token": csrf}).status_code == 303
            r = thief.get("/settings")
            assert r.status_code == 303 and r.headers["location"].startswith("/login")
            assert thief.get("/api/status").status_code == 401


def test_a_new_password_or_disabling_ends_the_browser_sessions(fresh_site: Site) -> None:
    site = fresh_site
    with closing(_signed_in(site, "li")) as c:
        assert c.get("/").status_code == 200
        r = runner.invoke(app, ["user", "passwd", "li", "--password-stdin", "-w", str(site.path), "--lang", "en"],
                          input="a-new-password\n")
        assert r.exit_code == 0 and "1 web session(s) ended" in r.output
        assert c.get("/").status_code == 303
    with closing(_signed_in(site, "王芳")) as c:
        token = runner.invoke(app, ["user", "token", "王芳", "--expires", "30", "-w", str(site.path)]).stdout.strip()
        with httpx.Client(base_url=site.base_url, headers={"Authorization": f"Bearer {token}"}) as api:
            assert api.get("/api/me").status_code == 200
            assert runner.invoke(app, ["user", "disable", "王芳", "-w", str(site.path)]).exit_code == 0
            assert c.get("/").status_code == 303
            assert api.get("/api/me").status_code == 401
            assert runner.invoke(app, ["user", "enable", "王芳", "-w", str(site.path)]).exit_code == 0
            assert api.get("/api/me").status_code == 200
            listed = runner.invoke(app, ["user", "tokens", "王芳", "-w", str(site.path), "--json"])
            token_id = __import__("json").loads(listed.stdout)["data"][0]["token_id"]
            assert runner.invoke(app, ["user", "revoke", token_id, "-w", str(site.path)]).exit_code == 0
            assert api.get("/api/me").status_code == 401
            assert runner.invoke(app, ["user", "revoke", token_id, "-w", str(site.path)]).exit_code == 2
