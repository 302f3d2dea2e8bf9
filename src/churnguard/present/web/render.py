"""Rendering pages: one Jinja environment per app, one context every template can rely on.

Every template gets: ``_`` / ``ngettext`` (messages in the reader's language), ``tr`` (Babel
number and date formats: ``tr.format_number(n)``, ``tr.format_date(d)`` …), ``label(kind, code)``
(a code such as a signal or an RFM segment in words, :data:`labels.CODES`), ``url(name, **params)``
(the one URL builder; paths only, so the app works behind a proxy prefix), ``customer_url(id)``, ``user``, ``nav``,
``csrf_token``, ``lang``, ``languages`` and ``flashes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from churnguard.i18n import LANGUAGE_NAMES, translate_message
from churnguard.present.server.deps import server_state, translator_for
from churnguard.present.server.security import CSRF_FIELD, csrf_token
from churnguard.present.web import labels
from churnguard.present.web.charts import json_for_script


def make_env() -> Environment:
    """The Jinja environment of the pages (templates from the installed package)."""
    env = Environment(
        loader=PackageLoader("churnguard.present.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_script"] = json_for_script
    return env


def _label(tr: Any, kind: str, value: Any) -> str:
    """How a code of ``kind`` (a key of :data:`labels.CODES`) reads; other values as they are, — for none."""
    if value is None or value == "":
        return "—"
    codes = labels.CODES.get(kind, {})
    return tr.gettext(codes[value]) if value in codes else str(value)


def url_builder(request: Request) -> Callable[..., str]:
    """``url(name, query=None, **path_params)`` -> the path of a named route."""
    root = request.scope.get("root_path", "")
    # the router looks a name up by trying every route (~1 ms a call here); routes do not
    # change once the app is made, so each path is looked up once per app
    paths: dict[tuple, str] = server_state(request).url_paths

    def url(name: str, query: dict[str, Any] | None = None, **params: Any) -> str:
        key = (name, *sorted(params.items()))
        if key not in paths:
            paths[key] = str(request.app.url_path_for(name, **params))
        path = root + paths[key]
        if query:
            path += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        return path

    return url


def customer_url(url: Callable[..., str]) -> Callable[[str], str]:
    """``customer_url(id, endpoint="customer")`` -> the path of a customer's page (or of its
    ``api_customer`` JSON), the id percent-encoded (one route lookup per app, not one per customer)."""
    from urllib.parse import quote

    marker = "__customer_id__"

    def make(customer_id: str, endpoint: str = "customer") -> str:
        return url(endpoint, customer_id=marker).replace(marker, quote(str(customer_id), safe=""))

    return make


def flash(request: Request, level: str, message: str) -> None:
    """Show ``message`` (already translated) on the next page this browser renders."""
    request.session.setdefault("flash", []).append([level, message])


def _pop_flashes(request: Request) -> list[list[str]]:
    if "session" not in request.scope:
        return []
    return request.session.pop("flash", [])


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` with the shared context plus ``context``."""
    st = server_state(request)
    tr = translator_for(request)
    user = getattr(request.state, "user", None)
    has_session = "session" in request.scope
    route = request.scope.get("route")
    url = url_builder(request)
    ctx: dict[str, Any] = {
        "request": request,
        "_": tr.gettext,
        "ngettext": tr.ngettext,
        "tr": tr,
        "msg": lambda text: translate_message(tr, text),
        "lang": tr.language,
        "languages": LANGUAGE_NAMES,
        "labels": labels,
        "label": lambda kind, value: _label(tr, kind, value),
        "user": user,
        # a broken settings file is shown to the admins who can fix it, never to other readers
        "settings_problem": st.settings_problem() if user is not None and user.role == "admin" else None,
        "nav": sorted((n for n in st.nav if n.visible(user)), key=lambda n: n.order),
        "current": getattr(route, "name", None),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request) if has_session else "",
        "url": url,
        "customer_url": customer_url(url),
        "flashes": _pop_flashes(request),
    }
    ctx.update(context or {})
    html = st.env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status, headers=headers)


def render_problem(request: Request, template: str, form: dict[str, Any], exc: Exception) -> HTMLResponse:
    """A figures page that cannot show its figures (no dated records yet, a basis the data
    cannot give): its form, and the reason in the reader's language where its chart would be."""
    from churnguard.i18n import message_of

    tr = translator_for(request)
    return render(request, template, {"form": form, "problem": translate_message(tr, message_of(exc)), "chart": None})


def render_error(request: Request, status: int, code: str, message: str, details: Any = None, *,
                 headers: dict[str, str] | None = None) -> HTMLResponse:
    """The error page."""
    return render(request, "error.html", {"status": status, "code": code, "message": message,
                                          "details": details}, status=status, headers=headers)
