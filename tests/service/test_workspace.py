"""Workspace use cases: changing settings atomically, the import log."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from churnguard.errors import InputError, SettingsError
from churnguard.service.context import context_of, open_context
from churnguard.service.imports import ImportOptions, import_data
from churnguard.service.workspace import editable_settings, recent_imports, status, status_of, update_settings
from churnguard.settings import SETTINGS_FILE, documented_fields, load_settings
from churnguard.store import Workspace
from tests.conftest import call


def test_update_settings_saves_every_change(duck_workspace: Workspace) -> None:
    path = duck_workspace.path
    saved = call(path, update_settings, {"language": "en", "churn.threshold_days": "auto", "churn.grace_days": "14",
                                   "value.pareto_share": "0.75", "web.max_upload_mb": "50"})
    assert saved == load_settings(path / SETTINGS_FILE)
    assert (saved.language, saved.churn.threshold_days, saved.churn.grace_days) == ("en", "auto", 14)
    assert (saved.value.pareto_share, saved.web.max_upload_mb) == (0.75, 50)
    text = (path / SETTINGS_FILE).read_text(encoding="utf-8")
    assert "# largest file the web page" in text  # still documented after the save
    assert call(path, update_settings, {"churn.threshold_days": "120"}).churn.threshold_days == 120


@pytest.mark.parametrize("changes, problems", [
    ({"language": "fr", "churn.grace_days": "-1"}, {"language", "churn.grace_days"}),
    ({"churn.threshold_days": "soon"}, {"churn.threshold_days"}),
    ({"value.pareto_share": "1.5", "language": "en"}, {"value.pareto_share"}),
    ({"database_url": "postgresql://x@y/z"}, {"database_url"}),
    ({"churn.threshold_dayz": "3"}, {"churn.threshold_dayz"}),
])
def test_a_refused_value_saves_nothing(duck_workspace: Workspace, changes: dict, problems: set) -> None:
    toml = duck_workspace.path / SETTINGS_FILE
    before = toml.read_bytes()
    with pytest.raises(SettingsError) as info:
        update_settings(context_of(duck_workspace), changes)
    assert set(info.value.problems) == problems
    assert toml.read_bytes() == before
    assert not list(duck_workspace.path.glob("*.tmp"))


def test_only_the_file_changes_the_database() -> None:
    assert "database_url" not in editable_settings()
    # a table of days per segment is written in churnguard.toml, not in a one-line form field
    assert set(editable_settings()) == set(documented_fields()) - {"database_url", "churn.threshold_by_segment"}


def test_import_log_newest_first(duck_workspace: Workspace) -> None:
    rows = pa.table({"customer_id": ["C1", "C2"], "occurred_at": ["2024-01-05", "2024-02-01"], "amount": ["5", "7"]})
    for name in ("first", "second"):
        summary = import_data(duck_workspace, ImportOptions("transactions", frame=rows, frame_name=name))
        assert summary.ok
    log = recent_imports(duck_workspace).to_dict()
    assert log["count"] == 2
    assert {r["file"] for r in log["data"]} == {"first", "second"}
    assert [r["rows_imported"] for r in log["data"]] in ([0, 2], [2, 0])
    assert recent_imports(duck_workspace, limit=1).to_dict()["count"] == 1
    assert recent_imports(duck_workspace, kind="customers").to_dict()["count"] == 0
    with pytest.raises(InputError, match="limit"):
        recent_imports(duck_workspace, limit=0)
    with pytest.raises(InputError, match="unknown kind 'orders'"):
        recent_imports(duck_workspace, kind="orders")


def test_status_of_an_open_workspace_is_status(duck_workspace: Workspace) -> None:
    expected = status_of(duck_workspace).to_dict()
    duck_workspace.close()
    with open_context(Path(duck_workspace.path)) as ctx:
        assert status(ctx).to_dict() == expected


def test_an_upload_is_named_by_its_own_name(duck_workspace: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "tmp123.csv"
    f.write_text("customer_id,occurred_at,amount\nC1,yesterday,5\n", encoding="utf-8")
    summary = import_data(duck_workspace, ImportOptions("transactions", file=f, file_name="订单.csv"))
    assert summary.file == "订单.csv" and summary.errors[0].file == "订单.csv"


def test_the_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """The DuckDB file holds personal data and password hashes: 0600, like the secret key."""
    import os

    old = os.umask(0o022)
    try:
        with Workspace.init(tmp_path / "ws") as ws:
            db = ws.store.path
    finally:
        os.umask(old)
    assert db is not None and db.exists()
    assert db.stat().st_mode & 0o777 == 0o600
