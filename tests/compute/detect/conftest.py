"""Fixtures of the detection tests: small workspaces and settings with a fixed threshold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from churnguard.settings import Settings
from churnguard.store import Workspace


@pytest.fixture
def settings() -> Settings:
    """Default settings with a fixed 90-day threshold (hand-built cases have few gaps)."""
    s = Settings()
    s.churn.threshold_days = 90
    return s


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """An empty DuckDB workspace."""
    w = Workspace.init(tmp_path / "ws")
    try:
        yield w
    finally:
        w.close()
