"""Fixtures of the HTTP tests: a workspace with users, served by a real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.present.live import Site, make_site, serve_in_thread


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One served workspace per test module (admin, manager li, csm 王芳, each with a token)."""
    with serve_in_thread(make_site(tmp_path_factory.mktemp("site") / "shop")) as s:
        yield s


@pytest.fixture
def fresh_site(tmp_path: Path) -> Iterator[Site]:
    """A served workspace of this test's own."""
    with serve_in_thread(make_site(tmp_path / "shop")) as s:
        yield s


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served small simulated company (see :func:`make_site`), one per test module."""
    with serve_in_thread(make_site(tmp_path_factory.mktemp("demo") / "shop", demo=True)) as s:
        yield s


@pytest.fixture(scope="module")
def run_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The small simulated company after ``churnguard run``, served; one per test module."""
    with serve_in_thread(make_site(tmp_path_factory.mktemp("run") / "shop", demo=True, run=True)) as s:
        yield s
