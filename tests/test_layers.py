"""Data flows one way: ingest → store → compute → act → present (DESIGN.md §4).

Each layer imports only from the layers before it (and the shared modules); this test reads
every module's imports and fails on one that reaches forward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import churnguard

ROOT = Path(churnguard.__file__).parent
ORDER = ["ingest", "simulate", "store", "compute", "act", "service", "present"]
# the simulator is a source like a user's file: it may use ingest, nothing later
SHARED = {"errors", "vocab", "schema", "settings", "i18n", "__init__", "__main__", "value"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "churnguard" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in ORDER else None


def test_no_layer_imports_a_later_one() -> None:
    offences = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        own = rel.parts[0] if len(rel.parts) > 1 else None
        if own not in ORDER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                target = _layer(name)
                if target and ORDER.index(target) > ORDER.index(own):
                    offences.append(f"{rel}: imports {name} ({own} may not import {target})")
    assert offences == []
