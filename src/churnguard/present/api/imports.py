"""``/api/imports``: the import log, and importing an uploaded file (as ``churnguard import --json``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from churnguard.present.api.common import AUTH_ERRORS, errors, json_result, stored_result
from churnguard.present.server.deps import AnyUser, FiguresDep, ManagerUser, WorkspaceDep, translator_for
from churnguard.present.server.uploads import import_upload
from churnguard.schema import KINDS

router = APIRouter(tags=["imports"])

KIND_HELP = "What the file holds: " + ", ".join(KINDS) + "."


@router.get("/imports", name="api_imports", responses={**AUTH_ERRORS, **errors(422)})
def list_imports(
    user: AnyUser,
    figures: FiguresDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many imports, newest first.")] = 20,
    kind: Annotated[str | None, Query(description="Only imports of this kind.")] = None,
) -> JSONResponse:
    """The import log, newest first: `{"data": [{import_id, kind, file, rows_read, …}], "count": n}`."""
    return stored_result(figures.get("imports", limit=limit, kind=kind))


@router.post("/imports", name="api_import", responses={**AUTH_ERRORS, **errors(413, 422)})
def post_import(
    request: Request,
    ws: WorkspaceDep,
    user: ManagerUser,
    kind: Annotated[str, Form(description=KIND_HELP)],
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GBK), .xlsx or .parquet file.")],
    encoding: Annotated[str | None, Form(description="CSV encoding (default: detected).")] = None,
    sheet: Annotated[str | None, Form(description="Excel sheet (default: the first).")] = None,
    dry_run: Annotated[bool, Form(description="Validate and report; write nothing.")] = False,
) -> JSONResponse:
    """Import one file, all or nothing (managers and admins).

    Answers the JSON of `churnguard import --json`. When any value is bad nothing is imported
    and the answer is 422 with `error.code = "rows_rejected"` and the same summary, row errors
    included (`file, line, column, value, reason`), in `error.details`.
    """
    summary = import_upload(ws, kind, file, encoding=encoding, sheet=sheet, dry_run=dry_run,
                            actor=f"api:{user.user_id}", address=request.client.host if request.client else None)
    if not summary.ok:
        body = {"error": {
            "code": "rows_rejected",
            "message": translator_for(request).ngettext(
                "%(file)s: %(n)s bad value; nothing was imported.",
                "%(file)s: %(n)s bad values; nothing was imported.", summary.error_count, file=summary.file),
            "details": summary.to_dict(),
        }}
        return JSONResponse(body, status_code=422)
    return json_result(summary)
