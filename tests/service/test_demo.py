"""The demo goes through the same import path as a user's files, truth kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from churnguard.errors import WorkspaceError
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.simulate import simulate
from churnguard.store import Workspace


@pytest.mark.parametrize("engine_name", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_demo_imports_every_simulated_row(tmp_path: Path, engine_name: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_url") if engine_name == "postgres" else None
    result = build_demo(DemoOptions(tmp_path / "demo", customers=300, months=12, seed=3, database_url=url))
    sim = simulate(customers=300, months=12, seed=3)
    rows = result.to_dict()["rows"]
    for kind, frame in sim.tables.items():
        assert rows[kind] == len(frame), kind
    with Workspace.open(tmp_path / "demo") as ws:
        assert ws.store.count("truth") == 300
        assert ws.store.count("transactions") == len(sim.tables["transactions"])
        imports = ws.store.table("imports").to_pandas()
        assert set(imports["file"]) == {f"simulator:{k}" for k in sim.tables}
    assert result.truth["complete"] == int((sim.truth["churn_kind"] == "complete").sum())


def test_demo_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(WorkspaceError, match="not a workspace"):
        build_demo(DemoOptions(tmp_path / "mine", customers=50, months=6))
    assert (tmp_path / "mine" / "notes.txt").exists()
    build_demo(DemoOptions(tmp_path / "d", customers=50, months=6))
    with pytest.raises(WorkspaceError, match="--replace"):
        build_demo(DemoOptions(tmp_path / "d", customers=50, months=6))
    build_demo(DemoOptions(tmp_path / "d", customers=60, months=6, replace=True))
    with Workspace.open(tmp_path / "d") as ws:
        assert ws.store.count("customers") == 60
