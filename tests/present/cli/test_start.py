"""The command line starts fast: importing it, or asking for help, loads no heavy library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "scipy", "sklearn", "lightgbm", "lifelines", "ibis")

_PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(body: str, cwd: Path | None = None) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3] / "src")}
    r = subprocess.run([sys.executable, "-c", _PROBE.format(body=body, heavy=HEAVY)], capture_output=True,
                       text=True, env=env, cwd=cwd, timeout=120)
    return json.loads(r.stderr.strip().splitlines()[-1])


def _run(*args: str) -> str:
    return ("import sys\nfrom churnguard.present.cli import app\n"
            f"try:\n    app({list(args)!r})\nexcept SystemExit:\n    pass\n")


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded("import churnguard.present.cli") == []


@pytest.mark.parametrize("args", [("--help",), ("status", "--help"), ("churn-rate", "--help"),
                                  ("at-risk", "--help"), ("model", "train", "--help"), ("user", "--help")])
def test_help_loads_no_heavy_library(args: tuple[str, ...]) -> None:
    assert _loaded(_run(*args)) == []


def test_status_asks_the_driver_directly(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from churnguard.present.cli import app

    r = CliRunner().invoke(app, ["init", str(tmp_path / "shop")])
    assert r.exit_code == 0, r.output
    assert _loaded(_run("status", "-w", str(tmp_path / "shop"), "--json")) == []


def test_quick_status_is_the_full_status(tmp_path: Path) -> None:
    from churnguard.service.context import open_context
    from churnguard.service.workspace import status
    from churnguard.service.workspace_status import quick_status
    from churnguard.store import Workspace

    Workspace.init(tmp_path / "shop").close()
    (tmp_path / "x.csv").write_text("customer_id,name\nC1,a\nC2,b\n",
                                    encoding="utf-8")
    from typer.testing import CliRunner

    from churnguard.present.cli import app

    r = CliRunner().invoke(app, ["import", "customers", str(tmp_path / "x.csv"), "-w", str(tmp_path / "shop")])
    assert r.exit_code == 0, r.output
    with open_context(tmp_path / "shop", create_tables=False) as ctx:
        quick = quick_status(ctx)
    assert quick is not None
    with open_context(tmp_path / "shop") as ctx:
        assert quick.to_dict() == status(ctx).to_dict()
    assert quick.tables["customers"]["rows"] == 2 and quick.tables["customers"]["last_import"]


def test_import_help_names_every_kind() -> None:
    from churnguard.present.cli.import_cmds import KIND_HELP
    from churnguard.schema import KINDS

    assert all(kind in KIND_HELP for kind in KINDS)


def test_quick_status_on_every_engine(workspace, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from churnguard.present.cli import app
    from churnguard.service.context import open_context
    from churnguard.service.workspace import status_of
    from churnguard.service.workspace_status import quick_status

    f = tmp_path / "t.csv"
    f.write_text("customer_id,occurred_at,amount\nC1,2024-01-05,10\nC2,2024-02-07,5\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["import", "transactions", str(f), "-w", str(workspace.path)])
    assert r.exit_code == 0, r.output
    with open_context(workspace.path, create_tables=False) as ctx:
        quick = quick_status(ctx)
    assert quick is not None
    assert quick.to_dict() == status_of(workspace).to_dict()
    assert quick.tables["transactions"] == {**quick.tables["transactions"], "rows": 2, "date_from": "2024-01-05",
                                            "date_to": "2024-02-07"}
