"""Reasons suggested from free text under ``/api/reasons/suggestions``: the JSON of ``churnguard
suggest-reasons [--save] --json``. Reading is for every role (a CSM's token sees their own
defectors unless it asks for ``scope=all``); saving is for managers and admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE
from churnguard.present.api.common import AUTH_ERRORS, errors, json_result
from churnguard.present.server.deps import AnyUser, ContextDep, ManagerUser, ScopeDep
from churnguard.service import reason_suggestions as svc

router = APIRouter(tags=["reasons"])
ERRORS = {**AUTH_ERRORS, **errors(409, 422)}

AsOfQ = Annotated[date | None, Query(description="Date of knowledge: nothing dated later is read (default: the last "
                                     "date in the data).", ge=EARLIEST_DATE, le=LATEST_DATE)]
LimitQ = Annotated[int | None, Query(ge=1, le=100_000, description="List at most this many (saving stores them all).")]
LangQ = Annotated[Literal["zh", "en"] | None, Query(description="Reason labels in this language.")]


@router.get("/reasons/suggestions", name="api_reason_suggestions", responses=ERRORS)
def get_suggestions(
    user: AnyUser,
    ctx: ContextDep,
    scope: ScopeDep,
    as_of: AsOfQ = None,
    limit: LimitQ = None,
    lang: LangQ = None,
) -> Response:
    """Reasons suggested from complaint texts, survey comments and notes for the defectors without a
    recorded reason, nothing stored: `{"as_of", "data": [{customer_id, name, kind, reason, reason_label,
    controllable, confidence, source, text, text_at, texts, csm}], "count", "trained_on": {texts, reasons},
    "suggested", "abstained", "min_confidence", "candidates", "with_text", "saved": null, "message", "method"}`, as
    `churnguard suggest-reasons --json`."""
    opts = svc.SuggestOptions(save=False, limit=limit, csm=scope.csm, language=lang)
    return json_result(svc.suggest_reasons(ctx.with_as_of(as_of), opts))


@router.post("/reasons/suggestions", name="api_save_reason_suggestions", responses=ERRORS)
def post_suggestions(
    user: ManagerUser,
    ctx: ContextDep,
    as_of: AsOfQ = None,
    limit: LimitQ = None,
    lang: LangQ = None,
) -> Response:
    """Suggest and store (managers and admins): every suggestion becomes a churn reason with `source =
    inferred` and its `confidence`, recorded at the date; never over a recorded reason, and saving the same
    date again adds nothing (`saved` says how many rows were new). The JSON of `churnguard suggest-reasons
    --save --json`."""
    opts = svc.SuggestOptions(save=True, limit=limit, language=lang)
    return json_result(svc.suggest_reasons(ctx.with_as_of(as_of), opts))
