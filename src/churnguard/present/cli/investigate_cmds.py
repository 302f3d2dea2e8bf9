"""Defector investigations (跳槽客户调查): ``churnguard investigate start | list | interviews | record |
reclassify | review | close`` and ``investigate action add | done``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from churnguard.present.cli.common import (
    N_,
    AsOfOpt,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    open_ctx,
    parse_date_option,
    print_json,
    translator_of,
)

if TYPE_CHECKING:
    from churnguard.i18n import Translator

investigate_app = typer.Typer(
    help="Defector investigations (跳槽客户调查): interview every complete defector of a period and a sample "
         "of the partial ones, review at a quarter and three quarters done, act, check churn before and after.",
    no_args_is_help=True, rich_markup_mode=None)
action_app = typer.Typer(help="Improvement actions of an investigation: add, done.", no_args_is_help=True,
                         rich_markup_mode=None)
investigate_app.add_typer(action_app, name="action")

IdArg = Annotated[str, typer.Argument(help="The investigation's id (e.g. 2026-Q3), as 'investigate list' shows it.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(investigate_app, name="investigate")


def _reason(key: Any, tr: Translator) -> str:
    from churnguard.vocab import CHURN_REASONS

    term = CHURN_REASONS.get(key) if isinstance(key, str) else None
    return term.label(tr.language) if term else (key or "—")


def _share(done: int, total: int, tr: Translator) -> str:
    return f"{tr.format_number(done)}/{tr.format_number(total)}" + (
        f" ({tr.format_percent(done / total, 0)})" if total else "")


def next_review_text(row: dict[str, Any], tr: Translator) -> str:
    """``due (25%)``, ``at 75% (15 done)`` or ``—``: the list's next-review column."""
    if row.get("review_due"):
        return tr.gettext(N_("due (%(share)s)"), share=tr.format_percent(row["due_milestone"], 0))
    if row.get("next_milestone") is not None:
        return tr.gettext(N_("at %(share)s (%(n)s done)"), share=tr.format_percent(row["next_milestone"], 0),
                          n=tr.format_number(row["next_needed"]))
    return "—"


@investigate_app.command("start")
@handle_errors
def start_cmd(
    period: Annotated[str, typer.Option("--period", help="The period whose defectors are interviewed: 2026-Q3, "
                                                         "2026-07 or 2026.")],
    partial_sample: Annotated[float | None, typer.Option(
        "--partial-sample", help="Share of the partial defectors drawn at random (default: setting "
                                 "investigate.partial_sample).", show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draw: same seed, same customers.")] = 0,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Open an investigation of a period: every complete defector lost in it and a seeded sample of the
    partial ones (found as of the period's end), largest lost value first, each assigned to its CSM, else
    round robin within act.capacity.

    Example: churnguard investigate start --period 2026-Q3 --partial-sample 0.2 --seed 7
    """
    from churnguard.service import investigations as svc

    opts = svc.StartOptions(period, partial_sample, seed)
    with err_console.status("finding the period's defectors"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.start(ctx, opts)
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    d = result.to_dict()
    console.print(tr.gettext(N_("investigation %(id)s opened: %(n)s interviews (%(complete)s complete defectors, "
                                "%(sampled)s of %(partial)s partial drawn at %(share)s, seed %(seed)s), defectors "
                                "found as of %(date)s"),
                             id=d["investigation_id"], n=tr.format_number(d["count"]),
                             complete=tr.format_number(d["complete"]), sampled=tr.format_number(d["partial_sampled"]),
                             partial=tr.format_number(d["partial_defectors"]),
                             share=tr.format_percent(d["partial_sample"], 0), seed=d["seed"], date=d["as_of"]),
                  highlight=False)
    for name, n in sorted(d["interviewers"].items(), key=lambda kv: (-kv[1], kv[0])):
        console.print(f"  {name}: {tr.format_number(n)}", highlight=False)
    if d["unassigned"] and not d["interviewers"]:
        console.print(tr.gettext(N_("%(n)s interviews unassigned: no one to give them to (no customer has a CSM "
                                    "in the customers file, and no user has the csm role)"),
                                 n=tr.format_number(d["unassigned"])), style="yellow", highlight=False)
    elif d["unassigned"]:
        console.print(tr.gettext(N_("%(n)s interviews unassigned: everyone has %(capacity)s already "
                                    "(setting act.capacity)"), n=tr.format_number(d["unassigned"]),
                                 capacity=d["capacity"]), style="yellow", highlight=False)


@investigate_app.command("list")
@handle_errors
def list_cmd(
    status: Annotated[str | None, typer.Option("--status", help="open or closed; default both.")] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Investigations, newest first: interviews done, the next review, actions.

    Example: churnguard investigate list --json
    """
    from churnguard.service import investigations as svc

    with open_ctx(workspace, None, lang) as ctx:
        result = svc.list_investigations(ctx, status)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    rows = [{**r, "progress": _share(r["done"], r["interviews"], tr), "next_review": next_review_text(r, tr),
             "status_text": tr.gettext(N_("open") if r["status"] == "open" else N_("closed"))}
            for r in result.to_dict()["data"]]
    if not rows:
        console.print(tr.gettext(N_("no investigation yet; start one with: %(command)s"),
                                 command="churnguard investigate start --period 2026-Q3"), highlight=False)
        return
    console.print(render_table(rows, [("investigation_id", N_("Investigation"), "text"), ("period", N_("Period"), "text"),
                                      ("status_text", N_("Status"), "text"), ("progress", N_("Interviews done"), "text"),
                                      ("next_review", N_("Next review"), "text"), ("actions", N_("Actions"), "count")], tr))


@investigate_app.command("interviews")
@handle_errors
def interviews_cmd(
    investigation: IdArg,
    interviewer: Annotated[str | None, typer.Option("--interviewer", help="Only this interviewer's.")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Only those not yet recorded.")] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """An investigation's interviews, largest lost value first, with interviewer and outcome.

    Example: churnguard investigate interviews 2026-Q3 --interviewer 王芳 --pending
    """
    from churnguard.service import investigations as svc

    with open_ctx(workspace, None, lang) as ctx:
        result = svc.interviews(ctx, svc.InterviewOptions(investigation, interviewer, pending))
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    rows = [{**r, "reason_text": _reason(r["reason"], tr) if r["reason"] else "—",
             "status_text": tr.gettext(N_("done") if r["status"] == "done" else N_("pending")),
             "kind_text": tr.gettext(N_("complete") if r["kind"] == "complete" else N_("partial"))}
            for r in result.to_dict()["data"]]
    console.print(render_table(rows, [("position", "#", "count"), ("customer_id", N_("Customer"), "text"),
                                      ("name", N_("Name"), "text"), ("kind_text", N_("Kind"), "text"),
                                      ("lost_value", N_("Lost value"), "amount"),
                                      ("interviewer", N_("Interviewer"), "text"),
                                      ("status_text", N_("Status"), "text"), ("reason_text", N_("Reason"), "text"),
                                      ("competitor", N_("Competitor"), "text")], tr))


@investigate_app.command("record")
@handle_errors
def record_cmd(
    customer: Annotated[str, typer.Argument(help="The customer interviewed.")],
    reason: Annotated[str, typer.Option("--reason", help="Why they left: price, product, service, promotion, market, "
                                                         "technology, business_change, closure, other (or 价格, 产品 …).")],
    investigation: Annotated[str | None, typer.Option(
        "--investigation", help="The investigation (default: the newest open one holding the customer).",
        show_default=False)] = None,
    secondary: Annotated[str | None, typer.Option("--secondary", help="A second reason, from the same list.")] = None,
    competitor: Annotated[str | None, typer.Option("--competitor", help="The rival they went to.")] = None,
    recoverable: Annotated[str | None, typer.Option("--recoverable", help="yes or no: could they be won back?")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="What they said.")] = None,
    attempts: Annotated[int | None, typer.Option("--attempts", min=0, help="Tries it took to reach them.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Day of the interview, YYYY-MM-DD (default: the as-of date).",
                                           show_default=False)] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Record an interview: marks it done and writes a churn reason (source interview), in one step.
    Recording it again replaces the outcome.

    Example: churnguard investigate record C0000035 --reason 价格 --competitor 优选商城 --recoverable yes
    """
    from churnguard.service import investigations as svc

    opts = svc.RecordOptions(customer, reason, investigation, secondary, competitor, recoverable, notes, attempts,
                             parse_date_option(on, "--on"))
    with open_ctx(workspace, as_of, lang) as ctx:
        result = svc.record(ctx, opts)
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    d = result.to_dict()["data"][0]
    msg = N_("interview of %(customer)s in %(id)s replaced: %(reason)s") if result.replaced else \
        N_("interview of %(customer)s in %(id)s recorded: %(reason)s")
    console.print(tr.gettext(msg, customer=d["customer_id"], id=d["investigation_id"], reason=_reason(d["reason"], tr)),
                  highlight=False)


@investigate_app.command("reclassify")
@handle_errors
def reclassify_cmd(
    investigation: IdArg,
    customer: Annotated[str, typer.Argument(help="The customer whose interview the review reclassifies.")],
    reason: Annotated[str, typer.Option("--reason", help="The reason the review settled on.")],
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Set the reviewed reason of an interview (kept beside the stated one).

    Example: churnguard investigate reclassify 2026-Q3 C0000035 --reason service
    """
    from churnguard.service import investigations as svc

    opts = svc.ReclassifyOptions(investigation, customer, reason)
    with open_ctx(workspace, None, lang) as ctx:
        result = svc.reclassify(ctx, opts)
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    d = result.to_dict()["data"][0]
    console.print(tr.gettext(N_("%(customer)s: stated %(stated)s, reviewed %(reviewed)s"), customer=d["customer_id"],
                             stated=_reason(d["reason"], tr), reviewed=_reason(d["reviewed_reason"], tr)),
                  highlight=False)


@investigate_app.command("review")
@handle_errors
def review_cmd(
    investigation: IdArg,
    done: Annotated[bool, typer.Option("--done", help="Record the review due now (at the milestone reached).")] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="With --done: what the review found.")] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """What a review needs: whether one is due (at investigate.first_review_at and second_review_at of the
    interviews done), stated vs reviewed reasons, the reason table, and the actions with churn before and
    after each.

    Examples:
      churnguard investigate review 2026-Q3
      churnguard investigate review 2026-Q3 --done --notes "price is not the main reason"
    """
    from churnguard.service import investigations as svc

    with err_console.status("reading the investigation"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.record_review(ctx, investigation, notes) if done else svc.review(ctx, investigation)
    if json_out:
        print_json(result)
        return
    print_review(result.to_dict(), translator_of(lang, workspace), recorded=done)


def print_review(d: dict[str, Any], tr: Translator, recorded: bool = False) -> None:
    """The review on the terminal."""
    from churnguard.present.cli.render import render_table

    inv, t = d["investigation"], d["timing"]
    console.print(tr.gettext(N_("investigation %(id)s (%(period)s): %(progress)s interviews done"),
                             id=inv["investigation_id"], period=inv["period"],
                             progress=_share(inv["done"], inv["interviews"], tr)), highlight=False)
    if recorded and d["reviews"]:
        console.print(tr.gettext(N_("review recorded at %(share)s"), share=tr.format_percent(
            d["reviews"][-1]["milestone"], 0)), highlight=False)
    if t["review_due"]:
        console.print(tr.gettext(N_("a review is due (%(share)s of the interviews done); record it with --done"),
                                 share=tr.format_percent(t["due_milestone"], 0)), style="bold yellow", highlight=False)
    elif t["next_milestone"] is not None:
        console.print(tr.gettext(N_("next review at %(share)s: when %(n)s interviews are done"),
                                 share=tr.format_percent(t["next_milestone"], 0), n=tr.format_number(t["next_needed"])),
                      highlight=False)
    reasons = [{**r, "reason_text": _reason(r["reason"], tr),
                "controllable_text": "—" if r["controllable"] is None else tr.gettext(
                    N_("controllable") if r["controllable"] else N_("uncontrollable"))} for r in d["data"]]
    if reasons:
        console.print(render_table(reasons, [("reason_text", N_("Reason"), "text"),
                                             ("interviews", N_("Interviews"), "count"),
                                             ("lost_value", N_("Lost value"), "amount"), ("share", N_("Share"), "pct"),
                                             ("controllable_text", N_("Controllable"), "text")], tr,
                                   title=N_("Reasons of the interviews done")))
    else:
        console.print(tr.gettext(N_("No interview recorded yet.")), highlight=False)
    stated = [{**r, "stated_text": _reason(r["stated"], tr), "reviewed_text": _reason(r["reviewed"], tr)}
              for r in d["stated_vs_reviewed"]]
    if stated:
        console.print(render_table(stated, [("stated_text", N_("Stated"), "text"),
                                            ("reviewed_text", N_("Reviewed"), "text"),
                                            ("interviews", N_("Interviews"), "count")], tr,
                                   title=N_("Stated vs reviewed reasons")))
    acts = [{**a, "reason_text": _reason(a["reason"], tr),
             "after_text": (tr.format_percent(a["churn_after"]) if a.get("churn_after") is not None else "—")
             + ("" if a.get("measurable") else " " + tr.gettext(N_("(not yet measurable)")))} for a in d["actions"]]
    if acts:
        console.print(render_table(acts, [("action_id", N_("Action"), "text"), ("reason_text", N_("Reason"), "text"),
                                          ("action", N_("What changes"), "text"), ("owner", N_("Owner"), "text"),
                                          ("due_at", N_("Due"), "text"), ("starts_at", N_("Starts"), "text"),
                                          ("churn_before", N_("Churn before"), "pct"),
                                          ("after_text", N_("Churn after"), "text")], tr,
                                   title=N_("Improvement actions")))


@investigate_app.command("close")
@handle_errors
def close_cmd(investigation: IdArg, workspace: WorkspaceOpt = None, json_out: JsonOpt = False,
              lang: LangOpt = None) -> None:
    """Close an investigation: its interviews can no longer be recorded.

    Example: churnguard investigate close 2026-Q3
    """
    from churnguard.service import investigations as svc

    with open_ctx(workspace, None, lang) as ctx:
        result = svc.close(ctx, investigation)
    if json_out:
        print_json(result)
        return
    console.print(translator_of(lang, workspace).gettext(N_("investigation %(id)s closed"), id=investigation),
                  highlight=False)


@action_app.command("add")
@handle_errors
def action_add_cmd(
    investigation: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="The churn reason the action answers.")],
    action: Annotated[str, typer.Option("--action", help="What is changed.")],
    owner: Annotated[str, typer.Option("--owner", help="Who is responsible.")],
    due: Annotated[str, typer.Option("--due", help="Due date, YYYY-MM-DD.")],
    starts: Annotated[str | None, typer.Option("--starts", help="From when the change applies (YYYY-MM-DD; default: the "
                                                                "due date): churn before and after is compared here.",
                                               show_default=False)] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add an improvement action to an investigation.

    Example: churnguard investigate action add 2026-Q3 --reason service --action "second-line support" \\
      --owner 李明 --due 2026-11-30
    """
    from churnguard.service import investigations as svc

    opts = svc.ActionOptions(investigation, reason, action, owner, parse_date_option(due, "--due"),
                             parse_date_option(starts, "--starts"))
    with open_ctx(workspace, None, lang) as ctx:
        result = svc.add_action(ctx, opts)
    if json_out:
        print_json(result)
        return
    console.print(translator_of(lang, workspace).gettext(N_("action %(id)s added"), id=result.to_dict()["action_id"]),
                  highlight=False)


@action_app.command("done")
@handle_errors
def action_done_cmd(
    action_id: Annotated[str, typer.Argument(help="The action's id (e.g. 2026-Q3-a1).")],
    on: Annotated[str | None, typer.Option("--on", help="Day it was done (default: the as-of date).",
                                           show_default=False)] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Mark an improvement action done.

    Example: churnguard investigate action done 2026-Q3-a1 --on 2026-11-28
    """
    from churnguard.service import investigations as svc

    with open_ctx(workspace, as_of, lang) as ctx:
        result = svc.action_done(ctx, action_id, parse_date_option(on, "--on"))
    if json_out:
        print_json(result)
        return
    console.print(translator_of(lang, workspace).gettext(N_("action %(id)s done"), id=action_id), highlight=False)
