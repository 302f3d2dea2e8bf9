"""Typed dependencies shared by the API and the pages: workspace, context, user, role, scope, language.

Every route says what it needs in its signature::

    def page(ws: WorkspaceDep, user: ManagerUser, tr: TranslatorDep): ...

Permissions are decided here only: :func:`current_user` finds the user (bearer token on
``/api``, session cookie on pages) and :func:`require_role` refuses the wrong role.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from starlette.datastructures import FormData

from churnguard.i18n import Translator
from churnguard.present.server.errors import Forbidden, LoginRequired, Unauthorized
from churnguard.present.server.state import (  # noqa: F401 - the dependencies' home for routes
    KeepOpen,
    ServerState,
    is_api,
    language_for,
    server_state,
    translator_for,
)
from churnguard.service import results
from churnguard.service import users as users_svc
from churnguard.service.context import Context, context_of, open_context
from churnguard.service.users import User
from churnguard.service.workspace import Workspace

log = logging.getLogger("churnguard.server")


def get_workspace(request: Request) -> Iterator[Workspace]:
    """The workspace, opened for this request and closed after it.

    One connection per request: connections are not shared between threads. A DuckDB file
    stays loaded while requests come (:class:`KeepOpen`) and is free for the CLI once the
    pages are idle for a few seconds.
    """
    state = server_state(request)
    keeper = state.keep_open
    if keeper is not None:
        keeper.enter()
    try:
        ctx = open_context(state.workspace_path, create_tables=False)  # create_app made them
        try:
            yield ctx.workspace
        finally:
            ctx.close()
    finally:
        if keeper is not None:
            keeper.leave()


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


def get_context(request: Request, ws: WorkspaceDep) -> Context:
    """The request's :class:`Context`: its one open workspace, in the reader's language.

    The as-of date is the latest unless a route names one (``ctx.with_as_of(as_of)``); use
    cases called with it open nothing more.
    """
    return context_of(ws, lang=translator_for(request).language)


ContextDep = Annotated[Context, Depends(get_context)]


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def session_user(request: Request, ws: Workspace) -> User | None:
    """The user of the login cookie's session when that session is still live on the server
    (not logged out, idle or too old, its user not disabled, its password not changed since);
    a dead session's id is dropped from the cookie."""
    sid = request.session.get("sid")
    user = users_svc.session_user(ws, sid) if isinstance(sid, str) else None
    if user is None:
        request.session.pop("sid", None)
    return user


def current_user(request: Request, ws: WorkspaceDep) -> User:
    """The signed-in user: by bearer token on ``/api``, by session cookie on pages.

    A signed-in browser may also *read* the API with its session (``GET``/``HEAD`` without a
    token): the pages link their JSON twins. Anything that changes data on ``/api`` needs the
    token, so the session cookie never stands in for a CSRF check there."""
    if is_api(request):
        token = _bearer(request)
        if token:
            user = users_svc.user_for_token(ws, token)
        elif request.method in ("GET", "HEAD"):
            user = session_user(request, ws)
        else:
            user = None
        if user is None:
            raise Unauthorized()
    else:
        user = session_user(request, ws)
        if user is None:
            raise LoginRequired()
    request.state.user = user
    return user


def require_role(*roles: str) -> Callable[..., User]:
    """A dependency that lets through the given roles (and admin) and refuses the rest."""

    def check(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
        if not user.has_role(*roles):
            raise Forbidden(role=user.role, roles=", ".join(sorted({"admin", *roles})))
        return user

    return check


AnyUser = Annotated[User, Depends(current_user)]
ManagerUser = Annotated[User, Depends(require_role("manager"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


@dataclass(frozen=True)
class CustomerScope:
    """Which customers a list shows: those of one CSM (``csm``), or all (``csm`` is None)."""

    csm: str | None
    mine: bool


def customer_scope(
    user: AnyUser,
    scope: Annotated[Literal["mine", "all"] | None, Query(description="mine: my customers; all: everyone's")] = None,
) -> CustomerScope:
    """A CSM sees their own customers unless they ask for all; managers and admins see all."""
    chosen = scope or ("mine" if user.role == "csm" else "all")
    if chosen == "mine" and user.csm_name:
        return CustomerScope(user.csm_name, True)
    return CustomerScope(None, False)


ScopeDep = Annotated[CustomerScope, Depends(customer_scope)]


def own_customers(user: AnyUser) -> str | None:
    """Whose customers ``user`` may open one by one: a CSM only their own (their ``csm_name``),
    managers and admins anyone's (None)."""
    return (user.csm_name or "") if user.role == "csm" else None


#: the CSM a customer must belong to for this user to open it (None: any customer)
OwnCustomersDep = Annotated[str | None, Depends(own_customers)]


def get_translator(request: Request) -> Translator:
    """Dependency form of :func:`translator_for`."""
    return translator_for(request)


TranslatorDep = Annotated[Translator, Depends(get_translator)]


async def read_form(request: Request) -> FormData:
    """The posted form (for pages whose fields are not fixed, such as the settings form)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


@dataclass
class Figures:
    """Stored figures of the request's workspace (:mod:`churnguard.service.results`).

    ``figures.get("churn-rate", period="month")`` reads the figure stored for the current data
    version, computing and storing it first when there is none; with ``web.cache_results =
    false`` it computes every time. The data version is read once per request.
    """

    ctx: Context
    use_cache: bool
    _version: str | None = None

    def get(self, name: str, **options: Any) -> results.Stored:
        """The figure ``name`` with ``options`` (see :func:`churnguard.service.results.figure`;
        ``as_of=None`` is the latest)."""
        if self.use_cache and self._version is None:
            self._version = results.data_version(self.ctx.workspace)
        return results.figure(self.ctx, name, options, use_cache=self.use_cache, version=self._version)


def get_figures(request: Request, ctx: ContextDep) -> Figures:
    """The request's :class:`Figures`."""
    return Figures(ctx, server_state(request).settings().web.cache_results)


FiguresDep = Annotated[Figures, Depends(get_figures)]
