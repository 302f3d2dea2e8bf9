"""Wrong passwords lock the user name and the client address; an administrator lifts the lock.

Issue 17, item 1: 30 wrong passwords in 5.7 s, all 401, then the right one worked.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service import logins
from churnguard.settings import SETTINGS_FILE, render_settings
from churnguard.store import Workspace
from tests.conftest import call
from tests.present.live import PASSWORD, make_site, serve_in_thread

runner = CliRunner()
T0 = datetime(2026, 12, 7, 12, 0, 0)


def _settings(path: Path, **web) -> None:
    with Workspace.open(path) as ws:
        s = ws.settings
        for k, v in web.items():
            setattr(s.web, k, v)
        (path / SETTINGS_FILE).write_text(render_settings(s), encoding="utf-8")


def test_the_lock_doubles_past_the_free_tries_and_stops_at_the_longest() -> None:
    assert [logins.lock_seconds(n, 3, 2) for n in range(1, 12)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 120]


def test_failures_lock_both_subjects_and_a_right_password_clears_the_user(workspace: Workspace) -> None:
    workspace.settings.web.login_free_tries = 2
    names = logins.subjects("li", "10.0.0.7")
    assert names == ["user:li", "address:10.0.0.7"]
    assert logins.record_failure(workspace, names, T0) == 0
    assert logins.record_failure(workspace, names, T0) == 0
    assert logins.wait_seconds(workspace, names, T0) == 0
    assert logins.record_failure(workspace, names, T0) == 1
    assert logins.record_failure(workspace, names, T0) == 2
    assert logins.wait_seconds(workspace, ["user:li"], T0) == 2
    assert logins.wait_seconds(workspace, ["address:10.0.0.7"], T0) == 2
    assert logins.wait_seconds(workspace, names, T0 + timedelta(seconds=2)) == 0
    assert logins.wait_seconds(workspace, ["user:other", "address:10.0.0.8"], T0) == 0  # nobody else

    locks = logins.list_locks(workspace, T0).to_dict()
    assert [(r["subject"], r["failures"], r["locked"]) for r in locks["data"]] == [
        ("address:10.0.0.7", 4, True), ("user:li", 4, True)]

    logins.record_success(workspace, "li")
    assert logins.wait_seconds(workspace, ["user:li"], T0) == 0
    assert logins.wait_seconds(workspace, ["address:10.0.0.7"], T0) == 2  # the address keeps its count

    assert logins.unlock(workspace, address="10.0.0.7") == 1
    assert logins.list_locks(workspace, T0).to_dict()["count"] == 0


def test_a_quiet_spell_as_long_as_the_longest_lock_forgets_the_count(workspace: Workspace) -> None:
    workspace.settings.web.login_free_tries = 1
    workspace.settings.web.login_lockout_max_minutes = 1
    names = ["user:li"]
    for _ in range(5):
        logins.record_failure(workspace, names, T0)
    assert logins.wait_seconds(workspace, names, T0) == 8
    later = T0 + timedelta(minutes=1, seconds=1)
    assert logins.record_failure(workspace, names, later) == 0  # the first wrong try of a new run
    assert logins.wait_seconds(workspace, names, later) == 0


@pytest.fixture
def site(tmp_path: Path):
    s = make_site(tmp_path / "shop")
    _settings(s.path, login_free_tries=3, login_lockout_max_minutes=1, trusted_proxies="127.0.0.1")
    with serve_in_thread(s) as served:
        yield served


def _login(c: httpx.Client, who: str, password: str, **headers) -> httpx.Response:
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    return c.post("/login", data={"user_id": who, "password": password, "csrf_token": token}, headers=headers)


def test_wrong_passwords_lock_the_login_until_an_admin_lifts_it(site) -> None:
    with httpx.Client(base_url=site.base_url, timeout=60, headers={"Accept-Language": "en"}) as c:
        for _ in range(3):
            assert _login(c, "li", "wrong-password").status_code == 401
        assert _login(c, "li", "wrong-password").status_code == 401  # the fourth: locks for 1 s, 2 s …
        assert _login(c, "li", "wrong-password").status_code in (401, 429)
        locked = _login(c, "li", PASSWORD)  # the right password, while locked: not even checked
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) >= 1
        assert "Too many wrong passwords" in locked.text

        r = runner.invoke(app, ["user", "locks", "-w", str(site.path), "--json"])
        assert r.exit_code == 0, r.output
        assert '"user:li"' in r.stdout
        r = runner.invoke(app, ["user", "unlock", "li", "-w", str(site.path), "--lang", "en"])
        assert r.exit_code == 0 and "lock lifted" in r.output
        r = runner.invoke(app, ["user", "unlock", "--address", "127.0.0.1", "-w", str(site.path), "--lang", "en"])
        assert r.exit_code == 0 and "lock lifted" in r.output
        assert _login(c, "li", PASSWORD).status_code == 303
    log = (site.path / "logs" / "churnguard.log").read_text(encoding="utf-8")
    assert "user:li locked" in log and "lock lifted for user:li" in log


def test_many_names_from_one_address_lock_the_address(site) -> None:
    with httpx.Client(base_url=site.base_url, timeout=60) as c:
        for i in range(5):
            _login(c, f"nobody{i}", "wrong-password", **{"X-Forwarded-For": "203.0.113.9"})
        assert _login(c, "admin", PASSWORD, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 429
        # another client behind the same (trusted) proxy is not locked out
        assert _login(c, "admin", PASSWORD, **{"X-Forwarded-For": "203.0.113.10"}).status_code == 303


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    s = make_site(tmp_path / "shop")
    _settings(s.path, login_free_tries=2)  # no trusted proxies: the header is the client's own words
    with serve_in_thread(s) as site, httpx.Client(base_url=site.base_url, timeout=60) as c:
        for i in range(3):
            _login(c, f"nobody{i}", "wrong-password", **{"X-Forwarded-For": f"198.51.100.{i}"})
        with Workspace.open(site.path) as ws:
            subjects = {r["subject"] for r in logins.list_locks(ws).to_dict()["data"]}
    assert "address:127.0.0.1" in subjects
    assert not any("198.51.100" in x for x in subjects)


def test_bad_proxy_settings_are_refused_naming_the_item(tmp_path: Path) -> None:
    from churnguard.settings import Settings

    with pytest.raises(ValueError, match="not-an-ip"):
        Settings.model_validate({"web": {"trusted_proxies": "10.0.0.1, not-an-ip"}})
    # the settings page names the one setting that is wrong, and changes nothing
    from churnguard.errors import SettingsError
    from churnguard.service.workspace import update_settings

    Workspace.init(tmp_path / "ws").close()
    before = (tmp_path / "ws" / SETTINGS_FILE).read_text(encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        call(tmp_path / "ws", update_settings, {"web.trusted_proxies": "10.0.0.1, not-an-ip"})
    assert list(err.value.problems) == ["web.trusted_proxies"] and "not-an-ip" in str(err.value.problems)
    assert (tmp_path / "ws" / SETTINGS_FILE).read_text(encoding="utf-8") == before


def test_the_cookie_is_secure_when_the_setting_says_so(tmp_path: Path) -> None:
    s = make_site(tmp_path / "shop")
    _settings(s.path, secure_cookie=True)
    with serve_in_thread(s) as site, httpx.Client(base_url=site.base_url, timeout=60) as c:
        r = c.get("/login")
        assert "secure" in r.headers["set-cookie"].lower()
    s2 = make_site(tmp_path / "shop2")
    with serve_in_thread(s2) as site, httpx.Client(base_url=site.base_url, timeout=60) as c:
        assert "secure" not in c.get("/login").headers["set-cookie"].lower()
