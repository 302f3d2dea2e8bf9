"""`churnguard user …` and `churnguard serve --help` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.present.cli import app
from churnguard.service.users import authenticate, user_for_token
from churnguard.store import Workspace

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    assert runner.invoke(app, ["init", str(tmp_path / "shop")]).exit_code == 0
    return tmp_path / "shop"


def test_add_with_prompt_list_and_token(ws: Path) -> None:
    r = runner.invoke(app, ["user", "add", "admin", "--role", "admin", "-w", str(ws)],
                      input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0, r.output
    assert "s3cret-pass" not in r.output  # hidden input
    r = runner.invoke(app, ["user", "add", "王芳", "--role", "csm", "--csm", "王芳", "--password-stdin",
                            "-w", str(ws)], input="another-pass\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["user", "list", "--json", "-w", str(ws)])
    out = json.loads(r.stdout)
    assert out["count"] == 2
    assert [(u["user_id"], u["role"], u["csm_name"]) for u in out["data"]] == [("admin", "admin", None),
                                                                               ("王芳", "csm", "王芳")]
    r = runner.invoke(app, ["user", "list", "-w", str(ws)])
    assert r.exit_code == 0 and "王芳" in r.output
    r = runner.invoke(app, ["user", "token", "admin", "-w", str(ws)])
    token = r.stdout.strip()
    assert r.exit_code == 0 and token.startswith("cg_")
    with Workspace.open(ws) as w:
        assert user_for_token(w, token).user_id == "admin"
        assert authenticate(w, "王芳", "another-pass") is not None


def test_mismatched_prompt_and_bad_input_are_refused(ws: Path) -> None:
    r = runner.invoke(app, ["user", "add", "li", "--role", "manager", "-w", str(ws)],
                      input="s3cret-pass\nother-pass\ns3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0 and "do not match" in r.output.lower()
    r = runner.invoke(app, ["user", "add", "li", "--role", "manager", "--password-stdin", "-w", str(ws)],
                      input="s3cret-pass\n")
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["user", "add", "bo", "--role", "boss", "--password-stdin", "-w", str(ws)],
                      input="s3cret-pass\n")
    assert r.exit_code == 2 and "choose one of admin, manager, csm" in r.output
    r = runner.invoke(app, ["user", "add", "bo", "--role", "manager", "--password-stdin", "-w", str(ws)],
                      input="short\n")
    assert r.exit_code == 2 and "at least 8" in r.output
    r = runner.invoke(app, ["user", "token", "nobody", "-w", str(ws)])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output


def test_serve_help_has_an_example() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "churnguard serve -w demo" in r.output and "--port" in r.output
