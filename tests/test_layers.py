"""Data flows one way: ingest → store → compute → act → service → present (DESIGN.md §4).

The contracts are in pyproject.toml (``[tool.importlinter]``): the layers and what each may
import, the edges reaching data only through the service layer, no cycles inside present.
This test runs the checker on the source as it is, so `make test` fails on an import that
breaks one; fix the import rather than listing an exception.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(src: Path = ROOT / "src") -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--no-cache", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(src), "PATH": str(exe.parent)})


def test_the_import_contracts_hold() -> None:
    done = _lint_imports()
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in done.stdout


def test_the_contracts_catch_a_forbidden_import(tmp_path: Path) -> None:
    # the checker itself must be able to fail: a copy of the source where a page imports store
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "churnguard", copy / "churnguard",
                    ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
    (copy / "churnguard" / "present" / "_layer_probe.py").write_text(
        "from churnguard.store import Store  # noqa: F401\n", encoding="utf-8")
    done = _lint_imports(copy)
    assert done.returncode != 0
    assert "churnguard.present._layer_probe -> churnguard.store" in done.stdout
