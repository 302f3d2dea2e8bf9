"""Commands over the headline figures: overview and refresh (and the report, in report_cmds)."""

from __future__ import annotations

from datetime import date
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
    open_ctx,
    print_json,
    translator_of,
)


@handle_errors
def overview(
    period: Annotated[str, typer.Option("--period", help="month, quarter or year.")] = "quarter",
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """The headline figures of the dashboard's overview: churn rate by customers and by value,
    revenue retention (GRR, NRR), warnings (false growth, history too short).

    Examples:
      churnguard overview -w demo
      churnguard overview --period month --json
    """
    from churnguard.present.cli.measure_cmds import print_trend, word
    from churnguard.service.overview import OverviewOptions
    from churnguard.service.overview import overview as svc

    opts = OverviewOptions(period=period)
    with open_ctx(workspace, as_of, lang) as ctx:
        result = svc(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.i18n import translate_message

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    tables = d["status"]["tables"]
    title = tr.gettext(N_("overview"))
    console.print(f"[bold]{title}[/] "
                  + tr.gettext(N_("as of %(date)s: %(customers)s customers, %(transactions)s transactions, "
                                  "%(contracts)s contracts"), date=d["as_of"] or "–",
                               customers=tr.format_number(tables["customers"]["rows"]),
                               transactions=tr.format_number(tables["transactions"]["rows"]),
                               contracts=tr.format_number(tables["contracts"]["rows"])))
    rows = [{**r, "period_start": date.fromisoformat(str(r["period_start"])[:10])}
            for r in d["churn"] if r["history_complete"]]
    if rows:
        print_trend(rows[-8:], period, tr=tr)
    latest = d["latest"]
    if "churn" in latest:
        c = latest["churn"]
        value = "–" if c["value_churn_rate"] is None else tr.format_percent(c["value_churn_rate"])
        console.print(tr.gettext(N_("last complete %(period)s: churn rate %(rate)s by customers, %(value)s by value"),
                                 period=word(period, tr), rate=tr.format_percent(c["churn_rate"]), value=value),
                      highlight=False)
    if "retention" in latest:
        r = latest["retention"]
        console.print(tr.gettext(N_("revenue retention: GRR %(grr)s, NRR %(nrr)s"),
                                 grr=tr.format_percent(r["grr"]), nrr=tr.format_percent(r["nrr"])), highlight=False)
    warning = tr.gettext(N_("warning:"))
    for w in d["warnings"]:
        console.print(f"[yellow]{warning}[/] {translate_message(tr, w['message'])}",
                      highlight=False)


@handle_errors
def refresh(
    clear: Annotated[bool, typer.Option("--clear", help="Remove every stored figure first.")] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Compute the figures the web pages open with and store them in the workspace
    (.cache/results), so the first visitor does not wait.

    Stored figures are used until an import, a 'churnguard run' or a changed setting makes
    new ones due; pages compute (and store) any other figure on first view.

    Examples:
      churnguard refresh -w demo
      churnguard refresh --clear --json
    """
    from churnguard.service import results

    with open_ctx(workspace, lang=lang) as ctx:
        if clear:
            results.clear(ctx.workspace)
        with err_console.status("computing figures") as status:
            result = results.refresh(ctx, step=lambda m: status.update(f"computing {m}"))
    if json_out:
        print_json(result)
        return
    tr = translator_of(lang, workspace)
    for f in result.figures:
        what = f"{f['name']} {f['options'] or ''}".strip()
        if "error" in f:
            console.print(f"  {what}: [yellow]{f['error']}[/]", highlight=False)
        else:
            state = (tr.gettext(N_("already stored")) if f["cached"]
                     else tr.gettext(N_("computed in %(seconds)s s"), seconds=f"{f['seconds']:.1f}"))
            console.print(f"  {what}: {state}", highlight=False)
    console.print(tr.gettext(N_("figures stored for data version %(version)s"), version=result.version))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("overview")(overview)
    app.command("refresh")(refresh)
