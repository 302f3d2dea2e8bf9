"""``GET /api/status``: what the workspace holds (the JSON of ``churnguard status --json``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from churnguard.present.api.common import AUTH_ERRORS, json_result, stored_result
from churnguard.present.server.deps import AnyUser, FiguresDep

router = APIRouter(tags=["workspace"])


@router.get("/status", name="api_status", responses=AUTH_ERRORS)
def get_status(user: AnyUser, figures: FiguresDep) -> Response:
    """Rows per table, date range and last import of every importable table.

    Same JSON as `churnguard status --json`: `{"workspace", "database", "tables": {name: {rows,
    date_from, date_to, last_import}}}`.
    """
    return stored_result(figures.get("status"))


@router.get("/me", name="api_me", responses=AUTH_ERRORS)
def get_me(user: AnyUser) -> JSONResponse:
    """The user the token belongs to: `{user_id, role, csm_name, language, created_at}`."""
    return json_result(user)
