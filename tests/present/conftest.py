"""Fixtures of the HTTP tests: a workspace with users, served by a real uvicorn.

The small simulated company (and the same after ``churnguard run``, about two minutes on two
cores) is built once per test session: each module serves a copy of its own, so a module that
imports or changes settings still never sees another module's changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.present.live import Site, copy_site, make_site, serve_in_thread


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The small simulated company with its users (see :func:`make_site`); copy it, never serve it."""
    return make_site(tmp_path_factory.mktemp("demo-template") / "shop", demo=True)


@pytest.fixture(scope="session")
def run_template(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The small simulated company after ``churnguard run``; copy it, never serve it."""
    return make_site(tmp_path_factory.mktemp("run-template") / "shop", demo=True, run=True)


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
def demo_site(demo_template: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served small simulated company (see :func:`make_site`), one copy per test module."""
    with serve_in_thread(copy_site(demo_template, tmp_path_factory.mktemp("demo") / "shop")) as s:
        yield s


@pytest.fixture(scope="module")
def run_site(run_template: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The small simulated company after ``churnguard run``, served; one copy per test module."""
    with serve_in_thread(copy_site(run_template, tmp_path_factory.mktemp("run") / "shop")) as s:
        yield s
