"""Commands that detect: defectors and warning signals, as of a date."""

from __future__ import annotations

from typing import Annotated

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
    list_output,
    open_ctx,
    print_json,
    translator_of,
)

LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many rows.")]


@handle_errors
def defectors(
    as_of: AsOfOpt = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="complete (完全跳槽) or partial (部分跳槽); default both.")
    ] = None,
    limit: LimitOpt = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's customers.")] = None,
    stored: Annotated[
        bool, typer.Option("--stored", help="Only the stored run: fail rather than compute when there is none.")
    ] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Compute afresh even when a run of the date is stored.")] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Who has left, fully or partly, as of a date — each with its evidence.

    Complete: the contract ended without renewal, or no purchase for the churn threshold, or
    P(alive) below detect.p_alive_below. Partial: still buying, but share of wallet, spend,
    frequency or product breadth clearly below its own seasonally adjusted baseline.

    Reads the newest stored run ('churnguard run'), or the run of the date --as-of names, as
    the web pages and /api/defectors show them; computes afresh only when no run of that date is
    stored (and says so), or with --fresh.

    Example: churnguard defectors --kind partial --as-of 2026-06-30 --json
    """
    from churnguard.errors import NotComputedError
    from churnguard.service import detect as svc

    opts = svc.DefectorOptions(kind, limit, csm, language=lang)
    run = "stored"
    result = None
    with open_ctx(workspace, as_of, lang) as ctx:
        if not fresh:
            try:
                result = svc.stored_defectors(ctx, opts)
            except NotComputedError:
                if stored:
                    raise
        if result is None:
            run = "computed"
            with err_console.status("finding defectors"):
                result = svc.defectors(ctx, opts)
    shown = list_output(result, run, json_out, lang, workspace)
    if shown is None:
        return
    d, tr = shown
    from churnguard.present.cli.render import render_table

    console.print(tr.gettext(N_("defectors as of %(date)s (%(source)s): %(complete)s complete, %(partial)s partial"),
                             date=d["as_of"], source=d["as_of_source"],
                             complete=tr.format_number(d["counts"]["complete"]),
                             partial=tr.format_number(d["counts"]["partial"])), highlight=False)
    cols = [("customer_id", N_("Customer"), "text"), ("kind", N_("Kind"), "text"), ("rules", N_("Rules")),
            ("segment", N_("Segment"), "text"), ("spend_365d", N_("Spend, last 365 days"), "amount"),
            ("recorded_reason", N_("Churn reason"), "text"), ("evidence_text", N_("Evidence"), "text")]
    from churnguard.present.cli.reasons_cmds import reason_cell

    rows = [{**r, "recorded_reason": reason_cell(r, tr)} for r in d["data"]]
    console.print(render_table(rows, cols, tr, limit=limit or 50))
    if not limit and d["count"] > 50:
        console.print(tr.gettext(N_("… %(n)s more; use --limit N or --json"), n=tr.format_number(d["count"] - 50)),
                      highlight=False)


@handle_errors
def signals(
    as_of: AsOfOpt = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only customers where this rule fired.")] = None,
    limit: LimitOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Early-warning signals of active customers: which rules fire, with their evidence.

    Rules (switch and tune them in the [signals] section of churnguard.toml): contact_drop,
    renewal_silence, unsubscribed, complaint, satisfaction, spend_trend, chain, price_exposure.

    Example: churnguard signals --rule renewal_silence --limit 20
    """
    from churnguard.service import detect as svc

    opts = svc.SignalOptions(rule, limit)
    with err_console.status("evaluating warning signals"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.signals(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    console.print(tr.gettext(N_("warning signals as of %(date)s (%(source)s)"), date=d["as_of"],
                             source=d["as_of_source"]), highlight=False)
    rules = [{**r, "on": bool(r["on"]), "needs": " + ".join(r.get("needs") or [])} for r in d["rules"]]
    console.print(render_table(rules, [("rule", N_("Rule"), "text"), ("on", N_("On")), ("fired", N_("Fired"), "count"),
                                       ("label", N_("Meaning"), "text"),
                                       ("needs", N_("Needs (not in the data)"), "text")], tr))
    console.print(render_table(d["data"], [("customer_id", N_("Customer"), "text"), ("signals", N_("Signals")),
                                           ("csm", N_("CSM"), "text"), ("evidence_text", N_("Evidence"), "text")],
                               tr, limit=limit or 30))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("defectors")(defectors)
    app.command("signals")(signals)
