"""Who sees which customers: a CSM their own by default, managers and admins everyone's."""

from __future__ import annotations

import pytest

from churnguard.present.server.deps import CustomerScope, customer_scope
from churnguard.service.users import User

CSM = User("王芳", "csm", csm_name="王芳")
MANAGER = User("li", "manager")
ADMIN_WHO_IS_A_CSM = User("boss", "admin", csm_name="老板")


@pytest.mark.parametrize("user, asked, expected", [
    (CSM, None, CustomerScope("王芳", True)),
    (CSM, "mine", CustomerScope("王芳", True)),
    (CSM, "all", CustomerScope(None, False)),
    (MANAGER, None, CustomerScope(None, False)),
    (MANAGER, "mine", CustomerScope(None, False)),  # no customers of their own: everyone's
    (ADMIN_WHO_IS_A_CSM, None, CustomerScope(None, False)),
    (ADMIN_WHO_IS_A_CSM, "mine", CustomerScope("老板", True)),
])
def test_customer_scope(user: User, asked: str | None, expected: CustomerScope) -> None:
    assert customer_scope(user, asked) == expected


def test_keep_open_holds_the_file_while_busy_and_lets_go_when_idle(tmp_path) -> None:
    import subprocess
    import sys
    import time

    from churnguard.present.server.deps import KeepOpen
    from churnguard.store import Workspace

    Workspace.init(tmp_path / "shop").close()
    keeper = KeepOpen(tmp_path / "shop", idle=0.4)
    keeper.enter()  # a request is being served: held however long it takes (not timed against idle)
    assert keeper._ws is not None
    other_process = [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
                     str(tmp_path / "shop" / "churnguard.duckdb")]
    assert subprocess.run(other_process, capture_output=True).returncode != 0, "held: another process waits"
    keeper.leave()
    assert keeper._ws is not None, "between the requests of a busy minute the file stays open"
    deadline = time.monotonic() + 10
    while keeper._ws is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert keeper._ws is None
    assert subprocess.run(other_process, capture_output=True).returncode == 0, "idle: the CLI may open it"


def test_many_requests_at_once_all_answer(demo_site) -> None:
    """Connections opened and closed by many threads at once (DuckDB's shared instance) never fail."""
    from concurrent.futures import ThreadPoolExecutor

    def get(i: int) -> int:
        with demo_site.client("li") as c:
            return c.get("/api/status" if i % 2 else "/api/me").status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, range(40))) == {200}
