"""``GET /api/users``: the users and their roles (admins only)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from churnguard.present.api.common import AUTH_ERRORS, json_result
from churnguard.present.server.deps import AdminUser, WorkspaceDep
from churnguard.service.users import list_users

router = APIRouter(tags=["users"])


@router.get("/users", name="api_users", responses=AUTH_ERRORS)
def get_users(ws: WorkspaceDep, user: AdminUser) -> JSONResponse:
    """Every user: `{"data": [{user_id, role, csm_name, language, created_at}], "count": n}` (as `churnguard user list --json`)."""
    return json_result(list_users(ws))
