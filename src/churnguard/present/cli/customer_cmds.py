"""One customer: what the stored run and the records say about it."""

from __future__ import annotations

from typing import Annotated

import typer

from churnguard.present.cli.common import (
    N_,
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    open_ctx,
    print_json,
    say_run,
    translator_of,
)


@handle_errors
def customers(
    query: Annotated[str | None, typer.Option("--query", "-q", help="Part of a customer id or name.")] = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's customers.")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many.")] = 50,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Find customers by id or name (any part, any case), in id order.

    Example: churnguard customers --query 贸易 --json
    """
    from churnguard.service import customer as svc

    opts = svc.FindOptions(query, csm, offset, limit)
    with open_ctx(workspace, lang=lang) as ctx:
        result = svc.find_customers(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    console.print(tr.gettext(N_("%(n)s customers"), n=tr.format_number(d["matching"])), highlight=False)
    console.print(render_table(d["data"], [("customer_id", N_("Customer"), "text"), ("name", N_("Name"), "text"),
                                           ("segment", N_("Segment"), "text"), ("csm", N_("CSM"), "text")], tr))


@handle_errors
def customer(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="The run date to read (default: the latest).")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many timeline records.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="Timeline records to show.")] = 50,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """One customer: profile, value, risk and reasons, signals, defection, timeline, monthly spend.

    Example: churnguard customer C0000184 --json
    """
    from churnguard.errors import NotComputedError
    from churnguard.service import customer as svc

    opts = svc.CustomerOptions(customer_id, language=lang, offset=offset, limit=limit)
    run = "stored"
    with open_ctx(workspace, as_of, lang) as ctx:
        try:
            d = svc.customer_view(ctx, opts)
        except NotComputedError:
            d = None
        if d is None or d["as_of"] is None:  # no run of that date stored: run it, then read it
            from churnguard.service.run import run as run_all

            run = "computed"
            with err_console.status("running") as status:
                run_all(ctx, step=lambda m: status.update(m))
            d = svc.customer_view(ctx, opts)
    if json_out:
        print_json(d if run == "stored" else {**d, "run": run})
        return
    from churnguard.present.cli.render import cell

    tr = translator_of(lang, workspace)
    say_run(run, d["as_of"], tr)
    _ = tr.gettext
    p = d["profile"]
    csm_word, run_of = _(N_("CSM")), _(N_("run of %(date)s"), date=d["as_of"] or "—")
    value_word, risk_word, at_risk = _(N_("value")), _(N_("risk")), _(N_("Value at risk"))
    console.print(f"[bold]{p['customer_id']}[/] {p.get('name') or ''} · {p.get('segment') or ''} · "
                  f"{csm_word} {p.get('csm') or '—'} ({run_of})", highlight=False)
    if d["value"]:
        v = d["value"]
        console.print(f"  {value_word}: RFM {v['rfm_segment_label'] or '—'}, CLV {cell(v['clv'], 'amount', tr)}, "
                      f"P(alive) {cell(v['p_alive'], 'pct', tr)}; {v['core_reason'] or ''}", highlight=False)
    if d["risk"]:
        r = d["risk"]
        console.print(f"  {risk_word}: {cell(r['probability'], 'pct', tr)}, {at_risk} "
                      f"{cell(r['value_at_risk'], 'amount', tr)} (#{r['rank']} / {cell(r['scored'], 'count', tr)})",
                      highlight=False)
        for title, key in ((N_("What changed"), "changes"), (N_("Likely cause"), "causes")):
            if r.get(key):
                console.print(f"    {_(title)}: {cell(r[key], 'auto', tr)}", highlight=False)
    if d["defector"]:
        console.print(f"  {d['defector']['kind']}: {cell(d['defector']['evidence'], 'auto', tr)}", highlight=False)
    for r in d.get("churn_reasons") or []:
        from churnguard.present.cli.reasons_cmds import reason_line

        console.print(f"  {reason_line(r, tr)}", highlight=False)
    for e in d["timeline"]["data"]:
        fields = ", ".join(f"{k}={cell(v, 'auto', tr)}" for k, v in e["fields"].items() if v not in (None, [], ""))
        console.print(f"  {e['date']} {e['kind']}: {fields}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("customers")(customers)
    app.command("customer")(customer)
