"""Commands that listen to customers: satisfaction surveys (sample, report), the complaint
register, and what defectors have in common."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from churnguard.present.cli.common import (
    N_,
    AsOfOpt,
    FromOpt,
    JsonOpt,
    LangOpt,
    ToOpt,
    WorkspaceOpt,
    console,
    err_console,
    handle_errors,
    open_ctx,
    parse_date_option,
    print_json,
    translator_of,
)

survey_app = typer.Typer(help="Satisfaction surveys (满意度调查): draw a sample to ask, report what the answers say.",
                         no_args_is_help=True, rich_markup_mode=None)


def _ci(ci: list | None, tr: Any) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return "—"
    return f"{tr.format_percent(ci[0])} – {tr.format_percent(ci[1])}"


@survey_app.command("sample")
@handle_errors
def sample(
    size: Annotated[int, typer.Option("--size", min=1, help="How many customers to ask.")],
    stratify: Annotated[str | None, typer.Option(
        "--stratify", help="segment, region or customer_type: each gets its proportional share.")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the draw: the same seed draws the same customers.")] = 0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the sample; record nothing.")] = False,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Draw a reproducible random sample of living customers to survey, and record the send.

    Customers sent a survey or answering one within survey.cooldown_days are left out.

    Example: churnguard survey sample --size 200 --stratify segment --seed 7
    """
    from churnguard.service import surveys as svc

    opts = svc.SurveySampleOptions(size, stratify, seed, dry_run)
    with open_ctx(workspace, as_of, lang) as ctx:
        result = svc.survey_sample(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    head = (tr.gettext(N_("survey sample %(id)s recorded: %(n)s customers as of %(date)s"), id=d["sample_id"],
                       n=tr.format_number(d["count"]), date=d["as_of"]) if d["recorded"]
            else tr.gettext(N_("dry run, nothing recorded: %(n)s customers as of %(date)s"),
                            n=tr.format_number(d["count"]), date=d["as_of"]))
    console.print(head, highlight=False)
    console.print(tr.gettext(N_("%(living)s living customers, %(cooled)s asked within %(days)s days left out, "
                                "%(eligible)s eligible; seed %(seed)s"),
                             living=tr.format_number(d["living"]), cooled=tr.format_number(d["cooled_down"]),
                             days=d["cooldown_days"], eligible=tr.format_number(d["eligible"]), seed=d["seed"]),
                  highlight=False)
    if d["strata"]:
        console.print(render_table(d["strata"], [("stratum", N_("Stratum"), "text"), ("eligible", N_("Eligible"), "count"),
                                                 ("drawn", N_("Drawn"), "count")], tr))
    console.print(render_table(d["data"], [("customer_id", N_("Customer"), "text"), ("name", N_("Name"), "text"),
                                           ("segment", N_("Segment"), "text"), ("csm", N_("CSM"), "text"),
                                           ("email", N_("E-mail"), "text"), ("phone", N_("Phone"), "text")], tr))


@survey_app.command("report")
@handle_errors
def report(
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Break the distribution down by segment, region, customer_type or csm.")] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """What the survey answers say: the five levels and NPS per quarter, churn by satisfaction level.

    The churn rate within survey.horizon_days after each customer's latest answer, by the level
    answered, with a 95% interval: do very satisfied (高度满意) customers stay while satisfied
    (一般满意) ones still leave? Customers whose latest answer is 1–2 are listed for a call.

    Example: churnguard survey report --by segment --json
    """
    from churnguard.service import surveys as svc

    opts = svc.SurveyReportOptions(parse_date_option(start, "--from"), parse_date_option(end, "--to"), by)
    with err_console.status("reading survey answers"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.survey_report(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    from churnguard.vocab import SATISFACTION

    levels = [(f"share_{k}", SATISFACTION[k].label(tr.language), "pct") for k in (5, 4, 3, 2, 1)]
    cols = [("period", N_("Quarter"), "text")] + ([(by, by, "text")] if by else []) + [
        ("answers", N_("Answers"), "count"), *levels, ("nps", N_("NPS"), "number")]
    console.print(render_table(d["data"], cols, tr, title=N_("Satisfaction by quarter")))
    o = d["overall"]
    console.print(tr.gettext(N_("all answers: %(n)s, NPS %(nps)s"), n=tr.format_number(o.get("answers", 0)),
                             nps="—" if o.get("nps") is None else tr.format_number(o["nps"], 1)), highlight=False)
    churn = [{**r, "ci_text": _ci(r["ci"], tr)} for r in d["churn_by_level"]]
    console.print(render_table(churn, [("label", N_("Latest answer"), "text"), ("customers", N_("Customers"), "count"),
                                       ("lost", N_("Lost"), "count"), ("churn_rate", N_("Churn rate"), "pct"),
                                       ("ci_text", N_("95% CI"), "text")], tr,
                               title=tr.gettext(N_("Churn within %(days)s days after the answer"),
                                                days=d["horizon_days"])))
    lo = d["churn_left_out"]
    console.print(tr.gettext(N_("left out: %(recent)s answers too recent to know the outcome, %(before)s already lost "
                                "when answering, %(none)s without purchases or contracts"),
                             recent=lo["too_recent"], before=lo["lost_before_answer"], none=lo["no_status"]),
                  highlight=False)
    console.print(render_table(d["call_list"], [("customer_id", N_("Customer"), "text"), ("name", N_("Name"), "text"),
                                                ("csm", N_("CSM"), "text"), ("answered_at", N_("Answered"), "text"),
                                                ("satisfaction", N_("Level"), "count"), ("comment", N_("Comment"), "text")],
                               tr, title=N_("Call them: latest answer 1 or 2"), limit=30))


@handle_errors
def complaints(
    open_only: Annotated[bool, typer.Option("--open", help="Only complaints not yet resolved.")] = False,
    start: FromOpt = None,
    end: ToOpt = None,
    horizon: Annotated[int | None, typer.Option(
        "--horizon", min=1, max=3650, help="Churn compared this many days after the window (default churn.horizon_days).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many complaints.")] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """The complaint register (投诉登记): resolution times, open ones ageing into risk, and what complaints do not show.

    Also: churn of complainers vs the other customers with a 95% interval, and two estimates
    from settings (rules of thumb, not measurements): the silent majority (complaining customers
    ÷ listen.complaint_share) and word of mouth (× listen.word_of_mouth).

    Example: churnguard complaints --open --json
    """
    from churnguard.service import complaints as svc

    opts = svc.ComplaintOptions(open_only, parse_date_option(start, "--from"), parse_date_option(end, "--to"), horizon)
    with err_console.status("reading complaints"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.complaints(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    s = d["summary"]
    console.print(tr.gettext(N_("%(n)s complaints, %(open)s open (%(ageing)s open %(days)s days or more), median "
                                "%(median)s days to resolve"),
                             n=tr.format_number(s["complaints"]), open=tr.format_number(s["open"]),
                             ageing=tr.format_number(s["ageing"]), days=d["ageing_days"],
                             median="—" if s["median_days_to_resolve"] is None
                             else tr.format_number(s["median_days_to_resolve"], 1)), highlight=False)
    cols = [("complaint_id", N_("Complaint"), "text"), ("customer_id", N_("Customer"), "text"), ("name", N_("Name"), "text"),
            ("opened_at", N_("Opened"), "text"), ("category", N_("Category"), "text"),
            ("severity", N_("Severity"), "text"), ("resolved_at", N_("Resolved"), "text"),
            ("days_to_resolve", N_("Days to resolve"), "count"), ("open_days", N_("Open for (days)"), "count"),
            ("ageing", N_("Ageing"))]
    from churnguard.present.web.labels import COMPLAINT_CATEGORIES, SEVERITIES

    def word(codes: dict[str, str], value: Any) -> Any:
        return tr.gettext(codes[value]) if value in codes else value

    rows = [{**r, "category": word(COMPLAINT_CATEGORIES, r["category"]), "severity": word(SEVERITIES, r["severity"])}
            for r in d["data"][:limit or 30]]
    console.print(render_table(rows, cols, tr))
    by_category = [{**r, "category": word(COMPLAINT_CATEGORIES, r["category"])} for r in d["by_category"]]
    console.print(render_table(by_category, [("category", N_("Category"), "text"),
                                                  ("complaints", N_("Complaints"), "count"),
                                                  ("open", N_("Open"), "count"),
                                                  ("median_days_to_resolve", N_("Median days to resolve"), "number")],
                               tr, title=N_("By category")))
    c = d["complainer_churn"]
    rows = [{"group": tr.gettext(N_("Complainers")), **c["complainers"]}, {"group": tr.gettext(N_("Others")), **c["others"]}]
    rows = [{**r, "ci_text": _ci(r["ci"], tr)} for r in rows]
    console.print(render_table(rows, [("group", N_("Group"), "text"),
                                      ("customers", N_("Customers"), "count"), ("lost", N_("Lost"), "count"),
                                      ("churn_rate", N_("Churn rate"), "pct"), ("ci_text", N_("95% CI"), "text")],
                               tr, title=tr.gettext(N_("Churn by %(date)s: complainers vs others"),
                                                    date=c["outcome_at"])))
    diff = c["difference"]
    if diff["value"] is not None:
        console.print(tr.gettext(N_("difference %(d)s points (95%% interval %(low)s to %(high)s)"),
                                 d=tr.format_number(100 * diff["value"], 1),
                                 low=tr.format_number(100 * diff["ci"][0], 1),
                                 high=tr.format_number(100 * diff["ci"][1], 1)), highlight=False)
    b = d["estimates_basis"]
    console.print(tr.gettext(N_("ESTIMATE from settings, not a measurement: about %(silent)s dissatisfied customers "
                                "(%(n)s complaining ÷ %(share)s who complain); word of mouth reaches about "
                                "%(wom)s people (× %(per)s each)"),
                             silent=tr.format_number(round(d["silent_majority_estimate"] or 0)),
                             n=tr.format_number(b["complaining_customers"]),
                             share=tr.format_percent(b["listen.complaint_share"]),
                             wom=tr.format_number(round(d["word_of_mouth_estimate"] or 0)),
                             per=tr.format_number(b["listen.word_of_mouth"])), style="yellow", highlight=False)


@handle_errors
def profile_defectors(
    start: FromOpt = None,
    end: ToOpt = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """What the period's defectors have in common, against the customers who stayed.

    Each attribute (segment, region, type, CSM) and behaviour (tenure, spend level and trend,
    contacts, complaints, satisfaction, price exposure) as of the period's start, with both
    groups' values, the difference and its 95% interval, largest differences first.

    Example: churnguard profile-defectors --from 2025-10-01 --to 2026-09-30
    """
    from churnguard.service import profile_defectors as svc

    opts = svc.ProfileDefectorsOptions(parse_date_option(start, "--from"), parse_date_option(end, "--to"))
    with err_console.status("comparing defectors with the customers who stayed"), \
            open_ctx(workspace, as_of, lang) as ctx:
        result = svc.profile_defectors(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    g = d["groups"]
    console.print(tr.gettext(N_("%(from)s to %(to)s: %(d)s defectors (%(c)s complete, %(p)s partial) vs %(s)s who "
                                "stayed, measured at %(from)s"),
                             **{"from": d["from"]}, to=d["to"], d=tr.format_number(g["defectors"]),
                             c=tr.format_number(g["complete"]), p=tr.format_number(g["partial"]),
                             s=tr.format_number(g["stayed"])), highlight=False)
    from churnguard.compute.learn.profile_defectors import ATTRIBUTE_LABELS
    from churnguard.present.web.labels import GROUP_VALUES

    def num(x: Any, share: bool) -> str:
        if x is None:
            return "—"
        return tr.format_percent(x) if share else tr.format_number(x, 2)

    rows = []
    for r in d["data"]:
        share = r["value"] is not None
        rows.append({"attribute": tr.gettext(ATTRIBUTE_LABELS.get(r["attribute"], r["attribute"])),
                     "value": tr.gettext(GROUP_VALUES[r["attribute"]][r["value"]])
                     if r["value"] in GROUP_VALUES.get(r["attribute"], {}) else r["value"],
                     "defectors": num(r["defectors"], share), "stayed": num(r["stayed"], share),
                     "difference": num(r["difference"], share),
                     "ci": "—" if r["ci"][0] is None else f"{num(r['ci'][0], share)} – {num(r['ci'][1], share)}",
                     "standardised": r["standardised"]})
    console.print(render_table(rows, [("attribute", N_("Attribute"), "text"), ("value", N_("Value"), "text"),
                                      ("defectors", N_("Defectors"), "text"), ("stayed", N_("Stayed"), "text"),
                                      ("difference", N_("Difference"), "text"), ("ci", N_("95% CI"), "text"),
                                      ("standardised", N_("Standardised"), "number")], tr))
    if d["left_out"]:
        console.print(tr.gettext(N_("not measured (no records): %(what)s"),
                                 what=", ".join(f"{tr.gettext(ATTRIBUTE_LABELS.get(x['attribute'], x['attribute']))} "
                                                f"({x['needs']})" for x in d["left_out"])), highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(survey_app, name="survey")
    app.command("complaints")(complaints)
    app.command("profile-defectors")(profile_defectors)
