"""Customer value commands: value, core-customers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from churnguard.errors import InputError
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

if TYPE_CHECKING:
    from churnguard.i18n import Translator
    from churnguard.service.value import ValueResult

TimeUnitOpt = Annotated[
    str,
    typer.Option("--time-unit", help="Unit of recency, T and the purchase-model parameters: week or day."),
]

_OUT_SUFFIXES = (".csv", ".parquet")


def _write_out(result: ValueResult, out: Path) -> None:
    from churnguard.vocab import inert_text

    suffix = out.suffix.lower()
    if suffix not in _OUT_SUFFIXES:
        raise InputError(
            f"--out {out}: unknown file type {suffix or '(none)'!r}; use one of: {', '.join(_OUT_SUFFIXES)}"
        )
    frame = result.to_frame()
    if suffix == ".csv":
        # UTF-8 with BOM: Excel then shows Chinese names and labels correctly; text that
        # Excel would run as a formula (an imported name "=HYPERLINK(…)") is written inert
        frame = frame.apply(lambda col: col.map(inert_text) if col.dtype == object else col)
        frame.to_csv(out, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    else:
        frame.to_parquet(out, index=False)


def _fmt(v: object, digits: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.{digits}g}"
    return str(v)


def _print_models(models: dict, tr: Translator) -> None:
    t = RichTable(title=tr.gettext(N_("models")))
    for col in (N_("model"), N_("status"), N_("parameters / reason")):
        t.add_column(tr.gettext(col))
    skip = {
        "fitted",
        "log_likelihood",
        "customers",
        "note",
        "error",
        "life_table",
        "retention_curve",
        "chains",
        "horizon",
        "spend_frequency_correlation",
    }
    not_fitted = tr.gettext(N_("not fitted"))
    for name, rep in models.items():
        if rep["fitted"]:
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in rep.items() if k not in skip)
            if rep.get("log_likelihood") is not None:
                params += f"; LL={rep['log_likelihood']:,.1f}"
            if rep.get("note"):
                params += f" ({rep['note']})"
            t.add_row(name, tr.gettext(N_("fitted")), params)
        else:
            t.add_row(name, f"[red]{not_fitted}[/]", rep["error"] or "")
    console.print(t)


@handle_errors
def value(
    as_of: AsOfOpt = None,
    time_unit: TimeUnitOpt = "week",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the per-customer table to a .csv or .parquet file."),
    ] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Customer value as of a date: RFM, Pareto, payments, P(alive), CLV, contracts, core flag.

    One row per customer; the table is stored as the dated 'value' snapshot. A model the
    data cannot support is reported with its reason; the rest is still computed.

    Examples:
      churnguard value --as-of 2026-06-30
      churnguard value --time-unit day --json > value.json
      churnguard value --out value.csv
    """
    from churnguard.service import value as svc

    opts = svc.ValueOptions(time_unit=time_unit)
    with open_ctx(workspace, as_of, lang) as ctx:
        if json_out:
            result = svc.compute(ctx, opts)
        else:
            with err_console.status("computing customer value"):
                result = svc.compute(ctx, opts)
        if out is not None:
            _write_out(result, out)
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    title = tr.gettext(N_("customer value"))
    console.print(
        f"[bold]{title}[/] "
        + tr.gettext(N_("as of %(date)s (%(source)s), %(n)s customers, time unit %(unit)s"),
                     date=d["as_of"], source=d["as_of_source"], n=tr.format_number(d["count"]), unit=d["time_unit"]),
        highlight=False,
    )
    _print_models(d["models"], tr)
    frame = result.to_frame()
    seg = (
        frame.groupby("rfm_segment_label", dropna=True)
        .agg(customers=("customer_id", "size"), spend=("total_spend", "sum"))
        .sort_values("spend", ascending=False)
    )
    t = RichTable(title=tr.gettext(N_("RFM segments")))
    for col in (N_("segment"), N_("customers"), N_("total spend")):
        t.add_column(tr.gettext(col), justify="left" if col == "segment" else "right")
    for label, row in seg.iterrows():
        t.add_row(str(label), tr.format_number(int(row["customers"])), tr.format_number(round(float(row["spend"]))))
    console.print(t)
    s = result.summary(top=0)
    for line in s.lines():
        console.print(line, highlight=False)
    if out is not None:
        console.print(tr.gettext(N_("written: %(path)s"), path=out))
    console.print(tr.gettext(N_("next: %(command)s"), command="churnguard core-customers"))


@handle_errors
def core_customers(
    top: Annotated[
        int, typer.Option("--top", min=1, help="How many to list, largest revenue first.")
    ] = 20,
    as_of: AsOfOpt = None,
    time_unit: TimeUnitOpt = "week",
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's customers (from a stored run).")] = None,
    stored: Annotated[
        bool, typer.Option("--stored", help="Only the stored run: fail rather than compute when there is none.")
    ] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Compute value afresh even when a run of the date is "
                                                        "stored (stores the 'value' snapshot).")] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List core customers (核心客户): top revenue, long-standing, regular, paying on time.

    Each comes with the evidence ("前3%收入贡献, 合作4.2年, …"). Reads the value table of the
    newest stored run, or of the run of the date --as-of names, as the web pages and
    /api/core-customers; computes value afresh (and stores the 'value' snapshot) only when no
    run of that date is stored (and says so), with --fresh, or with another --time-unit.

    Example: churnguard core-customers --top 10 --as-of 2026-06-30
    """
    from churnguard.errors import NotComputedError
    from churnguard.service import core_customers as core
    from churnguard.service import value as svc

    run = "stored"
    result = None
    with open_ctx(workspace, as_of, lang) as ctx:
        if not fresh and time_unit == "week":
            try:
                result = core.stored_core_customers(ctx, core.CoreOptions(top=top, csm=csm))
            except NotComputedError:
                if stored:
                    raise
        if result is None:
            if csm is not None:
                raise InputError("--csm needs a stored run ('churnguard run')")
            run = "computed"
            result = core.core_customers(ctx, core.CoreOptions(top=top, value=svc.ValueOptions(time_unit=time_unit)))
    shown = list_output(result, run, json_out, lang, workspace)
    if shown is None:
        return
    d, tr = shown
    from churnguard.present.cli.render import render_table

    console.print(tr.gettext(N_("core customers as of %(date)s (%(source)s): %(core)s of %(all)s; showing %(n)s"),
                             date=d["as_of"], source=d["as_of_source"], core=tr.format_number(d["core_customers"]),
                             all=tr.format_number(d["customers"]), n=tr.format_number(d["count"])), highlight=False)
    cols = [("customer_id", N_("Customer"), "text"), ("name", N_("Name"), "text"),
            ("revenue", N_("Revenue"), "amount"), ("clv", N_("CLV"), "amount"),
            ("core_reason", N_("Why"), "text")]
    console.print(render_table(d["data"], cols, tr))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("value")(value)
    app.command("core-customers")(core_customers)
