"""Listening under ``/api``: the survey report and a survey sample, the complaint register and
what defectors have in common — the JSON of ``churnguard survey report | survey sample |
complaints | profile-defectors --json``, computed for the request."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE
from churnguard.present.api.common import AUTH_ERRORS, errors, json_result
from churnguard.present.server.deps import AnyUser, ContextDep, ManagerUser
from churnguard.service import complaints as complaints_svc
from churnguard.service import profile_defectors as profile_svc
from churnguard.service import surveys as surveys_svc

router = APIRouter(tags=["listen"])
ERRORS = {**AUTH_ERRORS, **errors(409, 422)}
DATE_RANGE = {"ge": EARLIEST_DATE, "le": LATEST_DATE}
FromQ = Annotated[date | None, Query(alias="from", description="First day of the window.", **DATE_RANGE)]
ToQ = Annotated[date | None, Query(description="Last day of the window (default: the as-of date).", **DATE_RANGE)]
AsOfQ = Annotated[date | None, Query(description="Date of knowledge: nothing dated later is read (default: the last "
                                     "date in the data).", **DATE_RANGE)]


@router.get("/surveys/report", name="api_survey_report", responses=ERRORS)
def get_survey_report(
    user: AnyUser,
    ctx: ContextDep,
    start: FromQ = None,
    to: ToQ = None,
    by: Annotated[Literal["segment", "region", "customer_type", "csm"] | None,
                  Query(description="Break the distribution down by this customer column.")] = None,
    as_of: AsOfQ = None,
) -> JSONResponse:
    """The five satisfaction levels and NPS per quarter, churn by level with Wilson intervals, and
    the customers to call: `{"data": [{period, answers, level_5 … level_1, share_5 … share_1, nps, …}],
    "count", "overall", "churn_by_level": [{level, label, customers, lost, churn_rate, ci}],
    "churn_left_out", "horizon_days", "call_list"}`, as `churnguard survey report --json`."""
    return json_result(surveys_svc.survey_report(ctx.with_as_of(as_of),
                                                 surveys_svc.SurveyReportOptions(start, to, by)))


class SampleRequest(BaseModel):
    """What to draw: ``size`` customers, stratified by a customer column, with ``seed``."""

    size: int = Field(ge=1, le=1_000_000, description="How many customers to ask.")
    stratify: Literal["segment", "region", "customer_type"] | None = Field(
        None, description="Give each value of this column its proportional share.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="The same seed draws the same customers.")
    dry_run: bool = Field(False, description="Only show the sample; record nothing.")
    as_of: date | None = Field(None, ge=EARLIEST_DATE, le=LATEST_DATE,
                               description="Date of knowledge (default: the last date in the data).")


@router.post("/surveys/sample", name="api_survey_sample", responses=ERRORS)
def post_survey_sample(user: ManagerUser, ctx: ContextDep, body: SampleRequest) -> JSONResponse:
    """Draw a reproducible random sample of living customers to survey and record the send
    (managers and admins): `{"data": [{customer_id, name, segment, region, customer_type, csm, email,
    phone, stratum}], "count", "sample_id", "recorded", "strata", "living", "cooled_down", "eligible"}`,
    as `churnguard survey sample --json`."""
    opts = surveys_svc.SurveySampleOptions(body.size, body.stratify, body.seed, body.dry_run)
    return json_result(surveys_svc.survey_sample(ctx.with_as_of(body.as_of), opts))


@router.get("/complaints", name="api_complaints", responses=ERRORS)
def get_complaints(
    user: AnyUser,
    ctx: ContextDep,
    open: Annotated[bool, Query(description="Only complaints not yet resolved.")] = False,  # noqa: A002 - the CLI's word
    start: FromQ = None,
    to: ToQ = None,
    horizon: Annotated[int | None, Query(ge=1, le=3650, description="Churn compared this many days after the "
                                                                    "window (default churn.horizon_days).")] = None,
    as_of: AsOfQ = None,
) -> JSONResponse:
    """The complaint register with resolution times and ageing open complaints, churn of
    complainers vs the others, and the silent-majority and word-of-mouth estimates (from settings,
    labelled in `estimates_basis` and `estimates_note`), as `churnguard complaints --json`."""
    opts = complaints_svc.ComplaintOptions(open, start, to, horizon)
    return json_result(complaints_svc.complaints(ctx.with_as_of(as_of), opts))


@router.get("/defectors/profile", name="api_defectors_profile", responses=ERRORS)
def get_defectors_profile(
    user: AnyUser,
    ctx: ContextDep,
    start: FromQ = None,
    to: ToQ = None,
    as_of: AsOfQ = None,
) -> JSONResponse:
    """What the period's defectors have in common against the customers who stayed, measured at
    the period's start: `{"data": [{attribute, value, defectors, stayed, difference, ci, standardised}],
    "count", "groups", "from", "to"}`, as `churnguard profile-defectors --json`."""
    opts = profile_svc.ProfileDefectorsOptions(start, to)
    return json_result(profile_svc.profile_defectors(ctx.with_as_of(as_of), opts))
