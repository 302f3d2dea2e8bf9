"""Defector investigations under ``/api``: the JSON of ``churnguard investigate list | review |
interviews | start | record | action add --json``. Anyone signed in reads; managers and admins
start investigations and add actions; a CSM records interviews of their own customers only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from churnguard.bounds import EARLIEST_DATE, LATEST_DATE
from churnguard.present.api.common import AUTH_ERRORS, errors, json_result
from churnguard.present.server.deps import AnyUser, ContextDep, ManagerUser
from churnguard.present.server.errors import Forbidden
from churnguard.service import investigations as svc
from churnguard.service.audit import acting_as

router = APIRouter(tags=["investigations"])
ERRORS = {**AUTH_ERRORS, **errors(404, 409, 422)}

InvestigationId = Annotated[str, Path(min_length=1, max_length=40, description="The investigation's id, e.g. 2026-Q3.")]
CustomerId = Annotated[str, Path(min_length=1, max_length=200)]
Day = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]


class StartBody(BaseModel):
    """What ``POST /api/investigations`` takes."""

    model_config = ConfigDict(extra="forbid")
    period: str = Field(min_length=4, max_length=10, description="2026-Q3, 2026-07 or 2026.")
    partial_sample: float | None = Field(None, ge=0, le=1, description="Share of partial defectors drawn "
                                                                      "(default: investigate.partial_sample).")
    seed: int = Field(0, ge=0, le=2**62, description="Seed of the draw.")
    as_of: Day | None = Field(None, description="Date of knowledge (default: the last date in the data).")


class RecordBody(BaseModel):
    """What ``POST /api/investigations/{id}/interviews/{customer_id}`` takes."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=50, description="A churn reason's key or Chinese label.")
    secondary: str | None = Field(None, max_length=50, description="A second reason.")
    competitor: str | None = Field(None, max_length=200)
    recoverable: bool | None = None
    notes: str | None = Field(None, max_length=2000)
    attempts: int | None = Field(None, ge=0, le=1000)
    on: Day | None = Field(None, description="Day of the interview (default: the as-of date).")


class ActionBody(BaseModel):
    """What ``POST /api/investigations/{id}/actions`` takes."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=50, description="The churn reason the action answers.")
    action: str = Field(min_length=1, max_length=2000, description="What is changed.")
    owner: str = Field(min_length=1, max_length=200)
    due: Day
    starts: Day | None = Field(None, description="From when the change applies (default: the due date).")


@router.get("/investigations", name="api_investigations", responses=ERRORS)
def get_investigations(
    user: AnyUser,
    ctx: ContextDep,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open or closed; default both.")] = None,
) -> Response:
    """Investigations, newest first: `{"data": [{investigation_id, period, status, interviews, done, share_done,
    review_due, due_milestone, next_milestone, next_needed, actions, …}], "count"}`, as
    `churnguard investigate list --json`."""
    return json_result(svc.list_investigations(ctx, status))


@router.post("/investigations", name="api_investigation_start", responses=ERRORS, status_code=201)
def post_investigation(user: ManagerUser, ctx: ContextDep, body: StartBody) -> Response:
    """Open an investigation of a period (managers and admins): the JSON of `churnguard investigate start
    --json`."""
    with acting_as(f"api:{user.user_id}"):
        result = svc.start(ctx.with_as_of(body.as_of), svc.StartOptions(body.period, body.partial_sample, body.seed))
    return json_result(result, status_code=201)


@router.get("/investigations/{investigation_id}", name="api_investigation", responses=ERRORS)
def get_investigation(
    user: AnyUser,
    ctx: ContextDep,
    investigation_id: InvestigationId,
    as_of: Annotated[date | None, Query(ge=EARLIEST_DATE, le=LATEST_DATE, description=(
        "Date of knowledge of the actions' churn before and after (default: the last date in the data)."))] = None,
) -> Response:
    """The review of an investigation: `{"investigation", "timing", "reviews", "data": [reason table],
    "count", "controllable", "stated_vs_reviewed", "interviews", "actions"}`, as `churnguard investigate
    review ID --json`."""
    return json_result(svc.review(ctx.with_as_of(as_of), investigation_id))


@router.get("/investigations/{investigation_id}/interviews", name="api_investigation_interviews", responses=ERRORS)
def get_interviews(
    user: AnyUser,
    ctx: ContextDep,
    investigation_id: InvestigationId,
    interviewer: Annotated[str | None, Query(max_length=200, description="Only this interviewer's.")] = None,
    pending: Annotated[bool, Query(description="Only those not yet recorded.")] = False,
) -> Response:
    """An investigation's interviews in order: `{"data": [{customer_id, name, position, kind, lost_value,
    interviewer, status, reason, …}], "count"}`, as `churnguard investigate interviews ID --json`."""
    return json_result(svc.interviews(ctx, svc.InterviewOptions(investigation_id, interviewer, pending)))


@router.post("/investigations/{investigation_id}/interviews/{customer_id}", name="api_interview_record",
             responses=ERRORS)
def post_interview(user: AnyUser, ctx: ContextDep, investigation_id: InvestigationId, customer_id: CustomerId,
                   body: RecordBody) -> Response:
    """Record an interview: the JSON of `churnguard investigate record CUSTOMER --investigation ID --json`
    (`replaced` says whether an earlier record was replaced). A CSM records only their own customers (403)."""
    opts = svc.RecordOptions(customer_id, body.reason, investigation_id, body.secondary, body.competitor,
                             body.recoverable, body.notes, body.attempts, body.on)
    interview = svc.find_interview(ctx, customer_id, investigation_id)
    if not svc.may_record(user.role, user.csm_name, interview):
        raise Forbidden(role=user.role, roles="admin, manager")
    return json_result(svc.record(ctx, opts))


@router.post("/investigations/{investigation_id}/actions", name="api_action_add", responses=ERRORS, status_code=201)
def post_action(user: ManagerUser, ctx: ContextDep, investigation_id: InvestigationId, body: ActionBody) -> Response:
    """Add an improvement action (managers and admins): the JSON of `churnguard investigate action add --json`."""
    opts = svc.ActionOptions(investigation_id, body.reason, body.action, body.owner, body.due, body.starts)
    return json_result(svc.add_action(ctx, opts), status_code=201)
