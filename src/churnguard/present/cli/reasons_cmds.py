"""Commands that learn why customers leave: the reason table of a period."""

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
    open_ctx,
    parse_date_option,
    print_json,
    translator_of,
)


@handle_errors
def reasons(
    start: Annotated[str | None, typer.Option("--from", help="First day of the period (YYYY-MM-DD); default: a "
                                                           "year before --to.", show_default=False)] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day of the period (YYYY-MM-DD); default: the as-of "
                                                      "date.", show_default=False)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Also break the table down by segment, region, csm or "
                                                      "customer_type.", show_default=False)] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Why defectors left (流失原因): per reason the defectors, the value they took with them, their
    share, and whether the company controls the reason (可控/不可控); the trend by quarter.

    The defectors of the period are those 'churnguard defectors' finds as of --to: complete ones
    lost within the period, and every partial one. Each counts under its newest recorded reason
    (an interview, a survey, an imported file); a reason suggested from text only where none is
    recorded (marked inferred); without any, under 'not recorded'.

    Example: churnguard reasons --from 2026-01-01 --to 2026-06-30 --by segment
    """
    from churnguard.service import reasons as svc

    opts = svc.ReasonOptions(parse_date_option(start, "--from"), parse_date_option(to, "--to"), by)
    with err_console.status("finding defectors and their reasons"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.reasons(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    console.print(tr.gettext(N_("churn reasons of the defectors from %(start)s to %(end)s (as of %(date)s, %(source)s)"),
                             start=d["from"], end=d["to"], date=d["as_of"], source=d["as_of_source"]), highlight=False)
    rows = [{**r, "controllable": _controllable_word(r["controllable"], tr)} for r in d["data"]]
    cols = [("label", N_("Reason"), "text"), ("controllable", N_("Controllable"), "text"),
            ("defectors", N_("Defectors"), "count"), ("inferred", N_("Inferred"), "count"),
            ("lost_value", N_("Lost value"), "amount"), ("share", N_("Share"), "pct"),
            ("lost_value_share", N_("Share of lost value"), "pct")]
    console.print(render_table(rows, cols, tr))
    t = d["totals"]
    console.print(tr.gettext(N_("controllable: %(c)s defectors, %(ck)s of those with a known reason (%(cs)s of all), "
                                "lost value %(cv)s; uncontrollable: %(u)s, %(uk)s (%(us)s), lost value %(uv)s; unknown "
                                "or not recorded: %(n)s"),
                             c=tr.format_number(t["controllable"]["defectors"]),
                             ck=_pct(t["controllable"]["share_of_known"], tr), cs=_pct(t["controllable"]["share"], tr),
                             cv=tr.format_number(round(t["controllable"]["lost_value"])),
                             u=tr.format_number(t["uncontrollable"]["defectors"]),
                             uk=_pct(t["uncontrollable"]["share_of_known"], tr),
                             us=_pct(t["uncontrollable"]["share"], tr),
                             uv=tr.format_number(round(t["uncontrollable"]["lost_value"])),
                             n=tr.format_number(t["unknown"]["defectors"])), highlight=False)
    if d["by"] is not None:
        by_rows = [{**r, "label": svc.reason_label(r["reason"], tr.language)} for r in d["by"]["data"]]
        console.print(render_table(by_rows, [("group", _BY_LABELS[d["by"]["column"]], "text"),
                                             ("label", N_("Reason"), "text"), ("defectors", N_("Defectors"), "count"),
                                             ("lost_value", N_("Lost value"), "amount"),
                                             ("share", N_("Share"), "pct")], tr))


_BY_LABELS = {"segment": N_("Segment"), "region": N_("Region"), "csm": N_("CSM"), "customer_type": N_("Customer type")}


def _controllable_word(value: bool | None, tr) -> str:
    if value is None:
        return tr.gettext(N_("unknown"))
    return tr.gettext(N_("controllable") if value else N_("uncontrollable"))


def _pct(value: float | None, tr) -> str:
    return "—" if value is None else tr.format_percent(value)


def reason_cell(row: dict, tr) -> str | None:
    """A row's known churn reason as a list shows it: ``价格 · 对手甲``, ``(inferred)`` when suggested
    from text; None when none is recorded."""
    from churnguard.service.reasons import reason_label

    if not row.get("reason"):
        return None
    text = reason_label(row["reason"], tr.language) or ""
    if row.get("competitor"):
        text += f" · {row['competitor']}"
    if row.get("reason_source") == "inferred":
        text += " " + tr.gettext(N_("(inferred)"))
    return text


def reason_line(row: dict, tr) -> str:
    """One row of a customer's reasons history, on one line."""
    from churnguard.service.reasons import reason_label

    parts = [tr.gettext(N_("churn reason")) + ":", reason_label(row["reason"], tr.language) or ""]
    if row.get("secondary_reason"):
        parts.append("+ " + (reason_label(row["secondary_reason"], tr.language) or ""))
    if row.get("competitor"):
        parts.append("· " + str(row["competitor"]))
    if row.get("recoverable") is not None:
        parts.append("· " + tr.gettext(N_("recoverable") if row["recoverable"] else N_("not recoverable")))
    source = row.get("source") or ""
    if row.get("reason_source") == "inferred":
        conf = row.get("confidence")
        source = tr.gettext(N_("inferred")) + (f" {tr.format_percent(conf)}" if conf is not None else "")
    parts.append(f"({row['recorded_at']}{', ' + source if source else ''})")
    if row.get("notes"):
        parts.append("— " + str(row["notes"]))
    return " ".join(parts)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("reasons")(reasons)
