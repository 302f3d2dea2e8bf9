"""Users, roles and tokens on every engine: hashed passwords, clear refusals, tokens shown once."""

from __future__ import annotations

import pytest

from churnguard.errors import InputError
from churnguard.service import users as svc
from churnguard.store import Workspace
from churnguard.store.engine import quote_ident


def test_password_hash_is_salted_scrypt_and_checks_in_constant_time() -> None:
    a, b = svc.hash_password("correct horse"), svc.hash_password("correct horse")
    assert a != b and a.startswith("scrypt$32768$8$1$")  # salted: same password, other hash
    assert "correct horse" not in a
    assert svc.verify_password("correct horse", a) and not svc.verify_password("correct hors", a)
    for broken in ("", "scrypt$x", "bcrypt$1$2$3$4$5", "scrypt$16384$8$1$!!$!!"):
        assert svc.verify_password("correct horse", broken) is False


def test_add_list_authenticate(workspace: Workspace) -> None:
    svc.add_user(workspace, svc.UserCreate("admin", "admin", "s3cret-pass"))
    wang = svc.add_user(workspace, svc.UserCreate("王芳", "csm", "s3cret-pass", csm_name="王芳", language="zh"))
    assert wang.role == "csm" and wang.csm_name == "王芳" and wang.created_at is not None
    listed = svc.list_users(workspace).to_dict()
    assert listed["count"] == 2 and [u["user_id"] for u in listed["data"]] == ["admin", "王芳"]
    assert set(listed["data"][0]) == {"user_id", "role", "csm_name", "language", "created_at", "disabled_at"}
    assert svc.authenticate(workspace, "王芳", "s3cret-pass") == svc.get_user(workspace, "王芳")
    assert svc.authenticate(workspace, "王芳", "wrong-pass") is None
    assert svc.authenticate(workspace, "nobody", "s3cret-pass") is None
    # only the hash is stored
    t = quote_ident("users")
    with workspace.store.transaction(commit=False) as cur:
        cur.execute(f"SELECT password_hash FROM {t}")
        stored = [r[0] for r in cur.fetchall()]
    assert all(h.startswith("scrypt$") and "s3cret" not in h for h in stored)


@pytest.mark.parametrize("new, words", [
    (svc.UserCreate("bob", "boss", "s3cret-pass"), "role 'boss': choose one of admin, manager, csm"),
    (svc.UserCreate("bob", "csm", "s3cret-pass"), "needs --csm NAME"),
    (svc.UserCreate("bob", "manager", "short"), "at least 8 characters"),
    (svc.UserCreate("bob smith", "manager", "s3cret-pass"), "without spaces"),
    (svc.UserCreate("", "manager", "s3cret-pass"), "1–64 characters"),
    (svc.UserCreate("bob", "manager", "s3cret-pass", language="fr"), "choose zh or en"),
])
def test_bad_users_are_refused_with_the_reason(duck_workspace: Workspace, new, words: str) -> None:
    with pytest.raises(InputError, match=words):
        svc.add_user(duck_workspace, new)
    assert svc.count_users(duck_workspace) == 0


def test_a_name_is_taken_once(workspace: Workspace) -> None:
    svc.add_user(workspace, svc.UserCreate("li", "manager", "s3cret-pass"))
    with pytest.raises(InputError, match="user 'li' already exists"):
        svc.add_user(workspace, svc.UserCreate("li", "admin", "other-pass"))
    assert svc.get_user(workspace, "li").role == "manager"


def test_tokens_are_stored_as_hashes_and_find_their_user(workspace: Workspace) -> None:
    svc.add_user(workspace, svc.UserCreate("li", "manager", "s3cret-pass"))
    t1, t2 = svc.create_token(workspace, "li"), svc.create_token(workspace, "li")
    assert t1 != t2 and t1.startswith("cg_") and len(t1) > 40
    assert svc.user_for_token(workspace, t1).user_id == "li" == svc.user_for_token(workspace, t2).user_id
    assert svc.user_for_token(workspace, t1 + "x") is None
    assert svc.user_for_token(workspace, "not-a-token") is None
    with workspace.store.transaction(commit=False) as cur:
        cur.execute(f"SELECT token_hash FROM {quote_ident('api_tokens')}")
        hashes = {r[0] for r in cur.fetchall()}
    assert t1 not in hashes and len(hashes) == 2
    with pytest.raises(InputError, match="no user 'bob'"):
        svc.create_token(workspace, "bob")


def test_language_choice_is_kept(duck_workspace: Workspace) -> None:
    svc.add_user(duck_workspace, svc.UserCreate("li", "manager", "s3cret-pass"))
    svc.set_language(duck_workspace, "li", "en")
    assert svc.get_user(duck_workspace, "li").language == "en"
    svc.set_language(duck_workspace, "li", None)
    assert svc.get_user(duck_workspace, "li").language is None
    with pytest.raises(InputError):
        svc.set_language(duck_workspace, "li", "de")


def test_roles_include_admin() -> None:
    admin, csm = svc.User("a", "admin"), svc.User("c", "csm", "c")
    assert admin.has_role("manager") and admin.has_role("csm")
    assert csm.has_role("csm") and not csm.has_role("manager")


def test_set_password_replaces_the_old_one(duck_workspace) -> None:
    from churnguard.errors import InputError
    from churnguard.service import users

    users.add_user(duck_workspace, users.UserCreate("li", "manager", "first-pass"))
    users.set_password(duck_workspace, "li", "second-pass")
    assert users.authenticate(duck_workspace, "li", "first-pass") is None
    assert users.authenticate(duck_workspace, "li", "second-pass").user_id == "li"
    with pytest.raises(InputError, match="at least 8"):
        users.set_password(duck_workspace, "li", "short")
    with pytest.raises(InputError, match="no user 'nobody'"):
        users.set_password(duck_workspace, "nobody", "long-enough")
