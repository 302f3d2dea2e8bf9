"""Data: what is loaded, the import log, and importing a file (same checks as the CLI)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from churnguard.errors import InputError
from churnguard.i18n import N_, Translator
from churnguard.present.server.deps import (
    AnyUser,
    Figures,
    FiguresDep,
    ManagerUser,
    WorkspaceDep,
    translator_for,
)
from churnguard.present.server.uploads import import_upload
from churnguard.present.web import labels
from churnguard.present.web.charts import hbar
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import flash, render
from churnguard.schema import KINDS
from churnguard.service.imports import ImportSummary
from churnguard.service.workspace import Workspace

router = APIRouter()
NAV = NavItem("data", N_("Data"), order=80)


def _page(request: Request, ws: Workspace, figures: Figures, **extra: Any) -> dict[str, Any]:
    tr: Translator = translator_for(request)
    status = figures.get("status").data
    loaded = [(name, info["rows"]) for name, info in status["tables"].items() if info["rows"]]
    chart = hbar([tr.gettext(labels.TABLES[n]) for n, _ in loaded], [r for _, r in loaded]) if loaded else None
    ctx = {
        "status": status,
        "chart": chart,
        "imports": figures.get("imports", limit=10).data["data"],
        "kinds": list(KINDS),
        "form": {"kind": "", "encoding": "", "sheet": "", "dry_run": False},
        "summary": None,
        "error": None,
    }
    ctx.update(extra)
    return ctx


@router.get("/data", name="data")
def data_page(request: Request, ws: WorkspaceDep, user: AnyUser, figures: FiguresDep) -> Response:
    """What is loaded, the last imports, and (for managers) the import form."""
    return render(request, "data.html", _page(request, ws, figures))


@router.post("/data/import", name="data_import")
def data_import(
    request: Request,
    ws: WorkspaceDep,
    user: ManagerUser,
    figures: FiguresDep,
    kind: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    encoding: Annotated[str, Form()] = "",
    sheet: Annotated[str, Form()] = "",
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Import the uploaded file; on any bad value show every error and import nothing."""
    tr = translator_for(request)
    form = {"kind": kind, "encoding": encoding, "sheet": sheet, "dry_run": dry_run}
    if kind not in KINDS:
        error = tr.gettext("Choose what the file holds.") if not kind else \
            tr.gettext("Unknown kind %(kind)s.", kind=repr(kind))
        return render(request, "data.html", _page(request, ws, figures, form=form, error=error), status=422)
    try:
        summary: ImportSummary = import_upload(ws, kind, file, encoding=encoding, sheet=sheet, dry_run=dry_run,
                                               actor=f"web:{user.user_id}",
                                               address=request.client.host if request.client else None)
    except InputError as exc:
        return render(request, "data.html", _page(request, ws, figures, form=form, error=str(exc)), status=422)
    if not summary.ok:
        return render(request, "data.html", _page(request, ws, figures, form=form, summary=summary.to_dict()),
                      status=422)
    counts = {"rows": tr.format_number(summary.rows_read), "imported": tr.format_number(summary.rows_imported),
              "unchanged": tr.format_number(summary.rows_unchanged), "file": summary.file,
              "kind": tr.gettext(labels.KINDS[kind])}
    if dry_run:
        flash(request, "info", tr.gettext(
            "Checked %(file)s (%(kind)s): %(rows)s rows, all valid; would import %(imported)s, "
            "%(unchanged)s unchanged. Nothing was written.", **counts))
    else:
        flash(request, "success", tr.gettext(
            "Imported %(file)s (%(kind)s): %(rows)s rows read, %(imported)s new or changed, "
            "%(unchanged)s unchanged.", **counts))
    return RedirectResponse(str(request.app.url_path_for("data")), status_code=303)
