"""What every API route shares: the error shape in the OpenAPI document, JSON of results."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from churnguard.service.jsonable import jsonable
from churnguard.service.results import Stored


class ErrorDetail(BaseModel):
    """What went wrong: a stable ``code``, a ``message`` for people, ``details`` for programs."""

    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The one shape of every error answer."""

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the error shape for ``statuses``."""
    text = {400: "Bad request", 401: "No valid token", 403: "Role not allowed", 413: "Upload too large",
            422: "Invalid input", 503: "Workspace unavailable"}
    return {s: {"model": ErrorResponse, "description": text.get(s, "Error")} for s in statuses}


AUTH_ERRORS = errors(401, 403)


def json_result(result: Any, status_code: int = 200) -> JSONResponse:
    """A service result as JSON, exactly as the CLI's ``--json`` prints it."""
    return JSONResponse(jsonable(result), status_code=status_code)


def stored_result(stored: Stored) -> Response:
    """A stored figure as JSON: its stored text as it is (the CLI's ``--json``, without re-encoding).

    ``X-Churnguard-Computed-At`` says when it was computed (UTC) and ``X-Churnguard-Stored``
    whether it was read from the store of figures.
    """
    return Response(stored.body, media_type="application/json", headers={
        "X-Churnguard-Computed-At": stored.computed_at,
        "X-Churnguard-Stored": "yes" if stored.cached else "no",
    })
