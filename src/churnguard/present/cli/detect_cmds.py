"""Commands that detect: defectors and warning signals, as of a date."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable

from churnguard.present.cli.common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    parse_date_option,
    print_json,
)

LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many rows.")]


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}"
    return str(v)


@handle_errors
def defectors(
    as_of: AsOfOpt = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="complete (完全跳槽) or partial (部分跳槽); default both.")
    ] = None,
    limit: LimitOpt = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's customers.")] = None,
    stored: Annotated[
        bool, typer.Option("--stored", help="Read the defectors the last 'churnguard run' stored (fast).")
    ] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Who has left, fully or partly, as of a date — each with its evidence.

    Complete: the contract ended without renewal, or no purchase for the churn threshold, or
    P(alive) below detect.p_alive_below. Partial: still buying, but share of wallet, spend,
    frequency or product breadth clearly below its own seasonally adjusted baseline.

    Example: churnguard defectors --kind partial --as-of 2026-06-30 --json
    (with --stored: the rows of the last run, as the web pages and /api/defectors show them)
    """
    from churnguard.service import detect as svc

    opts = svc.DefectorOptions(workspace, parse_date_option(as_of), kind, limit, csm)
    with err_console.status("finding defectors"):
        result = svc.stored_defectors(opts) if stored else svc.defectors(opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    console.print(
        f"[bold]defectors as of {d['as_of']}[/] ({d['as_of_source']}): "
        f"{d['counts']['complete']:,} complete, {d['counts']['partial']:,} partial"
    )
    t = RichTable(show_header=True)
    for col in ("customer", "kind", "rules", "segment", "spend 365d", "evidence"):
        t.add_column(col, justify="right" if col == "spend 365d" else "left")
    for r in d["data"][: limit or 50]:
        t.add_row(r["customer_id"], r["kind"], r["rules"], _fmt(r["segment"]), _fmt(r["spend_365d"]),
                  r["evidence_text"])
    console.print(t)
    if not limit and d["count"] > 50:
        console.print(f"… {d['count'] - 50:,} more; use --limit N or --json")


@handle_errors
def signals(
    as_of: AsOfOpt = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only customers where this rule fired.")] = None,
    limit: LimitOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Early-warning signals of active customers: which rules fire, with their evidence.

    Rules (switch and tune them in the [signals] section of churnguard.toml): contact_drop,
    renewal_silence, unsubscribed, complaint, satisfaction, spend_trend, chain, price_exposure.

    Example: churnguard signals --rule renewal_silence --limit 20
    """
    from churnguard.service import detect as svc

    with err_console.status("evaluating warning signals"):
        result = svc.signals(svc.SignalOptions(workspace, parse_date_option(as_of), rule, limit))
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    console.print(f"[bold]warning signals as of {d['as_of']}[/] ({d['as_of_source']})")
    t = RichTable(show_header=True)
    for col in ("rule", "on", "fired", "meaning", "needs (not in the data)"):
        t.add_column(col)
    for r in d["rules"]:
        t.add_row(r["rule"], "yes" if r["on"] else "off", f"{r['fired']:,}", r["label"],
                  " + ".join(r.get("needs") or []))
    console.print(t)
    t = RichTable(show_header=True)
    for col in ("customer", "signals", "csm", "evidence"):
        t.add_column(col)
    for r in d["data"][: limit or 30]:
        t.add_row(r["customer_id"], r["signals"], _fmt(r["csm"]), r["evidence_text"])
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("defectors")(defectors)
    app.command("signals")(signals)
