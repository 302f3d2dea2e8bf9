"""The audit log (issue 17): sign-ins, imports, setting and user changes, with who, when and
from where — recorded by the service functions themselves, read by ``churnguard audit``."""

from __future__ import annotations

import json
import re
from contextlib import closing
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from churnguard.errors import InputError
from churnguard.present.cli import app
from churnguard.service import audit
from churnguard.service import users as svc
from churnguard.service.imports import ImportOptions, import_data
from churnguard.store import Workspace
from tests.present.live import PASSWORD, Site

runner = CliRunner()


def test_user_changes_and_imports_are_recorded_with_their_actor(workspace: Workspace) -> None:
    with audit.acting_as("cli:ops", "10.0.0.1"):
        svc.add_user(workspace, svc.UserCreate("王芳", "csm", PASSWORD, csm_name="王芳"))
        svc.add_user(workspace, svc.UserCreate("admin", "admin", PASSWORD))
        svc.set_password(workspace, "王芳", "another-pass")
        tok = svc.create_token(workspace, "王芳", expires_days=7)
        svc.revoke_token(workspace, tok)
        svc.disable_user(workspace, "王芳")
        frame = pa.table({"customer_id": ["C1", "C2"], "occurred_at": ["2024-01-02", "2024-01-03"],
                          "amount": [10.0, 20.0]})
        assert import_data(workspace, ImportOptions("transactions", frame=frame, frame_name="t.csv")).ok
        import_data(workspace, ImportOptions("transactions", frame=frame, frame_name="t.csv", dry_run=True))
    got = audit.events(workspace).to_dict()
    actions = [r["action"] for r in reversed(got["data"])]
    assert actions == ["user_added", "user_added", "password_changed", "token_created", "token_revoked",
                       "user_disabled", "import"]  # a dry run changes nothing and is not an event
    assert {r["actor"] for r in got["data"]} == {"cli:ops"} and {r["address"] for r in got["data"]} == {"10.0.0.1"}
    imp = got["data"][0]
    assert imp["subject"] == "transactions" and imp["details"]["rows_imported"] == 2 and imp["details"]["file"] == "t.csv"
    assert audit.events(workspace, action="user_added").to_dict()["count"] == 2
    assert audit.events(workspace, limit=1).to_dict()["data"][0]["action"] == "import"
    assert audit.events(workspace, actor="web:nobody").to_dict()["count"] == 0
    with pytest.raises(InputError, match="unknown action"):
        audit.events(workspace, action="drop_table")
    # nothing secret in the log: no password, no token
    text = json.dumps(got["data"], default=str)
    assert PASSWORD not in text and "another-pass" not in text and tok not in text


def test_sign_ins_failures_and_settings_changes_over_http_and_the_cli_reads_them(fresh_site: Site) -> None:
    site = fresh_site
    with closing(httpx.Client(base_url=site.base_url, timeout=60)) as c:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"user_id": "admin", "password": "wrong-pass", "csrf_token": csrf}).status_code == 401
        assert c.post("/login", data={"user_id": "admin", "password": PASSWORD, "csrf_token": csrf}).status_code == 303
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/settings").text).group(1)
        r = c.post("/settings", data={"csrf_token": csrf, "churn.horizon_days": "60"})
        assert r.status_code == 303
        assert c.post("/logout", data={"csrf_token": csrf}).status_code == 303
    r = runner.invoke(app, ["audit", "-w", str(site.path), "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["data"]
    by_action = {row["action"]: row for row in rows}
    assert {"sign_in_failed", "sign_in", "settings_changed", "sign_out"} <= set(by_action)
    assert by_action["sign_in"]["actor"] == "web:admin" and by_action["sign_in"]["address"] == "127.0.0.1"
    assert by_action["sign_in_failed"]["subject"] == "admin" and by_action["sign_in_failed"]["actor"] == "web:"
    assert by_action["settings_changed"]["actor"] == "web:admin"
    assert by_action["settings_changed"]["details"] == {"churn.horizon_days": "60"}
    # the CLI's own changes carry the system user's name
    assert runner.invoke(app, ["user", "disable", "li", "-w", str(site.path)]).exit_code == 0
    r = runner.invoke(app, ["audit", "-w", str(site.path), "--action", "user_disabled", "--json"])
    row = json.loads(r.stdout)["data"][0]
    assert row["subject"] == "li" and row["actor"].startswith("cli:")
    r = runner.invoke(app, ["audit", "-w", str(site.path), "--limit", "3"])
    assert r.exit_code == 0 and "┃" in r.output  # the table (its width is the terminal's; the JSON above is exact)
    assert runner.invoke(app, ["audit", "-w", str(site.path), "--since", "0001-01-01"]).exit_code == 2


def test_an_old_workspace_gets_the_audit_table(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    with ws.store.transaction() as cur:
        cur.execute('DROP TABLE "audit_log"')
    ws.close()
    with Workspace.open(tmp_path / "ws") as again:
        audit.record(again, "sign_in", "x", actor="web:x")
        assert audit.events(again).to_dict()["count"] == 1
