"""Settings: the churn definition and every other setting (admins change them) and the users."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from churnguard.errors import InputError, SettingsError
from churnguard.i18n import LANGUAGE_NAMES, LANGUAGES, N_
from churnguard.present.server.deps import (
    AdminUser,
    AnyUser,
    FormDep,
    WorkspaceDep,
    server_state,
    translator_for,
)
from churnguard.present.web.nav import NavItem
from churnguard.present.web.render import flash, render
from churnguard.service import audit
from churnguard.service import users as users_svc
from churnguard.service.context import context_of
from churnguard.service.workspace import FILE_ONLY_SETTINGS, Workspace, safe_url, update_settings
from churnguard.settings import Settings

router = APIRouter()
NAV = NavItem("settings", N_("Settings"), order=90)


def _fields(settings: Settings, values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Settings grouped by section: ``[{section, help, fields: [{key, value, help, choices, editable}]}]``."""
    groups: list[dict[str, Any]] = []

    def add(section: str, model: BaseModel, help_text: str) -> None:
        fields = []
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                continue
            key = f"{section}.{name}" if section else name
            choices = None
            if key == "language":
                choices = {c: LANGUAGE_NAMES[c] for c in LANGUAGES}
            elif isinstance(value, bool):
                choices = {"true": N_("yes"), "false": N_("no")}
            fields.append({
                "key": key,
                "value": (values or {}).get(key, str(value).lower() if isinstance(value, bool) else str(value)),
                "help": info.description or "",
                "choices": choices,
                "editable": key not in FILE_ONLY_SETTINGS,
            })
        groups.append({"section": section, "help": help_text, "fields": fields})

    add("", settings, "")
    for name in type(settings).model_fields:
        sub = getattr(settings, name)
        if isinstance(sub, BaseModel):
            add(name, sub, (type(sub).__doc__ or "").strip().splitlines()[0])
    return groups


def _page(request: Request, ws: Workspace, **extra: Any) -> dict[str, Any]:
    user = request.state.user
    settings = server_state(request).settings()
    ctx: dict[str, Any] = {
        "groups": _fields(settings),
        "database": safe_url(ws),
        "problems": {},
        "users": users_svc.list_users(ws).to_dict()["data"] if user.role == "admin" else None,
        "new_user": {"user_id": "", "role": "csm", "csm_name": "", "language": ""},
        "user_error": None,
        "roles": list(users_svc.ROLES),
    }
    ctx.update(extra)
    return ctx


@router.get("/settings", name="settings")
def settings_page(request: Request, ws: WorkspaceDep, user: AnyUser) -> Response:
    """Every setting with its help; admins get a form and the users."""
    return render(request, "settings.html", _page(request, ws))


@router.post("/settings", name="settings_save")
def settings_save(request: Request, ws: WorkspaceDep, user: AdminUser, form: FormDep) -> Response:
    """Validate every changed setting and save churnguard.toml atomically, or change nothing."""
    st = server_state(request)
    current = {f["key"]: f["value"] for g in _fields(st.settings()) for f in g["fields"] if f["editable"]}
    posted = {k: str(form[k]).strip() for k in current if k in form}
    changes = {k: v for k, v in posted.items() if v != current[k]}
    tr = translator_for(request)
    if not changes:
        flash(request, "info", tr.gettext("Nothing changed."))
    else:
        try:
            with audit.acting_as(f"web:{user.user_id}", request.client.host if request.client else None):
                update_settings(context_of(ws), changes)
        except SettingsError as exc:
            ctx = _page(request, ws, problems=exc.problems)
            ctx["groups"] = _fields(st.settings(), posted)
            return render(request, "settings.html", ctx, status=422)
        flash(request, "success", tr.ngettext("Saved %(n)s setting.", "Saved %(n)s settings.", len(changes)))
    return RedirectResponse(str(request.app.url_path_for("settings")), status_code=303)


@router.post("/settings/users", name="user_add")
def user_add(request: Request, ws: WorkspaceDep, user: AdminUser, form: FormDep) -> Response:
    """Add a user (admins only)."""
    tr = translator_for(request)
    values = {k: str(form.get(k, "")).strip() for k in ("user_id", "role", "csm_name", "language")}
    password, again = str(form.get("password", "")), str(form.get("password2", ""))
    try:
        if password != again:
            raise InputError(tr.gettext("The two passwords differ."))
        with audit.acting_as(f"web:{user.user_id}", request.client.host if request.client else None):
            users_svc.add_user(ws, users_svc.UserCreate(values["user_id"], values["role"], password,
                                                        csm_name=values["csm_name"] or None,
                                                        language=values["language"] or None))
    except InputError as exc:
        return render(request, "settings.html", _page(request, ws, new_user=values, user_error=str(exc)),
                      status=422)
    flash(request, "success", tr.gettext("User %(name)s added.", name=values["user_id"]))
    return RedirectResponse(str(request.app.url_path_for("settings")) + "#users", status_code=303)
