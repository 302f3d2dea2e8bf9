"""A real server for tests: uvicorn on a free local port, in a thread or as `churnguard serve`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

from churnguard.service import users as users_svc
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.store import Workspace

PASSWORD = "s3cret-pass"
#: Who signs in during the tests: name -> (role, csm_name)
PEOPLE = {"admin": ("admin", None), "li": ("manager", None), "王芳": ("csm", "王芳")}

CUSTOMERS_CSV = (
    "客户编号,客户名称,客户类型,客户经理,地区\n"
    "C001,上海甲贸易有限公司,大客户,王芳,华东\n"
    "C002,北京乙科技,普通客户,张伟,华北\n"
    "C003,广州丙商行,普通客户,王芳,华南\n"
)
TRANSACTIONS_CSV = (
    "客户编号,下单日期,金额\n"
    "C001,2024-01-05,12000\n"
    "C002,2024/2/1,760\n"
    "C001,2024年3月9日,\"1,200.00\"\n"
    "C003,2024-03-20,350\n"
)
BAD_TRANSACTIONS_CSV = (
    "客户编号,下单日期,金额\n"
    "C001,yesterday,12000\n"
    "C002,2024-02-01,lots\n"
    ",2024-02-03,5\n"
)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    """A workspace with the people of :data:`PEOPLE`, and their API tokens."""

    path: Path
    tokens: dict[str, str] = field(default_factory=dict)
    base_url: str = ""

    def client(self, who: str | None = None, **kw) -> httpx.Client:
        """An HTTP client for the server, with ``who``'s bearer token."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60, **kw)


def make_site(path: Path, *, demo: bool = False, run: bool = False) -> Site:
    """A workspace in ``path`` with a user and a token for each of :data:`PEOPLE`.

    Empty, or with ``demo`` a small simulated company (200 customers over 12 months, seed 7;
    王芳 is one of its CSMs), built by the same service as ``churnguard demo``; with ``run`` also
    ``churnguard run`` on it (value, signals, defectors and scores stored).
    """
    site = Site(path)
    if demo:
        build_demo(DemoOptions(directory=path, customers=200, months=12, seed=7))
        if run:
            from churnguard.service.context import open_context
            from churnguard.service.run import run as run_pipeline

            with open_context(path) as ctx:
                run_pipeline(ctx)
        ws = Workspace.open(path)
    else:
        ws = Workspace.init(path)
    with ws:
        for name, (role, csm) in PEOPLE.items():
            users_svc.add_user(ws, users_svc.UserCreate(name, role, PASSWORD, csm_name=csm))
            site.tokens[name] = users_svc.create_token(ws, name)
    return site


def copy_site(template: Site, path: Path) -> Site:
    """A copy of ``template``'s workspace folder in ``path`` (a new folder), with the same tokens.

    The workspace must be closed (no open connection to its DuckDB file); its settings name the
    database relative to the folder, so the copy is a workspace of its own.
    """
    shutil.copytree(template.path, path)
    return Site(path, dict(template.tokens))


@contextmanager
def serve_in_thread(site: Site) -> Iterator[Site]:
    """Run the app of ``site`` with uvicorn in a thread until the block ends."""
    from churnguard.present.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(site.path), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", proxy_headers=False)  # as `churnguard serve`: the app's setting decides
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    site.base_url = f"http://127.0.0.1:{port}"
    try:
        yield site
    finally:
        server.should_exit = True
        thread.join(30)
        keep = config.app.state.churnguard.keep_open
        if keep is not None:
            keep.close()


@contextmanager
def serve_subprocess(site: Site) -> Iterator[Site]:
    """Run ``churnguard serve`` for ``site`` as a user would, until the block ends."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("src").resolve()), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "churnguard", "serve", "--port", str(port), "--workspace", str(site.path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    site.base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("churnguard serve exited: " + proc.stdout.read().decode(errors="replace"))
            try:
                if httpx.get(site.base_url + "/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("churnguard serve did not start within 60 s")
            time.sleep(0.2)
        yield site
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
