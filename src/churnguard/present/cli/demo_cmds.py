"""The demo command: a simulated company in a fresh workspace, and a short summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from churnguard.present.cli.common import (
    N_,
    JsonOpt,
    LangOpt,
    console,
    err_console,
    handle_errors,
    print_json,
    translator_of,
)

if TYPE_CHECKING:
    from churnguard.i18n import Translator


@handle_errors
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo workspace.")] = Path("demo"),
    customers: Annotated[int, typer.Option("--customers", min=10, help="Customers to simulate.")] = 5000,
    months: Annotated[int, typer.Option("--months", min=3, max=120, help="Months of history.")] = 24,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data.")] = 42,
    replace: Annotated[bool, typer.Option("--replace", help="Rebuild the folder if it is already a workspace.")] = False,
    database: Annotated[str | None, typer.Option("--database", help="Database URL (default: DuckDB file).")] = None,
    admin: Annotated[str | None, typer.Option("--admin", help="Also add an administrator of this name with a "
                                              "random password, printed once.")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then store the pages' figures and serve the "
                                        "workspace (Ctrl+C stops it).")] = False,
    host: Annotated[str, typer.Option("--host", help="With --serve: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="With --serve: port.")] = 8000,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Build a demo workspace from a simulated company with known ground truth.

    The simulator is just another source: its tables go through the same validation and
    load as your files; its ground truth (who churned, when, why) goes to a separate
    'truth' table that analyses never read.

    Examples:
      churnguard demo --dir demo --customers 20000 --seed 7
      churnguard demo --dir demo --replace --admin admin --serve     (what 'make demo' runs)
    """
    from churnguard.service.demo import DemoOptions, build_demo

    opts = DemoOptions(directory, customers, months, seed, replace, database)
    with err_console.status("building the demo") as status:
        result = build_demo(opts, step=lambda msg: status.update(msg))
    password = _add_admin(directory, admin) if admin else None
    if json_out:
        print_json({**result.to_dict(), "admin": admin, "investigation": _open_investigation(directory)})
        if password:  # shown once, on the terminal, never in the JSON
            err_console.print(f"admin {admin} password: {password}", highlight=False)
    tr = translator_of(lang, directory)
    if not json_out:
        _print_result(result, directory, tr)
        if password and not serve:
            console.print(tr.gettext(N_("administrator [bold]%(name)s[/], password [bold]%(password)s[/] "
                                        "(shown only now); serve it with: %(command)s"),
                                     name=admin, password=password, command=f"churnguard serve -w {directory}"),
                          highlight=False)
    if serve:
        _serve(directory, host, port, admin, password, tr)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("demo")(demo)


def _add_admin(directory: Path, name: str) -> str:
    """Add administrator ``name`` with a random password (the demo is a fresh workspace); return it."""
    import secrets

    from churnguard.service import users
    from churnguard.service.context import open_context

    password = secrets.token_urlsafe(12)
    with open_context(directory) as ctx:
        users.add_user(ctx.workspace, users.UserCreate(name, "admin", password))
    return password


def _serve(directory: Path, host: str, port: int, admin: str | None, password: str | None, tr: Translator) -> None:
    """Store the figures the pages open with, then serve the demo until Ctrl+C."""
    import uvicorn

    from churnguard.present.app import create_app
    from churnguard.service import results
    from churnguard.service.context import open_context

    with open_context(directory) as ctx, err_console.status("computing the figures of the pages") as status:
        results.refresh(ctx, step=lambda m: status.update(f"computing {m}"))
    app = create_app(directory)
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    console.print()
    serving = tr.gettext(N_("churnguard is serving the demo at %(address)s"), address=address)
    docs = tr.gettext(N_("(API docs: %(address)s)"), address=f"{address}api/docs")
    console.print(f"[bold]{serving}[/]  {docs}", highlight=False)
    if admin and password:
        console.print(tr.gettext(N_("sign in as [bold]%(name)s[/] with the password [bold]%(password)s[/] "
                                    "(shown only now; the demo is rebuilt with a new one each time)"),
                                 name=admin, password=password), highlight=False)
    console.print(tr.gettext(N_("Ctrl+C stops it")), highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


def _print_result(result, directory: Path, tr: Translator) -> None:
    d = result.to_dict()
    title = tr.gettext(N_("demo workspace"))
    console.print(f"[bold]{title}[/] {d['workspace']}: {d['start']} … {d['end']}")
    t = RichTable(show_header=True)
    t.add_column(tr.gettext(N_("table")))
    t.add_column(tr.gettext(N_("rows")), justify="right")
    for kind, n in d["rows"].items():
        t.add_row(kind, tr.format_number(n))
    console.print(t)
    truth = d["truth"]
    console.print(
        tr.gettext(N_("ground truth: %(customers)s customers, %(complete)s complete and %(partial)s partial "
                      "defectors; reasons: %(reasons)s"),
                   customers=tr.format_number(truth["customers"]), complete=tr.format_number(truth["complete"]),
                   partial=tr.format_number(truth["partial"]),
                   reasons=", ".join(f"{k} {tr.format_number(v)}" for k, v in truth["reasons"].items()))
    )
    _print_summary(directory, tr)
    inv = _open_investigation(directory)
    console.print()
    if inv is not None:
        console.print(tr.gettext(N_("open defector investigation %(id)s of %(period)s: %(n)s interviews, %(recorded)s "
                                    "recorded from the simulated interviews; see %(command)s"),
                                 id=inv["investigation_id"], period=inv["period"], n=tr.format_number(inv["interviews"]),
                                 recorded=tr.format_number(inv["recorded"]),
                                 command=f"churnguard investigate review {inv['investigation_id']} -w {d['workspace']}"),
                      highlight=False)
    console.print(tr.gettext(N_("next: %(command)s"), command=f"churnguard status -w {d['workspace']}"))


def _open_investigation(directory: Path) -> dict | None:
    """Open a defector investigation of the last full quarter with a few interviews recorded from the
    simulated ones (:func:`~churnguard.service.investigations.demo_investigation`); None when the
    simulated history is too short to have one."""
    from churnguard.errors import ChurnguardError
    from churnguard.service.context import open_context
    from churnguard.service.investigations import demo_investigation

    with open_context(directory) as ctx, err_console.status("opening a defector investigation"):
        try:
            return demo_investigation(ctx)
        except ChurnguardError:
            return None


def _print_summary(directory: Path, tr: Translator) -> None:
    """What exists of the pipeline, on the demo: the churn-rate trend, …"""
    from churnguard.present.cli.measure_cmds import print_trend
    from churnguard.service import measure
    from churnguard.service.context import open_context

    with open_context(directory) as ctx:
        rates = measure.churn_rate(ctx, measure.ChurnRateOptions()).to_dict()
    console.print()
    # quarters too close to the start of the simulated history undercount churn: leave them out
    print_trend([r for r in rates["data"] if r.get("history_complete", True)][-8:], "quarter", tr=tr)
    nc = rates["definition"].get("non_contractual", {})
    console.print("  " + tr.gettext(N_("(customers lost in the quarter ÷ customers at its start; "
                                       "non-contractual threshold: %(threshold)s)"),
                                    threshold=nc.get("threshold_source", nc.get("threshold_days"))), highlight=False)

    from churnguard.service import value

    with open_context(directory) as ctx:
        summary = value.summarize(ctx)
    console.print()
    for line in summary.lines():
        console.print(line, highlight=False)

    from churnguard.service.at_risk import TopOptions, top_at_risk

    with err_console.status("churnguard run: signals, defectors, churn model"), open_context(directory) as ctx:
        top = top_at_risk(ctx, TopOptions(n=5))
    _ = tr.gettext
    console.print()
    title = _("top at-risk customers (value at risk = churn probability × expected value)")
    probability, at_risk = _("churn probability"), _("value at risk")
    console.print(f"[bold]{title}[/bold]")
    for r in top:
        console.print(f"  {r['customer_id']}  {probability} {tr.format_percent(r['probability'])}  "
                      f"{at_risk} {tr.format_number(round(r['value_at_risk']))}", highlight=False)
        for reason in r["reasons"][:3]:
            console.print(f"      · {reason}", highlight=False)
        if r.get("causes"):
            console.print(f"      {_('Likely cause')}: " + "; ".join(r["causes"]), highlight=False)

    # the reasons of defectors nobody interviewed, suggested from their complaints and comments
    from churnguard.service.reason_suggestions import SuggestOptions, suggest_reasons

    with err_console.status("suggesting churn reasons from text"), open_context(directory) as ctx:
        s = suggest_reasons(ctx, SuggestOptions(save=True)).to_dict()
    console.print()
    console.print(tr.gettext(N_("reasons suggested from text: %(saved)s defectors without a recorded reason got an "
                                "inferred one (of %(with_text)s with text; learned from %(n)s recorded reasons)"),
                             saved=tr.format_number(s["saved"] or 0), with_text=tr.format_number(s["with_text"]),
                             n=tr.format_number(s["trained_on"]["texts"])), highlight=False)
