"""``GET /api/status``: what the workspace holds (the JSON of ``churnguard status --json``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from churnguard.present.api.common import AUTH_ERRORS, json_result
from churnguard.present.server.deps import AnyUser, WorkspaceDep
from churnguard.service.workspace import status_of

router = APIRouter(tags=["workspace"])


@router.get("/status", name="api_status", responses=AUTH_ERRORS)
def get_status(ws: WorkspaceDep, user: AnyUser) -> JSONResponse:
    """Rows per table, date range and last import of every importable table.

    Same JSON as `churnguard status --json`: `{"workspace", "database", "tables": {name: {rows,
    date_from, date_to, last_import}}}`.
    """
    return json_result(status_of(ws))


@router.get("/me", name="api_me", responses=AUTH_ERRORS)
def get_me(user: AnyUser) -> JSONResponse:
    """The user the token belongs to: `{user_id, role, csm_name, language, created_at}`."""
    return json_result(user)
