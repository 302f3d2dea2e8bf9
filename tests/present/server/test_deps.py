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
