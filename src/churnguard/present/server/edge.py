"""One check of every request's text at the edge: query parameters, path parameters, form fields.

A NUL byte or another control character in a parameter (``q``, ``segment``, ``csm``, …) used to
reach the store and fail there (DuckDB cannot parse it, PostgreSQL cannot store it): a 500. Every
route depends on :func:`check_text` (an app-wide dependency), so such a request is answered 422
with the one error shape (API) or the error page (pages), naming the parameter, before any route
code runs. Dates are bounded where they are typed (``ge``/``le`` of the query parameter, see
:mod:`churnguard.bounds`).
"""

from __future__ import annotations

from fastapi import Request

from churnguard.bounds import bad_character, describe_character
from churnguard.i18n import N_
from churnguard.present.server.errors import HttpError

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadCharacter(HttpError):
    """A parameter or form field holds a control character."""

    status = 422
    code = "invalid_input"
    message = N_("%(name)s: control characters such as %(char)s are not allowed.")


def _check(where: str, name: str, value: str, *, lines: bool = False) -> None:
    ch = bad_character(name) or bad_character(value, lines=lines)
    if ch is not None:
        shown = name if bad_character(name) is None else repr(name)
        raise BadCharacter(details={"in": where, "name": shown, "character": f"U+{ord(ch):04X}"},
                           name=shown, char=describe_character(ch))


async def check_text(request: Request) -> None:
    """Refuse a request whose query, path or form text holds a control character (422)."""
    for name, value in request.query_params.multi_items():
        _check("query", name, value)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            _check("path", name, value)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("content-type", "").startswith(_FORMS):
        form = await request.form()  # cached on the request: the route reads the same form
        for name, value in form.multi_items():
            if isinstance(value, str):
                _check("form", name, value, lines=True)
