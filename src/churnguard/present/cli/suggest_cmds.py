"""``churnguard suggest-reasons``: reasons suggested from free text for defectors without one."""

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
    print_json,
    translator_of,
)

#: where a text came from, as people read it
SOURCE_LABELS = {"complaint": N_("complaint"), "survey": N_("survey comment"), "notes": N_("notes")}


@handle_errors
def suggest_reasons(
    as_of: AsOfOpt = None,
    save: Annotated[bool, typer.Option("--save", help="Store the suggestions as churn reasons with source "
                                                      "'inferred' (never over a recorded reason; saving the "
                                                      "same date twice adds nothing).")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="List at most this many (--save stores "
                                                                     "them all).")] = None,
    workspace: WorkspaceOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Suggest why defectors left, from their complaints, survey comments and notes (流失原因建议).

    A character n-gram classifier learns from the reasons recorded in this workspace with
    their interview notes (Chinese and English alike), then reads the texts of every complete
    and partial defector without a recorded reason, as of the date. Below
    reasons.min_confidence it abstains. Nothing is stored without --save.

    Example: churnguard suggest-reasons --as-of 2026-09-30 --save --json
    """
    from churnguard.service import reason_suggestions as svc

    opts = svc.SuggestOptions(save=save, limit=limit, language=lang)
    with err_console.status("learning reasons from text"), open_ctx(workspace, as_of, lang) as ctx:
        result = svc.suggest_reasons(ctx, opts)
    if json_out:
        print_json(result)
        return
    from churnguard.present.cli.render import render_table

    tr = translator_of(lang, workspace)
    d = result.to_dict()
    if d["message"]:
        err_console.print(d["message"], style="yellow", highlight=False, markup=False)
    console.print(tr.gettext(N_("reasons suggested from text as of %(date)s (%(source)s): %(n)s of %(with_text)s "
                                "defectors with text (%(candidates)s without a recorded reason); %(abstained)s "
                                "abstained below confidence %(min)s"),
                             date=d["as_of"], source=d["as_of_source"], n=tr.format_number(d["suggested"]),
                             with_text=tr.format_number(d["with_text"]),
                             candidates=tr.format_number(d["candidates"]),
                             abstained=tr.format_number(d["abstained"]), min=d["min_confidence"]), highlight=False)
    console.print(tr.gettext(N_("learned from %(n)s recorded reasons with notes (%(reasons)s)"),
                             n=tr.format_number(d["trained_on"]["texts"]),
                             reasons=", ".join(d["trained_on"]["reasons"]) or "—"), highlight=False)
    from churnguard.vocab import CHURN_KINDS

    rows = [{**r, "kind": CHURN_KINDS[r["kind"]].label(tr.language) if r["kind"] in CHURN_KINDS else r["kind"],
             "source": tr.gettext(SOURCE_LABELS.get(r["source"], r["source"]))} for r in d["data"]]
    cols = [("customer_id", N_("Customer"), "text"), ("kind", N_("Kind"), "text"),
            ("reason_label", N_("Suggested reason"), "text"), ("confidence", N_("Confidence"), "pct"),
            ("source", N_("From"), "text"), ("text", N_("Text"), "text")]
    console.print(render_table(rows, cols, tr, limit=limit or 50))
    if d["saved"] is not None:
        console.print(tr.gettext(N_("saved %(n)s new inferred reasons (source 'inferred')"),
                                 n=tr.format_number(d["saved"])), highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("suggest-reasons")(suggest_reasons)
