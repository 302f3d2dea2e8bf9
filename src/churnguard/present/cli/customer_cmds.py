"""One customer: what the stored run and the records say about it."""

from __future__ import annotations

from typing import Annotated

import typer

from churnguard.present.cli.common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    console,
    handle_errors,
    parse_date_option,
    print_json,
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

    result = svc.find_customers(svc.FindOptions(workspace, query, csm, offset, limit))
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    console.print(f"{d['matching']:,} customers", highlight=False)
    for r in d["data"]:
        console.print(f"  {r['customer_id']}  {r['name'] or ''}  {r['segment'] or ''}  {r['csm'] or ''}",
                      highlight=False)


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
    from churnguard.service import customer as svc

    d = svc.customer_view(svc.CustomerOptions(customer_id, workspace, parse_date_option(as_of),
                                              offset=offset, limit=limit))
    if json_out:
        print_json(d)
        return
    p = d["profile"]
    console.print(f"[bold]{p['customer_id']}[/] {p.get('name') or ''} · {p.get('segment') or ''} · "
                  f"CSM {p.get('csm') or '—'} (run of {d['as_of'] or '—'})", highlight=False)
    if d["value"]:
        v = d["value"]
        console.print(f"  value: RFM {v['rfm_segment_label']}, CLV {v['clv'] or 0:,.0f}, "
                      f"P(alive) {'—' if v['p_alive'] is None else format(v['p_alive'], '.2f')}; {v['core_reason']}",
                      highlight=False)
    if d["risk"]:
        r = d["risk"]
        console.print(f"  risk: {100 * r['probability']:.1f}%, value at risk {r['value_at_risk']:,.0f} "
                      f"(#{r['rank']} of {r['scored']:,})", highlight=False)
        for title, key in (("what changed", "changes"), ("likely cause", "causes")):
            if r.get(key):
                console.print(f"    {title}: " + "; ".join(x["text"] for x in r[key]), highlight=False)
    if d["defector"]:
        console.print(f"  {d['defector']['kind']} defector: "
                      + "; ".join(x["text"] for x in d["defector"]["evidence"]), highlight=False)
    for e in d["timeline"]["data"]:
        console.print(f"  {e['date']} {e['kind']}: "
                      + ", ".join(f"{k}={v}" for k, v in e["fields"].items() if v not in (None, [], "")),
                      highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("customers")(customers)
    app.command("customer")(customer)
