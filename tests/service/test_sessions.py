"""Sessions and tokens that can be ended (issue 17, item 2), on every engine.

Before: a login was a signed cookie only, so a copy of it taken before logout still opened
the pages; a new password left sessions and tokens valid; tokens never expired; users could
not be disabled or deleted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from churnguard.errors import InputError
from churnguard.service import users as svc
from churnguard.store import Workspace
from churnguard.store.engine import quote_ident

PW = "s3cret-pass"


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    svc.add_user(workspace, svc.UserCreate("admin", "admin", PW))
    svc.add_user(workspace, svc.UserCreate("王芳", "csm", PW, csm_name="王芳"))
    return workspace


def test_a_session_lives_until_logout_idleness_or_its_age(ws: Workspace) -> None:
    sid = svc.start_session(ws, "王芳")
    assert svc.session_user(ws, sid).user_id == "王芳"
    assert svc.session_user(ws, sid + "x") is None
    svc.end_session(ws, sid)
    assert svc.session_user(ws, sid) is None  # logged out: the same cookie opens nothing

    ws.settings.web.session_idle_minutes, ws.settings.web.session_hours = 30, 2
    now = svc._now()
    sid = svc.start_session(ws, "王芳")
    assert svc.session_user(ws, sid, now + timedelta(minutes=29)).user_id == "王芳"  # and marks it seen
    assert svc.session_user(ws, sid, now + timedelta(minutes=58)).user_id == "王芳"
    assert svc.session_user(ws, sid, now + timedelta(minutes=58 + 31)) is None  # idle too long
    sid = svc.start_session(ws, "王芳")
    for minutes in range(20, 120, 20):  # busy, but …
        assert svc.session_user(ws, sid, now + timedelta(minutes=minutes)) is not None
    assert svc.session_user(ws, sid, now + timedelta(minutes=121)) is None  # … older than session_hours


def test_a_new_password_a_new_role_or_disabling_ends_the_sessions(ws: Workspace) -> None:
    a, b = svc.start_session(ws, "王芳"), svc.start_session(ws, "王芳")
    keep = svc.start_session(ws, "admin")
    assert svc.set_password(ws, "王芳", "another-pass") == 2
    assert svc.session_user(ws, a) is None and svc.session_user(ws, b) is None
    assert svc.session_user(ws, keep).user_id == "admin"  # other users' sessions stay
    assert svc.authenticate(ws, "王芳", PW) is None and svc.authenticate(ws, "王芳", "another-pass")

    s = svc.start_session(ws, "王芳")
    assert svc.set_role(ws, "王芳", "manager").role == "manager"
    assert svc.session_user(ws, s) is None

    s = svc.start_session(ws, "王芳")
    token = svc.create_token(ws, "王芳")
    assert svc.user_for_token(ws, token).user_id == "王芳"
    assert svc.disable_user(ws, "王芳").disabled_at is not None
    assert svc.session_user(ws, s) is None
    assert svc.user_for_token(ws, token) is None
    assert svc.authenticate(ws, "王芳", "another-pass") is None  # the right password, but disabled
    assert svc.list_users(ws).to_dict()["data"][1]["disabled_at"] is not None
    svc.enable_user(ws, "王芳")
    assert svc.user_for_token(ws, token).user_id == "王芳"
    assert svc.authenticate(ws, "王芳", "another-pass") is not None


def test_tokens_expire_are_listed_by_id_and_revoked(ws: Workspace) -> None:
    forever = svc.create_token(ws, "admin")
    short = svc.create_token(ws, "admin", expires_days=1)
    listed = svc.list_tokens(ws, "admin").to_dict()
    assert listed["count"] == 2
    ids = {r["token_id"] for r in listed["data"]}
    assert ids == {svc.token_id(forever), svc.token_id(short)}
    assert all(len(i) == 12 and i not in (forever, short) for i in ids)  # an id, not the token
    row = next(r for r in listed["data"] if r["token_id"] == svc.token_id(short))
    assert row["expires_at"] is not None and not row["expired"]
    assert svc.user_for_token(ws, short).user_id == "admin"

    t = quote_ident("api_tokens")
    p = ws.store.paramstyle
    with ws.store.transaction() as cur:  # a day and a second later
        cur.execute(f"UPDATE {t} SET expires_at = {p} WHERE substr(token_hash, 1, 12) = {p}",
                    (svc._now() - timedelta(seconds=1), svc.token_id(short)))
    assert svc.user_for_token(ws, short) is None
    assert svc.list_tokens(ws).to_dict()["data"][0]["expired"] or svc.list_tokens(ws).to_dict()["data"][1]["expired"]

    assert svc.revoke_token(ws, svc.token_id(forever)) == 1
    assert svc.user_for_token(ws, forever) is None
    assert svc.revoke_token(ws, short) == 1  # the token itself names it too
    assert svc.revoke_token(ws, "0" * 12) == 0
    with pytest.raises(InputError, match="12-character id"):
        svc.revoke_token(ws, "x'; DROP TABLE users; --")
    with pytest.raises(InputError, match="1 to 3650"):
        svc.create_token(ws, "admin", expires_days=0)


def test_delete_takes_sessions_and_tokens_and_the_last_admin_stays(ws: Workspace) -> None:
    s = svc.start_session(ws, "王芳")
    token = svc.create_token(ws, "王芳")
    svc.delete_user(ws, "王芳")
    assert svc.get_user(ws, "王芳") is None
    assert svc.session_user(ws, s) is None and svc.user_for_token(ws, token) is None
    assert svc.list_tokens(ws).to_dict()["count"] == 0
    for change in (lambda: svc.disable_user(ws, "admin"), lambda: svc.delete_user(ws, "admin"),
                   lambda: svc.set_role(ws, "admin", "manager")):
        with pytest.raises(InputError, match="only active admin"):
            change()
    svc.add_user(ws, svc.UserCreate("second", "admin", PW))
    svc.disable_user(ws, "admin")  # now there is another
    with pytest.raises(InputError, match="only active admin"):
        svc.delete_user(ws, "second")


def test_a_workspace_made_before_gets_the_new_columns_and_keeps_its_users(ws: Workspace) -> None:
    token = svc.create_token(ws, "admin")
    with ws.store.transaction() as cur:  # the tables as an older version made them
        cur.execute(f"ALTER TABLE {quote_ident('users')} DROP COLUMN disabled_at")
        cur.execute(f"ALTER TABLE {quote_ident('api_tokens')} DROP COLUMN expires_at")
        cur.execute(f"ALTER TABLE {quote_ident('api_tokens')} DROP COLUMN last_used_at")
        cur.execute(f"DROP TABLE {quote_ident('sessions')}")
    ws.store.ensure_tables()
    assert svc.user_for_token(ws, token).user_id == "admin"
    assert svc.authenticate(ws, "王芳", PW).user_id == "王芳"
    assert svc.session_user(ws, svc.start_session(ws, "admin")).user_id == "admin"
