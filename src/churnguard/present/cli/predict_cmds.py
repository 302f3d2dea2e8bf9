"""Commands that predict: run, at-risk, backtest, survival, and models on a user's own table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

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

EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Text encoding of a CSV (default: detected).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel sheet (default: the first).")]
ModelDirOpt = Annotated[
    Path | None, typer.Option("--model", help="Model folder (default: models/table in the workspace folder).")
]


#: the counts of a run, as the run's lines name them
_COUNTS = {"customers": N_("customers"), "active": N_("active"), "complete_defectors": N_("complete defectors"),
           "partial_defectors": N_("partial defectors"), "with_signals": N_("with signals"),
           "scored": N_("scored"), "with_reasons": N_("with reasons")}


def _pct(v: object) -> str:
    return "" if v is None else f"{100 * float(v):.1f}%"


def _say_left_out(left_out: list[dict], tr: Translator) -> None:
    """Which feature families the model went without, and what importing would add them."""
    from churnguard.compute.predict.availability import describe_left_out

    if left_out:
        console.print("  " + tr.gettext(N_("features left out (no data): %(families)s"),
                                        families=describe_left_out(left_out)), markup=False, highlight=False)


@handle_errors
def run(as_of: AsOfOpt = None, workspace: WorkspaceOpt = None,
    lang: LangOpt = None, json_out: JsonOpt = False) -> None:
    """Recompute everything as of a date and store dated snapshots.

    Steps: customer value (when installed), warning signals, complete and partial defectors,
    the churn model trained on past observation dates, and scores of every active customer
    (probability, value at risk, reasons). Snapshots: defectors, signals, scores.

    Example: churnguard run --as-of 2026-06-30
    """
    from churnguard.service import run as svc

    with err_console.status("running") as status, open_ctx(workspace, as_of, lang) as ctx:
        result = svc.run(ctx, svc.RunOptions(), step=lambda m: status.update(m))
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    title = tr.gettext(N_("run as of %(date)s"), date=d["as_of"])
    console.print(f"[bold]{title}[/] ({d['as_of_source']})")
    for k, v in d["counts"].items():
        console.print(f"  {tr.gettext(_COUNTS.get(k, k.replace('_', ' ')))}: {tr.format_number(v)}")
    hold = d["model"].get("calibration_holdout") or {}
    if hold:
        console.print("  " + tr.gettext(N_("model on its newest training date: ROC AUC %(roc)s, PR AUC %(pr)s"),
                                        roc=hold.get("roc_auc"), pr=hold.get("pr_auc")))
    if d["model"].get("model_kind"):
        console.print("  " + tr.gettext(N_("scorer in use: %(kind)s"), kind=d["model"]["model_kind"]))
    _say_left_out(d["features_left_out"], tr)
    for note in d["notes"]:
        console.print(f"  [yellow]{note}[/]")
    console.print("  " + tr.gettext(N_("snapshots: %(names)s; seconds: %(seconds)s"),
                                    names=", ".join(d["snapshots"]), seconds=d["seconds"]))
    console.print(tr.gettext(N_("next: %(command)s"), command="churnguard at-risk --top 20"))


@handle_errors
def at_risk(
    top: Annotated[int, typer.Option("--top", min=1, help="How many customers.")] = 20,
    min_value: Annotated[
        float | None, typer.Option("--min-value", help="Only customers whose expected value is at least this.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Scores of this run date (default: the latest).")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Only customers of this segment.")] = None,
    csm: Annotated[str | None, typer.Option("--csm", help="Only this CSM's customers.")] = None,
    signal: Annotated[
        str | None, typer.Option("--signal", help="Only customers where this warning signal fired (e.g. complaint).")
    ] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many of the ranked customers.")] = 0,
    early: Annotated[
        bool, typer.Option("--early", help="Only early warnings: customers not yet overdue, by their own risk.")
    ] = False,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Living customers ranked by value at risk (churn probability × expected value), with reasons.

    Reads the scores of the latest 'churnguard run'. Each customer is marked 'early' (not yet
    overdue: bought within its usual gap, or more than 30 days of contract left) or 'overdue';
    --early lists the early ones only, ranked by the early-warning model's value at risk.

    Example: churnguard at-risk --top 10 --min-value 50000 --signal complaint
             churnguard at-risk --early --top 20
    """
    from churnguard.errors import NotComputedError
    from churnguard.service import at_risk as svc
    from churnguard.service.run import run as run_all

    opts = svc.AtRiskOptions(top, min_value, segment, csm, signal, offset, language=lang, early=early)
    run = "stored"
    with open_ctx(workspace, as_of, lang) as ctx:
        try:
            result = svc.at_risk(ctx, opts)
        except NotComputedError:  # no run of that date stored: run it, then read it
            run = "computed"
            with err_console.status("running") as status:
                run_all(ctx, step=lambda m: status.update(m))
            result = svc.at_risk(ctx, opts)
    shown = list_output(result, run, json_out, lang, workspace)
    if shown is None:
        return
    d, tr = shown
    from churnguard.present.cli.render import render_table

    console.print(tr.gettext(N_("customers at risk as of %(date)s: total value at risk %(total)s over %(n)s scored "
                                "customers"), date=d["as_of"], total=tr.format_number(round(d["total_value_at_risk"])),
                             n=tr.format_number(d["customers_scored"])), highlight=False)
    rows = [{**r, "p": r["early_probability"] if early else r["probability"],
             "v": r["early_value_at_risk"] if early else r["value_at_risk"]} for r in d["data"]]
    cols = [("rank", "#", "count"), ("customer_id", N_("Customer"), "text"), ("p", N_("Churn probability"), "pct"),
            ("expected_value", N_("Expected value"), "amount"), ("v", N_("Value at risk"), "amount"),
            ("warning", N_("Warning"), "text"), ("csm", N_("CSM"), "text"), ("changes", N_("What changed")),
            ("causes", N_("Likely cause"))]
    if any(r.get("reason") for r in rows):  # a partial defection the team recorded, with its reason
        from churnguard.present.cli.reasons_cmds import reason_cell

        rows = [{**r, "recorded_reason": reason_cell(r, tr)} for r in rows]
        cols.append(("recorded_reason", N_("Recorded reason"), "text"))
    console.print(render_table(rows, cols, tr))
    _say_left_out(d["features_left_out"], tr)


@handle_errors
def backtest(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The past date to replay (default: the last date in the data minus the "
                                     "horizon and the longest churn threshold, the latest whose outcome is known; "
                                     "on a history too short for that, the earliest date a model can be "
                                     "trained for)."),
    ] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", help="Days (default: churn.horizon_days).")] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Replay a past date: who was flagged, who actually left, and how good each scorer was.

    The model is trained only on what was known at that date; "actually left" comes from
    the records after it, by the same churn definition. Reports ROC AUC, PR AUC,
    precision/recall/lift at the top 10% and the Brier score for the model, the logistic
    baseline and the recency heuristic, and a calibration table; then the same for the early
    warnings alone (customers not yet overdue on the date, where a call can still help) and
    the lead time: how many days before they left the model flagged them.

    Example: churnguard backtest --as-of 2026-06-30 --horizon 90 --json
    """
    from churnguard.service import backtest as svc

    opts = svc.BacktestOptions(horizon)
    with err_console.status("backtesting") as status, open_ctx(workspace, as_of, lang) as ctx:
        result = svc.backtest(ctx, opts, step=lambda m: status.update(m))
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    title = tr.gettext(N_("backtest as of %(date)s"), date=d["as_of"])
    console.print(
        f"[bold]{title}[/], "
        + tr.gettext(N_("horizon %(days)s days: %(n)s active customers, %(lost)s lost (%(rate)s)"),
                     days=d["horizon_days"], n=tr.format_number(d["n_customers"]),
                     lost=tr.format_number(d["n_lost"]), rate=_pct(d["lost_rate"]))
    )
    from churnguard.present.cli.render import render_table

    cols = ("roc_auc", "pr_auc", "precision_at_10pct", "recall_at_10pct", "lift_at_10pct", "brier")
    figures = [("scorer", N_("Scorer"), "text"), *((c, c.replace("_", " "), "ratio") for c in cols)]
    console.print(render_table([r for r in d["data"] if r["subset"] == "all"], figures, tr))
    console.print(tr.gettext(N_("scorer in use: %(kind)s"), kind=d["model_kind"]) + " "
                  + tr.gettext(N_("(model: the gradient-boosted model; baseline: logistic)")))
    if d.get("model_choice"):
        console.print(f"  {d['model_choice']['en']}\n  {d['model_choice']['zh']}", highlight=False)
    for w in d["warnings"]:
        console.print(f"[yellow]warning:[/] {w['en']}\n[yellow]警告：[/]{w['zh']}", highlight=False)
    _say_left_out(d["features_left_out"], tr)
    e = d["early"]
    lead = (tr.gettext(N_("%(days)s days"), days=f"{e['lead_time_days']:.0f}")
            if e.get("lead_time_days") is not None else "—")
    title = tr.gettext(N_("early warnings"))
    console.print(
        f"[bold]{title}[/]: "
        + tr.gettext(N_("%(n)s customers not yet overdue on the date, %(lost)s of them left within the horizon "
                        "(judged with the records through %(through)s); lead time %(lead)s (median days to "
                        "departure of the lost among the top 10%%)"),
                     n=tr.format_number(e["n_customers"]), lost=tr.format_number(e["n_lost"]),
                     through=e["judged_through"], lead=lead)
    )
    if e.get("note"):
        console.print(f"  [yellow]{e['note']}[/]")
    if e["n_customers"]:
        console.print(render_table([r for r in d["data"] if r["subset"] == "early"], figures, tr))
    console.print(render_table(d["model"]["calibration"], [("bin", N_("Bin"), "text"), ("n", "n", "count"),
                                                           ("predicted", N_("Predicted"), "pct"),
                                                           ("observed", N_("Observed"), "pct")],
                               tr, title=N_("calibration of the model (deciles)")))
    flagged = [{**r, "lost": bool(r["lost"])} for r in d["flagged"]]
    console.print(render_table(flagged, [("customer_id", N_("Customer"), "text"),
                                         ("probability", N_("Churn probability"), "pct"), ("lost", N_("Left?")),
                                         ("top_reason", N_("Top reason"), "text")],
                               tr, title=N_("riskiest customers flagged then")))


@handle_errors
def survival(
    by: Annotated[
        str, typer.Option("--by", help="segment, region, customer_type, relationship, csm or all.")
    ] = "segment",
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Retention curves (Kaplan–Meier) by group and the expected remaining customer lifetime.

    Example: churnguard survival --by customer_type
    """
    from churnguard.service import survival as svc

    opts = svc.SurvivalOptions(None if by == "all" else by)
    with open_ctx(workspace, as_of, lang) as ctx:
        result = svc.survival(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    console.print(tr.gettext(N_("retention by %(by)s as of %(date)s"), by=result["by"] or "all",
                             date=result["as_of"]), highlight=False)
    rows = [{**g, "median": None if g["median_lifetime_days"] is None
             else tr.gettext(N_("%(days)s d"), days=tr.format_number(g["median_lifetime_days"]))}
            for g in result["groups"]]
    cols = [("group", N_("Group"), "text"), ("customers", N_("Customers"), "count"), ("lost", N_("Lost"), "count"),
            ("retained_90d", "90d", "pct"), ("retained_180d", "180d", "pct"), ("retained_365d", "365d", "pct"),
            ("retained_730d", "730d", "pct"), ("median", N_("Median lifetime"), "text")]
    console.print(render_table(rows, cols, tr))
    e = result["expected_remaining_days"]
    console.print(tr.gettext(N_("active customers' expected remaining lifetime (restricted mean): mean %(mean)s d, "
                                "median %(median)s d"), mean=e["mean"], median=e["median"]), highlight=False)


model = typer.Typer(help="Churn model on your own labelled customer table (no workspace schema needed).", rich_markup_mode=None,
                    no_args_is_help=True)


@handle_errors
def train(
    table: Annotated[Path, typer.Option("--table", help="CSV, Excel or Parquet file, one row per customer.")],
    target: Annotated[str, typer.Option("--target", help="The churn column (yes/no, true/false, 1/0, 是/否).")],
    id_column: Annotated[str | None, typer.Option("--id", help="Customer id column (default: detected).")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")] = 5,
    positive: Annotated[str | None, typer.Option(
        "--positive", help="The target value that means churned, if not yes/no, 1/0, 是/否 … "
                           "(e.g. \"Attrited Customer\")")] = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    model_dir: ModelDirOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Train a churn model on your table; report 5-fold ROC AUC and PR AUC against a logistic baseline.

    Id-like columns (unique values, row numbers), names and free text are dropped, numeric
    text is read as numbers, blanks are kept as unknown, categories use LightGBM's
    categorical splits. The model is saved for 'churnguard model score'.

    Example: churnguard model train --table telco.csv --target Churn --id customerID
    """
    from churnguard.service import model as svc

    with err_console.status("training") as status:
        result = svc.train_table(
            svc.TrainTableOptions(table, target, model_dir or svc.default_model_dir(workspace),
                                  id_column, encoding, sheet, folds, positive=positive),
            step=lambda m: status.update(m),
        )
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang, workspace)
    ident = d["id_column"] or tr.gettext(N_("none found (model score numbers the rows)"))
    rows = tr.gettext(N_("%(n)s rows"), n=tr.format_number(d["n_rows"]))
    console.print(f"[bold]{rows}[/], " + tr.gettext(N_("churned %(rate)s; id column: %(id)s"),
                                                    rate=_pct(d["positive_rate"]), id=ident))
    t = RichTable(title=tr.gettext(N_("%(folds)s-fold cross-validation"), folds=d["folds"]), show_header=True)
    for c in ("", "ROC AUC", "PR AUC"):
        t.add_column(c, justify="right")
    for name in (N_("model"), N_("baseline")):
        t.add_row(tr.gettext(name), str(d[name]["roc_auc"]), str(d[name]["pr_auc"]))
    console.print(t)
    if d["baseline"]["roc_auc"] >= d["model"]["roc_auc"]:
        console.print("[yellow]" + tr.gettext(N_(
            "On this table the logistic baseline ranks customers as well as the model or better "
            "(ROC AUC %(baseline)s vs %(model)s): what drives churn here looks mostly additive, and the model "
            "has not earned its place."), baseline=d["baseline"]["roc_auc"], model=d["model"]["roc_auc"]) + "[/]")
    console.print(tr.gettext(N_("features: %(names)s"), names=", ".join(d["features"])))
    for col, why in d["dropped"].items():
        console.print("  " + tr.gettext(N_("dropped %(column)s: %(why)s"), column=col, why=why))
    console.print(tr.gettext(N_("model saved in %(path)s; next: %(command)s"), path=d["model_dir"],
                             command="churnguard model score --table FILE"))


@handle_errors
def score(
    table: Annotated[Path, typer.Option("--table", help="CSV, Excel or Parquet file with the same columns.")],
    output: Annotated[Path | None, typer.Option("--output", help="Also write the scores to this CSV file.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=10, help="Reasons per customer.")] = 3,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: the workspace's language).")] = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    model_dir: ModelDirOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Score a table with the model from 'churnguard model train': id, probability, top reasons.

    Example: churnguard model score --table new_customers.xlsx --output scores.csv
    """
    from churnguard.service import model as svc

    result = svc.score_table(svc.ScoreTableOptions(
        table, model_dir or svc.default_model_dir(workspace), lang or svc.folder_language(workspace),
        encoding, sheet, output, top))
    if json_out:
        print_json(result)
        return
    d = result.to_dict()
    tr = translator_of(lang or svc.folder_language(workspace), workspace)
    t = RichTable(show_header=True)
    for c in (N_("id"), N_("p(churn)"), N_("reasons")):
        t.add_column(tr.gettext(c))
    for r in sorted(d["data"], key=lambda r: -r["probability"])[:30]:
        t.add_row(str(r["id"]), _pct(r["probability"]), "; ".join(x["text"] for x in r["reasons"]))
    console.print(t)
    if d["output"]:
        console.print(tr.gettext(N_("%(n)s rows written to %(path)s"), n=tr.format_number(d["count"]),
                                 path=d["output"]))
    elif d["count"] > 30:
        console.print(tr.gettext(N_("… %(n)s more; use --output FILE or --json"), n=tr.format_number(d["count"] - 30)))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("run")(run)
    app.command("at-risk")(at_risk)
    app.command("backtest")(backtest)
    app.command("survival")(survival)
    app.add_typer(model, name="model")
    model.command("train")(train)
    model.command("score")(score)
