"""Commands that measure churn: churn-rate, cohorts, retention, price-volume, compare."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table as RichTable

if TYPE_CHECKING:
    from churnguard.i18n import Translator

from churnguard.present.cli.common import (
    N_,
    AsOfOpt,
    FromOpt,
    JsonOpt,
    LangOpt,
    ToOpt,
    WorkspaceOpt,
    console,
    handle_errors,
    open_ctx,
    parse_date_option,
    print_json,
    translator_of,
)

DEFINITIONS = (
    "\b\nDefinitions:\n"
    "- contractual customer (has a contract): active while it holds one; lost on the day its last "
    "contract ends or is cancelled without a renewal starting within churn.grace_days (default 0).\n"
    "- non-contractual customer: lost on the day the gap since its last purchase reaches "
    "churn.threshold_days (a number, or 'auto' = learned per segment from the return curve: the "
    "shortest gap after which at most churn.return_share of the customers once inactive that long "
    "bought again; see 'churnguard threshold'); a purchase on the threshold day keeps the customer; "
    "buying again later is a reactivation, not an un-churn.\n"
    "- churn rate = customers lost during the period / customers active at its start "
    "(customers acquired during the period are not in the denominator): 400 at the start, "
    "20 lost -> 5.0%.\n"
    "- value churn = value lost / value at start; value = recurring value (contractual) or "
    "trailing churn.value_window_days revenue (non-contractual).\n"
    "Nothing dated after --as-of (the date of knowledge) is read; --from and --to choose the periods shown."
)

PeriodOpt = Annotated[str, typer.Option("--period", help="month, quarter or year.")]
EngineOpt = Annotated[str, typer.Option("--engine", help="store (the workspace's DuckDB/PostgreSQL) or spark (Parquet files in --data).")]
RethresholdOpt = Annotated[bool, typer.Option(
    "--rethreshold",
    help="Learn the 'auto' threshold afresh from the data up to --as-of instead of using the one stored by the last 'churnguard run'.")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="With --engine spark: folder with transactions.parquet, contracts.parquet, customers.parquet.")]


def _label(d: date, period: str) -> str:
    if period == "month":
        return f"{d:%Y-%m}"
    if period == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if period == "year":
        return str(d.year)
    return d.isoformat()


def _fmt(value: Any, pct: bool = False, tr: Translator | None = None) -> str:
    """A number for people (``–`` when missing), in ``tr``'s language when given."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if tr is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return tr.format_percent(value) if pct else tr.format_number(value, 2 if isinstance(value, float) else None)
    if pct:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(rows: list[dict], columns: list[tuple[str, str]], title: str, period: str | None = None,
           pct: tuple[str, ...] = (), tr: Translator | None = None) -> RichTable:
    """Rows as a table: headers in the reader's language, numbers written for people."""
    from churnguard.i18n import Translator
    from churnguard.present.cli.render import cell

    tr = tr or Translator("en")
    t = RichTable(title=title)
    for _, head in columns:
        t.add_column(tr.gettext(head), justify="right")
    for r in rows:
        cells = []
        for key, _ in columns:
            v = r.get(key)
            if period and key in ("period_start", "cohort_start", "window_start") and isinstance(v, date):
                cells.append(_period(v, period, tr) + ("" if r.get("complete", True) else "*"))
            else:
                cells.append(cell(v, "pct" if key in pct else "auto", tr))
        t.add_row(*cells)
    return t


#: option values that titles and lines name, marked for translation
_WORDS = {"month": N_("month"), "quarter": N_("quarter"), "year": N_("year"), "customers": N_("customers"),
          "value": N_("value"), "recurring": N_("recurring"), "revenue": N_("revenue")}


def word(value: str, tr: Translator) -> str:
    """An option value (``quarter``, ``value`` …) in the reader's language; others as given."""
    return tr.gettext(_WORDS[value]) if value in _WORDS else value


def _period(d: date, period: str, tr: Translator) -> str:
    """A period as the reader writes it (``2024-Q2`` in English, ``2024年第2季度`` in Chinese)."""
    return _label(d, period) if tr.language == "en" else tr.format_period(d, period)


def _open(workspace: Path | None, as_of: str | None, lang: str | None, engine: str, data: Path | None):
    """The command's context: the workspace, reading its records from ``--engine``/``--data``."""
    from churnguard.service.measure_inputs import engine_url

    return open_ctx(workspace, as_of, lang, records_url=engine_url(engine, data))


def print_trend(rows: list[dict], period: str, group: str | None = None, tr: Translator | None = None) -> None:
    """Print a churn-rate bar per period (the terminal trend chart)."""
    rates = [r["churn_rate"] for r in rows if r["churn_rate"] is not None]
    top = max(rates, default=0) or 1.0
    title = N_("churn rate trend")
    console.print(f"[bold]{tr.gettext(title) if tr else title}[/bold]")
    for r in rows:
        label = _period(r["period_start"], period, tr) if tr else _label(r["period_start"], period)
        if group:
            label = f"{r[group] or '–'} {label}"
        rate = r["churn_rate"]
        bar = "" if rate is None else "█" * max(1 if rate > 0 else 0, round(30 * rate / top))
        console.print(f"{label:>18} {bar} {_fmt(rate, True)}", highlight=False)


def _footer(defn: dict, tr: Translator | None = None) -> None:
    from churnguard.i18n import Translator

    tr = tr or Translator("en")
    nc = defn.get("non_contractual", {})
    parts = [tr.gettext(N_("as of %(date)s (%(source)s)"), date=defn["as_of"], source=defn["as_of_source"]),
             tr.gettext(N_("engine %(engine)s"), engine=defn["engine"])]
    if nc.get("threshold_days") == "auto":
        parts.append(tr.gettext(N_("threshold %(source)s"), source=nc.get("threshold_source")))
    elif "threshold_days" in nc:
        parts.append(tr.gettext(N_("threshold %(days)s days"), days=nc["threshold_days"]))
    if "contractual" in defn:
        parts.append(tr.gettext(N_("grace %(days)s days"), days=defn["contractual"]["grace_days"]))
    note = tr.gettext(N_("* = period cut short at the as-of date"))
    console.print("[dim]" + " · ".join(parts) + "; " + note + "[/dim]")


@handle_errors
def threshold(
    by: Annotated[str | None, typer.Option("--by", help="segment: each segment's own curve too.")] = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "store",
    data: DataOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
    rethreshold: RethresholdOpt = False,
) -> None:
    from churnguard.service import threshold as svc

    opts = svc.ThresholdOptions(by=by, rethreshold=rethreshold)
    with _open(workspace, as_of, lang, engine, data) as ctx:
        result = svc.threshold(ctx, opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    rows = d["data"]
    for seg in dict.fromkeys(r["segment"] for r in rows):
        t = RichTable(title=tr.gettext(N_("return curve · %(segment)s"), segment=seg))
        for head in (N_("gap (days)"), N_("customers reached"), N_("followed through the window"), N_("returned")):
            t.add_column(tr.gettext(head), justify="right")
        t.add_column("", justify="right")
        for r in rows:
            if r["segment"] != seg:
                continue
            mark = (tr.gettext(N_("◀ threshold")) if r["chosen"]
                    else ("" if r["judged"] else tr.gettext(N_("too few followed"))))
            t.add_row(str(r["gap_days"]), _fmt(r["customers_reached"]), _fmt(r["customers_observed"]),
                      _fmt(r["return_share"], True), mark)
        console.print(t)
    t = RichTable(title=tr.gettext(N_("threshold in force")))
    for head in (N_("segment"), N_("days"), N_("source"), N_("customers")):
        t.add_column(tr.gettext(head), justify="right")
    for r in d["thresholds"]:
        t.add_row(str(r["segment"]), _fmt(r["threshold_days"]), str(r["source"]), _fmt(r.get("customers")))
    console.print(t)
    console.print(f"[dim]{d['definition']['non_contractual'].get('threshold_source', '')}[/dim]", highlight=False)


@handle_errors
def churn_rate(
    period: PeriodOpt = "quarter",
    basis: Annotated[str, typer.Option("--basis", help="customers, value (recurring or trailing revenue) or recurring (contractual only).")] = "customers",
    by: Annotated[str | None, typer.Option("--by", help="Break down by a customer column: segment, region, customer_type, csm or relationship.")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "store",
    data: DataOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
    rethreshold: RethresholdOpt = False,
) -> None:
    from churnguard.service import measure as svc

    opts = svc.ChurnRateOptions(rethreshold=rethreshold, period=period, basis=basis, by=by,
                                start=parse_date_option(start, "--from"), to=parse_date_option(end, "--to"))
    with _open(workspace, as_of, lang, engine, data) as ctx:
        result = svc.churn_rate(ctx, opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    cols = ([(by, by)] if by else []) + [
        ("period_start", N_("period")), ("customers_at_start", N_("at start")), ("customers_lost", N_("lost")),
        ("customers_acquired", N_("acquired")), ("reactivated", N_("reactivated")),
        ("customers_at_end", N_("at end")),
    ]
    if basis != "customers":
        cols += [("value_at_start", N_("value at start")), ("value_lost", N_("value lost"))]
    cols.append(("churn_rate", N_("churn rate")))
    title = tr.gettext(N_("churn rate · %(basis)s · per %(period)s"), basis=word(basis, tr),
                       period=word(period, tr))
    console.print(_table(d["data"], cols, title, period, ("churn_rate",), tr=tr))
    print_trend(d["data"], period, by, tr)
    _footer(d["definition"], tr)
    if d.get("reactivation_share") is not None:
        console.print(tr.gettext(N_("reactivations as a share of losses: %(share)s (limit %(limit)s)"),
                                 share=tr.format_percent(d["reactivation_share"]),
                                 limit=tr.format_percent(d["reactivation_limit"], 0)), highlight=False)
    warning = tr.gettext(N_("warning:"))
    for w in d.get("warnings", []):
        if w == (d.get("reactivation_warning") or {}).get("en"):
            w = d["reactivation_warning"].get(tr.language, w)
        console.print(f"[yellow]{warning}[/] {w}", highlight=False)


@handle_errors
def cohorts(
    period: Annotated[str, typer.Option("--period", help="month or quarter.")] = "month",
    basis: Annotated[str, typer.Option("--basis", help="customers (active at period end) or revenue.")] = "customers",
    start: FromOpt = None,
    end: ToOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "store",
    data: DataOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
    rethreshold: RethresholdOpt = False,
) -> None:
    from churnguard.service import measure as svc

    opts = svc.CohortsOptions(rethreshold=rethreshold, period=period, basis=basis,
                              start=parse_date_option(start, "--from"), to=parse_date_option(end, "--to"))
    with _open(workspace, as_of, lang, engine, data) as ctx:
        result = svc.cohorts(ctx, opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    width = max((r["period_offset"] for r in d["data"]), default=-1) + 1
    t = RichTable(title=tr.gettext(N_("cohort retention · %(basis)s · per %(period)s"), basis=word(basis, tr),
                                   period=word(period, tr)))
    t.add_column(tr.gettext(N_("cohort")))
    t.add_column(tr.gettext(N_("size")), justify="right")
    for i in range(width):
        t.add_column(f"+{i}", justify="right")
    cohorts_: dict[date, list[dict]] = {}
    for r in d["data"]:
        cohorts_.setdefault(r["cohort_start"], []).append(r)
    for start_, rows in cohorts_.items():
        cells = [_fmt(r["retention"], True, tr) for r in sorted(rows, key=lambda r: r["period_offset"])]
        t.add_row(_period(start_, period, tr), _fmt(rows[0]["cohort_size"], tr=tr), *cells,
                  *[""] * (width - len(cells)))
    console.print(t)
    _footer(d["definition"], tr)


@handle_errors
def retention(
    period: PeriodOpt = "quarter",
    basis: Annotated[str, typer.Option("--basis", help="value or recurring (contractual only).")] = "value",
    start: FromOpt = None,
    end: ToOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = "store",
    data: DataOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
    rethreshold: RethresholdOpt = False,
) -> None:
    from churnguard.service import measure as svc

    opts = svc.RetentionOptions(rethreshold=rethreshold, period=period, basis=basis,
                                start=parse_date_option(start, "--from"), to=parse_date_option(end, "--to"))
    with _open(workspace, as_of, lang, engine, data) as ctx:
        result = svc.retention(ctx, opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    cols = [("period_start", N_("period")), ("value_at_start", N_("value at start")), ("value_lost", N_("lost")),
            ("contraction", N_("contraction")), ("expansion", N_("expansion")), ("grr", N_("GRR")), ("nrr", N_("NRR"))]
    title = tr.gettext(N_("revenue retention · %(basis)s · per %(period)s"), basis=word(basis, tr),
                       period=word(period, tr))
    console.print(_table(d["data"], cols, title, period, ("grr", "nrr"), tr=tr))
    _footer(d["definition"], tr)


@handle_errors
def price_volume(
    period: PeriodOpt = "quarter",
    start: FromOpt = None,
    end: ToOpt = None,
    as_of: AsOfOpt = None,
    tolerance: Annotated[float, typer.Option(
        "--tolerance", help="Units or buying customers count as fallen only when they fall by more than this "
                            "fraction (default 0: any fall).")] = 0.0,
    engine: EngineOpt = "store",
    data: DataOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    from churnguard.service import measure as svc

    opts = svc.PriceVolumeOptions(period=period, start=parse_date_option(start, "--from"),
                                  to=parse_date_option(end, "--to"), tolerance=tolerance)
    with _open(workspace, as_of, lang, engine, data) as ctx:
        result = svc.price_volume(ctx, opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    cols = [("period_start", N_("period")), ("revenue", N_("revenue")), ("units", N_("units")),
            ("customers", N_("customers")),
            ("revenue_change", N_("change")), ("customer_effect", N_("customers eff.")),
            ("volume_effect", N_("volume eff.")), ("price_effect", N_("price eff.")), ("other_effect", N_("other"))]
    console.print(_table(d["data"], cols, tr.gettext(N_("price–volume · per %(period)s"), period=word(period, tr)),
                         period, tr=tr))
    season = d["seasonality"]
    against = (tr.gettext(N_("the same %(period)s a year before (the data are seasonal)"),
                          period=word(period, tr))
               if d["definition"]["comparison"] == "year_before"
               else tr.gettext(N_("the previous %(period)s"), period=word(period, tr)))
    r = season["lag12_correlation"].get("revenue")
    line = tr.gettext(N_("false growth judged against %(against)s; %(months)s complete months"),
                      against=against, months=season["months"])
    if r is not None:
        line += tr.gettext(N_(", lag-12 correlation of revenue %(r)s"), r=f"{r:.2f}")
    console.print("  " + line, highlight=False)
    warning = tr.gettext(N_("warning"))
    for w in d["warnings"]:
        console.print(f"[bold red]{warning}[/bold red] {_period(w['period_start'], period, tr)}: "
                      f"{w['warning']}", highlight=False)
    _footer(d["definition"], tr)


@handle_errors
def compare(
    at: Annotated[str, typer.Option("--at", help="Date of the change (YYYY-MM-DD).")],
    window: Annotated[str, typer.Option("--window", help="Length of each window: e.g. 2q, 6m, 1y, 90d.")] = "2q",
    as_of: AsOfOpt = None,
    engine: EngineOpt = "store",
    data: DataOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
    rethreshold: RethresholdOpt = False,
) -> None:
    from churnguard.service import measure as svc

    opts = svc.CompareOptions(rethreshold=rethreshold, at=parse_date_option(at, "--at"), window=window)
    with _open(workspace, as_of, lang, engine, data) as ctx:
        result = svc.compare(ctx, opts)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    cols = [("window", N_("window")), ("window_start", N_("from")), ("window_end", N_("to")),
            ("customers_at_start", N_("at start")), ("customers_lost", N_("lost")), ("churn_rate", N_("churn rate"))]
    title = tr.gettext(N_("churn rate before/after %(at)s (%(window)s)"), at=at, window=window)
    console.print(_table(d["data"], cols, title, None, ("churn_rate",), tr=tr))
    c = d["comparison"]
    if c["difference"] is None:
        console.print(tr.gettext(N_("no customers at the start of one window: no comparison")))
    else:
        verdict = tr.gettext(N_("significant at 5%") if c["p_value"] < 0.05 else N_("not significant at 5%"))
        console.print(
            tr.gettext(N_("difference after − before: %(diff)s (95%% CI %(low)s … %(high)s), p = %(p)s: %(verdict)s"),
                       diff=f"{c['difference']:+.1%}", low=f"{c['ci_low']:+.1%}", high=f"{c['ci_high']:+.1%}",
                       p=f"{c['p_value']:.3g}", verdict=verdict),
            highlight=False,
        )
    note = tr.gettext(N_("note"))
    for n in d["notes"]:
        console.print(f"[yellow]{note}[/yellow] {n}", highlight=False)
    _footer(d["definition"], tr)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("threshold", help=(
    "The churn threshold learned from the data: the return curve (for each gap without a purchase, "
    "the share of customers once inactive that long who bought again) and the gap chosen, overall "
    "and per segment.\n\n" + DEFINITIONS
    + "\n\n\b\nExamples:\n  churnguard threshold\n  churnguard threshold --by segment --json\n"
    "  churnguard threshold --as-of 2024-12-31"
))(threshold)
    app.command("churn-rate", help=(
    "How much are we losing? Churn rate per period by customers, value or recurring value.\n\n"
    + DEFINITIONS + "\n\n\b\nExamples:\n  churnguard churn-rate --period month --from 2024-01-01\n"
    "  churnguard churn-rate --basis value --by segment --json\n"
    "  churnguard churn-rate --engine spark --data /data/parquet"
))(churn_rate)
    app.command("cohorts", help=(
    "The cohort retention triangle: of the customers acquired in each period, how many "
    "(or how much revenue) remain in each later period.\n\n" + DEFINITIONS
    + "\n\n\b\nExamples:\n  churnguard cohorts --period quarter\n  churnguard cohorts --basis revenue --json"
))(cohorts)
    app.command("retention", help=(
    "Gross and net revenue retention (GRR, NRR) per period, with value lost, contraction "
    "and expansion of the customers active at each period's start.\n\n" + DEFINITIONS
    + "\n\n\b\nExamples:\n  churnguard retention\n  churnguard retention --basis recurring --period year --json"
))(retention)
    app.command("price-volume", help=(
    "Revenue change per period split into customer-count, volume (units per customer) and "
    "price effects, with a warning when revenue holds or grows while units or customers fall "
    "(false growth after a price rise; never when revenue fell). Each period is compared with "
    "the same period a year before where the data are seasonal, else with the previous one; "
    "the output says which.\n\n\b\nExamples:\n  churnguard price-volume --period quarter\n"
    "  churnguard price-volume --period month --json"
))(price_volume)
    app.command("compare", help=(
    "Did a change work? Churn rate in the window before --at vs the window after it, the "
    "difference with a 95% confidence interval (Wald) and a two-sided p-value "
    "(two-proportion z-test with pooled proportion).\n\n" + DEFINITIONS
    + "\n\n\b\nExamples:\n  churnguard compare --at 2024-07-01\n  churnguard compare --at 2024-07-01 --window 6m --json"
))(compare)
