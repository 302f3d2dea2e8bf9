"""User commands: who may use the web pages and the API, their passwords, roles, tokens and locks."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table as RichTable

from churnguard.present.cli.common import (
    N_,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    open_workspace,
    parse_date_option,
    print_json,
    translator_of,
)

user_app = typer.Typer(help="Users of the web pages and the API: add, list, passwd, role, disable, enable, delete, token, tokens, revoke, locks, unlock.", no_args_is_help=True,
                    rich_markup_mode=None)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(user_app, name="user")
    app.command("audit")(audit_cmd)


@handle_errors
def audit_cmd(
    limit: Annotated[int, typer.Option("--limit", help="At most this many events, newest first.")] = 50,
    action: Annotated[str | None, typer.Option("--action", help="Only this action (sign_in, import, …).")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this actor (web:NAME, api:NAME, cli:NAME).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only events on or after this date (YYYY-MM-DD).")] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """The audit log: sign-ins, imports, setting and user changes — who, when, from where.

    Examples:
      churnguard audit --limit 20
      churnguard audit --action sign_in_failed --since 2026-12-01 --json
    """
    from churnguard.service import audit

    with open_workspace(workspace) as ws:
        result = audit.events(ws, limit=limit, action=action, actor=actor,
                              since=parse_date_option(since, "--since"))
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    t = RichTable()
    for col in (N_("when (UTC)"), N_("who"), N_("action"), N_("subject"), N_("details"), N_("address")):
        t.add_column(tr.gettext(col))
    for r in result.to_dict()["data"]:
        details = ", ".join(f"{k}={v}" for k, v in (r["details"] or {}).items())
        t.add_row(str(r["at"]), r["actor"] or "", r["action"], r["subject"] or "", details, r["address"] or "")
    console.print(t, highlight=False)


@user_app.command("add")
@handle_errors
def add(
    name: Annotated[str, typer.Argument(help="Login name (Chinese is fine; no spaces).", show_default=False)],
    role: Annotated[str, typer.Option("--role", help="admin, manager or csm.", show_default=False)],
    csm: Annotated[
        str | None,
        typer.Option("--csm", help="For a csm: the value of the customers' csm column that is this person."),
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="zh or en (default: the browser's).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Add a user; the password is asked for twice (hidden) unless --password-stdin.

    Examples:
      churnguard user add admin --role admin
      churnguard user add 王芳 --role csm --csm 王芳
      echo "$PASSWORD" | churnguard user add li --role manager --password-stdin
    """
    from churnguard.service import users as svc

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_workspace(workspace) as ws:
        user = svc.add_user(ws, svc.UserCreate(name, role, password, csm_name=csm, language=language))
    tr = translator_of(lang, workspace)
    console.print(tr.gettext(N_("user %(name)s added (%(role)s)"), name=user.user_id, role=user.role),
                  highlight=False)


@user_app.command("list")
@handle_errors
def list_(workspace: WorkspaceOpt = None,
    lang: LangOpt = None, json_out: JsonOpt = False) -> None:
    """List users and their roles (never their passwords).

    Example: churnguard user list --json
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        result = svc.list_users(ws)
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    t = RichTable()
    for col in (N_("user"), N_("role"), N_("csm"), N_("language"), N_("created")):
        t.add_column(tr.gettext(col))
    for u in result.to_dict()["data"]:
        t.add_row(u["user_id"], u["role"], u["csm_name"] or "", u["language"] or "", u["created_at"] or "")
    console.print(t)


@user_app.command("token")
@handle_errors
def token(
    name: Annotated[str, typer.Argument(help="The user the token acts as.", show_default=False)],
    expires: Annotated[int | None, typer.Option("--expires", help="Days until it stops working (default: never).",
                                                min=1, max=3650)] = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Make a new API token for a user and print it once (only its hash is kept).

    Use it as 'Authorization: Bearer TOKEN' on /api. 'churnguard user tokens' lists tokens by
    id; 'churnguard user revoke ID' ends one.

    Examples:
      curl -H "Authorization: Bearer $(churnguard user token admin)" http://127.0.0.1:8000/api/status
      churnguard user token reports --expires 90
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        tok = svc.create_token(ws, name, expires)
    sys.stdout.write(tok + "\n")
    if sys.stdout.isatty():
        err_console.print(translator_of(lang, workspace).gettext(N_("keep it safe: it is shown only now")),
                          style="yellow")


@user_app.command("locks")
@handle_errors
def locks(workspace: WorkspaceOpt = None,
    lang: LangOpt = None, json_out: JsonOpt = False) -> None:
    """User names and addresses with wrong passwords on record, and whether they are locked now.

    Example: churnguard user locks --json
    """
    from churnguard.service import logins

    with open_workspace(workspace) as ws:
        result = logins.list_locks(ws)
    if json_out:
        print_json(result)
        return
    rows = result.to_dict()["data"]
    tr = translator_of(lang, workspace)
    if not rows:
        console.print(tr.gettext(N_("no wrong passwords on record")))
        return
    t = RichTable()
    for col in (N_("subject"), N_("wrong passwords"), N_("last"), N_("locked until")):
        t.add_column(tr.gettext(col))
    for r in rows:
        t.add_row(r["subject"], str(r["failures"]), str(r["last_failure_at"] or ""),
                  str(r["locked_until"] or "") if r["locked"] else "")
    console.print(t, highlight=False)


@user_app.command("unlock")
@handle_errors
def unlock(
    name: Annotated[str | None, typer.Argument(help="The user name to unlock.", show_default=False)] = None,
    address: Annotated[str | None, typer.Option("--address", help="Unlock this client address instead.")] = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Lift the lock that wrong passwords put on a user name (or a client address).

    Examples:
      churnguard user unlock 王芳
      churnguard user unlock --address 10.0.0.7
    """
    from churnguard.present.errorlog import log_events
    from churnguard.service import logins

    with open_workspace(workspace) as ws:
        log_events(ws.path)
        found = logins.unlock(ws, name, address)
    tr = translator_of(lang, workspace)
    what = tr.gettext(N_(" and ")).join(
        x for x in (name and tr.gettext(N_("user %(name)s"), name=name),
                    address and tr.gettext(N_("address %(address)s"), address=address)) if x)
    state = tr.gettext(N_("lock lifted") if found else N_("no wrong passwords on record"))
    console.print(f"{what}: {state}", highlight=False)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("New password", hide_input=True, confirmation_prompt=True)


@user_app.command("passwd")
@handle_errors
def passwd(
    name: Annotated[str, typer.Argument(help="The user.", show_default=False)],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Give a user a new password; the user's web sessions end (API tokens stay until revoked).

    Example: churnguard user passwd 王芳
    """
    from churnguard.service import users as svc

    password = _read_password(password_stdin)
    with open_workspace(workspace) as ws:
        ended = svc.set_password(ws, name, password)
    console.print(translator_of(lang, workspace).gettext(
        N_("user %(name)s: password changed; %(n)s web session(s) ended"), name=name, n=ended), highlight=False)


@user_app.command("role")
@handle_errors
def role(
    name: Annotated[str, typer.Argument(help="The user.", show_default=False)],
    new_role: Annotated[str, typer.Argument(help="admin, manager or csm.", show_default=False)],
    csm: Annotated[str | None, typer.Option("--csm", help="For a csm: the customers' csm value that is them.")] = None,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Give a user another role; its web sessions end, so the role holds from the next sign-in.

    Example: churnguard user role 王芳 manager
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        user = svc.set_role(ws, name, new_role, csm)
    console.print(translator_of(lang, workspace).gettext(
        N_("user %(name)s is now %(role)s; web sessions ended"), name=user.user_id, role=user.role), highlight=False)


@user_app.command("disable")
@handle_errors
def disable(name: Annotated[str, typer.Argument(help="The user.", show_default=False)],
            workspace: WorkspaceOpt = None, lang: LangOpt = None) -> None:
    """Stop a user signing in: sessions end, API tokens stop working ('enable' undoes it).

    Example: churnguard user disable 王芳
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        svc.disable_user(ws, name)
    console.print(translator_of(lang, workspace).gettext(
        N_("user %(name)s disabled: sessions ended, tokens stopped"), name=name), highlight=False)


@user_app.command("enable")
@handle_errors
def enable(name: Annotated[str, typer.Argument(help="The user.", show_default=False)],
           workspace: WorkspaceOpt = None, lang: LangOpt = None) -> None:
    """Let a disabled user sign in again (its tokens work again).

    Example: churnguard user enable 王芳
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        svc.enable_user(ws, name)
    console.print(translator_of(lang, workspace).gettext(N_("user %(name)s enabled"), name=name), highlight=False)


@user_app.command("delete")
@handle_errors
def delete(
    name: Annotated[str, typer.Argument(help="The user.", show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Remove a user with its sessions and API tokens.

    Example: churnguard user delete 王芳 --yes
    """
    from churnguard.service import users as svc

    if not yes:
        typer.confirm(translator_of(lang, workspace).gettext(N_("delete user %(name)s with its sessions and tokens?"),
                                                             name=name), abort=True)
    with open_workspace(workspace) as ws:
        svc.delete_user(ws, name)
    console.print(translator_of(lang, workspace).gettext(N_("user %(name)s deleted"), name=name), highlight=False)


@user_app.command("tokens")
@handle_errors
def tokens(
    name: Annotated[str | None, typer.Argument(help="Only this user's tokens.", show_default=False)] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List API tokens by id (never the tokens), newest first.

    Example: churnguard user tokens admin --json
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        result = svc.list_tokens(ws, name)
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    t = RichTable()
    for col in (N_("id"), N_("user"), N_("created"), N_("expires"), N_("last used")):
        t.add_column(tr.gettext(col))
    expired = " " + tr.gettext(N_("(expired)"))
    for r in result.to_dict()["data"]:
        expires = "" if r["expires_at"] is None else str(r["expires_at"]) + (expired if r["expired"] else "")
        t.add_row(r["token_id"], r["user_id"], str(r["created_at"] or ""), expires, str(r["last_used_at"] or ""))
    console.print(t, highlight=False)


@user_app.command("revoke")
@handle_errors
def revoke(
    token_id: Annotated[str, typer.Argument(help="The id 'user tokens' shows (or the token itself).",
                                            show_default=False)],
    workspace: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """End an API token at once.

    Example: churnguard user revoke 3fa9c2d1b0e4
    """
    from churnguard.service import users as svc

    with open_workspace(workspace) as ws:
        n = svc.revoke_token(ws, token_id)
    tr = translator_of(lang, workspace)
    if not n:
        err_console.print(tr.gettext(N_("no token %(id)s; see '%(command)s'"), id=token_id,
                                     command="churnguard user tokens"))
        raise typer.Exit(2)
    console.print(tr.gettext(N_("token %(id)s revoked"), id=token_id), highlight=False)
