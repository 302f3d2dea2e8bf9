"""Use cases of defector investigations (跳槽客户调查): open one for a period, list them, record
interviews, review the findings, add improvement actions and see churn before and after each.

An investigation of a period interviews every complete defector lost in it and a seeded random
sample of its partial defectors (found as of the period's end, never after the as-of date),
largest lost value first, assigned to interviewers as a worklist is (the customer's CSM, else
round robin within ``act.capacity``). A recorded interview becomes a churn-reason record
(``source = interview``). Reviews fall due when ``investigate.first_review_at`` and
``investigate.second_review_at`` of the interviews are done.

Examples
--------
>>> with open_context("demo") as ctx:  # doctest: +SKIP
...     r = start(ctx, StartOptions("2026-Q3", seed=1))
...     record(ctx, RecordOptions("C0000035", "价格", r.investigation_id, competitor="优选商城"))
...     review(ctx, r.investigation_id).to_dict()["timing"]["next_needed"]
5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from churnguard.act.assign import assign, people_of
from churnguard.act.investigation import (
    Period,
    last_full_quarter,
    parse_period,
    reason_table,
    review_timing,
    select,
    stated_vs_reviewed,
)
from churnguard.compute.detect.lost_value import lost_value
from churnguard.errors import InputError, NotFoundError, OptionError
from churnguard.service import audit
from churnguard.service.actor import current_actor
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.store import investigations as repo
from churnguard.vocab import CHURN_REASON_ALIASES, CHURN_REASONS

OPEN, CLOSED = "open", "closed"
PENDING, DONE = "pending", "done"
#: the length of the windows before and after an action's start that churn is compared over
ACTION_WINDOW = "1q"


# -- shared checks --------------------------------------------------------------------------
def reason_of(text: str | None, field_name: str = "reason", *, required: bool = True) -> str | None:
    """A churn reason's key from its key, English label or Chinese label (``价格`` → ``price``)."""
    if text is None or not str(text).strip():
        if required:
            raise OptionError(field_name, "give a churn reason; choose one of: " + _choices())
        return None
    s = str(text).strip()
    if s.lower() in CHURN_REASONS:
        return s.lower()
    if s in CHURN_REASON_ALIASES:
        return CHURN_REASON_ALIASES[s]
    for key, term in CHURN_REASONS.items():
        if s.lower() == term.en.lower():
            return key
    if s.lower() in CHURN_REASON_ALIASES:
        return CHURN_REASON_ALIASES[s.lower()]
    raise OptionError(field_name, f"{s!r} is not a churn reason; choose one of: {_choices()}")


def reason_choices(language: str) -> list[tuple[str, str]]:
    """``[(key, label)]`` of every churn reason, labels in ``language`` (a form's choices)."""
    return [(k, t.label(language)) for k, t in CHURN_REASONS.items()]


def _choices() -> str:
    return ", ".join(f"{k} ({t.zh})" for k, t in CHURN_REASONS.items())


def _recoverable(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("yes", "y", "true", "1", "是", "能", "可以"):
        return True
    if s in ("no", "n", "false", "0", "否", "不能", "不可以"):
        return False
    if s == "":
        return None
    raise OptionError("recoverable", f"{value!r}: write yes or no")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _text(value: Any, field_name: str, limit: int = 2000) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    if len(s) > limit:
        raise OptionError(field_name, f"at most {limit} characters (got {len(s)})")
    return s or None


def _investigation(ctx: Context, investigation_id: str) -> dict[str, Any]:
    rows = repo.investigation_rows(ctx.store, investigation_id)
    if rows.empty:
        known = repo.investigation_rows(ctx.store)["investigation_id"].tolist()
        hint = f"; investigations: {', '.join(known[:20])}" if known else "; start one with 'churnguard investigate start'"
        raise NotFoundError(f"no investigation {investigation_id!r}{hint}")
    return rows.iloc[0].to_dict()


def _day(value: Any) -> date | None:
    if value is None or (not isinstance(value, (date, datetime, str)) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


# -- start ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartOptions:
    """``churnguard investigate start``: the period (``2026-Q3``, ``2026-07``, ``2026``), the share
    of partial defectors drawn (default ``investigate.partial_sample``) and the seed of the draw."""

    period: str
    partial_sample: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        parse_period(self.period)
        if self.partial_sample is not None and not 0 <= self.partial_sample <= 1:
            raise OptionError("partial_sample", f"must be a share from 0 to 1 (got {self.partial_sample})")
        if not 0 <= self.seed < 2**63:
            raise OptionError("seed", f"must be a whole number from 0 (got {self.seed})")


@dataclass
class StartResult:
    """A new investigation: its id and interviews, and who got how many."""

    investigation_id: str
    period: Period
    as_of: date
    frame: pd.DataFrame
    complete: int
    partial_found: int
    partial_sampled: int
    partial_sample: float
    seed: int
    counts: dict[str, int]
    unassigned: int
    capacity: int

    def to_dict(self) -> dict[str, Any]:
        """``{"investigation_id", "period", "period_start", "period_end", "as_of", "data": [interviews],
        "count", "complete", "partial_defectors", "partial_sampled", "partial_sample", "seed",
        "interviewers": {name: n}, "unassigned", "capacity"}``."""
        rows = rows_of(self.frame)
        return {"investigation_id": self.investigation_id, "period": self.period.label,
                "period_start": self.period.start.isoformat(), "period_end": self.period.end.isoformat(),
                "as_of": self.as_of.isoformat(), "data": rows, "count": len(rows), "complete": self.complete,
                "partial_defectors": self.partial_found, "partial_sampled": self.partial_sampled,
                "partial_sample": self.partial_sample, "seed": self.seed, "interviewers": self.counts,
                "unassigned": self.unassigned, "capacity": self.capacity}


def interviewers(ctx: Context) -> list[str]:
    """Who may be given interviews: every CSM named on a customer and every user with role csm
    (by their CSM name), sorted."""
    from churnguard.store.users import user_rows

    t = ctx.store.table("customers")
    csms = t.select("csm").distinct().to_pandas()["csm"].tolist()
    users = [r[2] for r in user_rows(ctx.store) if r[1] == "csm" and r[5] is None]
    return people_of(csms, users)


def candidates(ctx: Context, period: Period) -> tuple[pd.DataFrame, date]:
    """The period's defectors with their lost value (``customer_id, kind, lost_at, csm, lost_value``),
    found as of the period's end or the as-of date when that is earlier; and that date."""
    from churnguard.service.detect import DefectorOptions, defectors

    if period.start > ctx.as_of:
        raise InputError(f"--period {period.label} starts after the as-of date {ctx.as_of}: "
                         "it has no defectors yet")
    when = min(period.end, ctx.as_of)
    found = defectors(ctx.with_as_of(when), DefectorOptions()).frame
    cols = ["customer_id", "kind", "lost_at", "csm", "segment"]
    frame = found[[c for c in cols if c in found.columns]].copy()
    frame["lost_value"] = lost_value(ctx.records(), frame, when).to_numpy()
    return frame, when


def start(ctx: Context, opts: StartOptions) -> StartResult:
    """Open an investigation of ``opts.period`` (see the module's description)."""
    period = parse_period(opts.period)
    share = ctx.settings.investigate.partial_sample if opts.partial_sample is None else opts.partial_sample
    frame, when = candidates(ctx, period)
    chosen = select(frame, period, share, opts.seed)
    if chosen.empty:
        raise InputError(f"--period {period.label}: no defector to interview (no complete defector lost in it and no "
                         f"partial defector drawn, as of {when}); nothing was opened")
    capacity = ctx.settings.act.capacity
    who = assign(chosen, interviewers(ctx), capacity)
    interviews = pd.DataFrame({
        "customer_id": chosen["customer_id"], "position": chosen["position"], "kind": chosen["kind"],
        "lost_value": chosen["lost_value"].round(2), "interviewer": who.interviewer, "status": PENDING,
    })
    new_id = repo.insert_investigation(ctx.store, period.label, {
        "period": period.label, "period_start": period.start, "period_end": period.end, "as_of": when,
        "partial_sample": float(share), "seed": int(opts.seed), "status": OPEN, "created_at": _now(),
        "created_by": current_actor(),
    }, interviews)
    audit.record(ctx.workspace, "investigation_started", new_id,
                 {"period": period.label, "interviews": len(interviews), "partial_sample": float(share),
                  "seed": int(opts.seed)})
    partial_found = int((frame["kind"] == "partial").sum())
    shown = interviews.assign(csm=chosen["csm"].to_numpy() if "csm" in chosen else None)
    return StartResult(new_id, period, when, shown, int((chosen["kind"] == "complete").sum()), partial_found,
                       int((chosen["kind"] == "partial").sum()), float(share), int(opts.seed), who.counts,
                       who.unassigned, capacity)


# -- list -----------------------------------------------------------------------------------
def _timing(ctx: Context, interviews: pd.DataFrame, reviews: pd.DataFrame):
    s = ctx.settings.investigate
    return review_timing(len(interviews), int((interviews["status"] == DONE).sum()),
                         (s.first_review_at, s.second_review_at), reviews["milestone"].dropna().astype(float).tolist())


@dataclass
class ListResult:
    """Investigations, newest first."""

    frame: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [{investigation_id, period, status, as_of, interviews, done, share_done, review_due,
        due_milestone, next_milestone, next_needed, actions, actions_done, created_at, created_by}], "count"}``."""
        rows = rows_of(self.frame, days=False)
        return {"data": rows, "count": len(rows)}


def list_investigations(ctx: Context, status: str | None = None) -> ListResult:
    """Every investigation (or those of one ``status``) with its progress and the next review."""
    if status is not None and status not in (OPEN, CLOSED):
        raise OptionError("status", f"{status!r}: choose open or closed")
    invs = repo.investigation_rows(ctx.store)
    rows = []
    for inv in invs.to_dict(orient="records"):
        if status is not None and inv["status"] != status:
            continue
        iv = repo.interview_rows(ctx.store, inv["investigation_id"])
        timing = _timing(ctx, iv, repo.review_rows(ctx.store, inv["investigation_id"]))
        acts = repo.action_rows(ctx.store, inv["investigation_id"])
        t = timing.to_dict()
        rows.append({
            "investigation_id": inv["investigation_id"], "period": inv["period"], "status": inv["status"],
            "as_of": _day(inv["as_of"]), "interviews": timing.interviews, "done": timing.done,
            "share_done": timing.share_done, "review_due": t["review_due"], "due_milestone": t["due_milestone"],
            "next_milestone": t["next_milestone"], "next_needed": t["next_needed"], "actions": len(acts),
            "actions_done": int(acts["done_at"].notna().sum()), "created_at": inv["created_at"],
            "created_by": inv["created_by"],
        })
    cols = ["investigation_id", "period", "status", "as_of", "interviews", "done", "share_done", "review_due",
            "due_milestone", "next_milestone", "next_needed", "actions", "actions_done", "created_at", "created_by"]
    return ListResult(pd.DataFrame(rows, columns=cols))


# -- interviews -----------------------------------------------------------------------------
@dataclass(frozen=True)
class InterviewOptions:
    """``churnguard investigate interviews ID``: one interviewer's, or the pending ones only."""

    investigation_id: str
    interviewer: str | None = None
    pending: bool = False


def _with_names(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    from churnguard.service.customer import names_in

    names = names_in(ctx.store, frame["customer_id"].tolist())
    out = frame.copy()
    out.insert(out.columns.get_loc("customer_id") + 1, "name", [names.get(str(c)) for c in out["customer_id"]])
    return out


def interviews(ctx: Context, opts: InterviewOptions) -> ListResult:
    """An investigation's interviews in order (largest lost value first), with the customer's name."""
    _investigation(ctx, opts.investigation_id)
    iv = repo.interview_rows(ctx.store, opts.investigation_id, interviewer=opts.interviewer,
                             status=PENDING if opts.pending else None)
    iv = iv.drop(columns=["investigation_id"])
    return ListResult(_with_names(ctx, iv))


def interview_of(ctx: Context, customer_id: str, investigation_id: str | None = None) -> dict[str, Any] | None:
    """The customer's interview in ``investigation_id``, or (without one) in the newest open
    investigation holding it; None when there is none. The dict has the interview's columns and
    ``period``, ``investigation_status`` and the customer's ``csm``."""
    iv = repo.interview_rows(ctx.store, investigation_id, customer_id=customer_id)
    if iv.empty:
        return None
    invs = repo.investigation_rows(ctx.store)
    if investigation_id is None:
        open_ids = invs.loc[invs["status"] == OPEN, "investigation_id"].tolist()  # newest first
        for inv in open_ids:
            hit = iv[iv["investigation_id"] == inv]
            if len(hit):
                return _interview_dict(ctx, hit.iloc[0].to_dict(), invs)
        return None
    return _interview_dict(ctx, iv.iloc[0].to_dict(), invs)


def _interview_dict(ctx: Context, row: dict[str, Any], invs: pd.DataFrame) -> dict[str, Any]:
    inv = invs[invs["investigation_id"] == row["investigation_id"]].iloc[0]
    t = ctx.store.table("customers")
    csm = t.filter(t.customer_id == row["customer_id"]).select("csm").to_pandas()["csm"]
    out = rows_of(pd.DataFrame([row]))[0]
    out.update({"period": inv["period"], "investigation_status": inv["status"],
                "csm": csm.iloc[0] if len(csm) and isinstance(csm.iloc[0], str) else None})
    return out


# -- record ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordOptions:
    """``churnguard investigate record CUSTOMER``: what the interview found.

    ``reason`` and ``secondary`` take a reason's key or its Chinese label; ``recoverable`` yes or
    no; ``on`` is the day of the interview (default: the as-of date, so nothing is dated after
    the data); ``investigation_id`` defaults to the newest open investigation holding the customer.
    """

    customer_id: str
    reason: str | None = None
    investigation_id: str | None = None
    secondary: str | None = None
    competitor: str | None = None
    recoverable: bool | str | None = None
    notes: str | None = None
    attempts: int | None = None
    on: date | None = None

    def __post_init__(self) -> None:
        if not str(self.customer_id or "").strip():
            raise OptionError("customer_id", "give the customer's id")
        object.__setattr__(self, "reason", reason_of(self.reason, "reason"))
        object.__setattr__(self, "secondary", reason_of(self.secondary, "secondary", required=False))
        object.__setattr__(self, "recoverable", _recoverable(self.recoverable))
        object.__setattr__(self, "competitor", _text(self.competitor, "competitor", 200))
        object.__setattr__(self, "notes", _text(self.notes, "notes"))
        if self.attempts is not None and not 0 <= self.attempts <= 1000:
            raise OptionError("attempts", f"must be from 0 to 1000 (got {self.attempts})")


@dataclass
class RecordResult:
    """The recorded interview (its row after the write) and whether it replaced an earlier record."""

    interview: dict[str, Any]
    replaced: bool

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [interview], "count": 1, "investigation_id", "customer_id", "replaced"}``."""
        return {"data": [self.interview], "count": 1, "investigation_id": self.interview["investigation_id"],
                "customer_id": self.interview["customer_id"], "replaced": self.replaced}


def find_interview(ctx: Context, customer_id: str, investigation_id: str | None) -> dict[str, Any]:
    """The interview a record is for, with a clear error when there is none (or it is closed)."""
    if investigation_id is not None:
        inv = _investigation(ctx, investigation_id)
        found = interview_of(ctx, customer_id, investigation_id)
        if found is None:
            raise NotFoundError(f"customer {customer_id!r} is not among the interviews of investigation "
                                f"{investigation_id!r}; see 'churnguard investigate interviews {investigation_id}'")
        if inv["status"] != OPEN:
            raise InputError(f"investigation {investigation_id!r} is closed: its interviews can no longer be recorded")
        return found
    found = interview_of(ctx, customer_id)
    if found is None:
        raise NotFoundError(f"customer {customer_id!r} is in no open investigation; give --investigation ID, "
                            "or start one with 'churnguard investigate start'")
    return found


def may_record(role: str, csm_name: str | None, interview: dict[str, Any]) -> bool:
    """Whether a user of ``role`` (and CSM name) may record ``interview`` (:func:`interview_of`'s
    dict): managers and admins any; a CSM only one of their own customers or given to them."""
    if role != "csm":
        return True
    return bool(csm_name) and csm_name in (interview.get("csm"), interview.get("interviewer"))


def record(ctx: Context, opts: RecordOptions) -> RecordResult:
    """Mark the interview done and write its churn-reason row (``source = interview``) in one
    transaction; recording it again replaces both."""
    iv = find_interview(ctx, opts.customer_id, opts.investigation_id)
    on = opts.on or ctx.as_of
    outcome = {"status": DONE, "done_at": on, "reason": opts.reason, "secondary_reason": opts.secondary,
               "competitor": opts.competitor, "recoverable": opts.recoverable, "attempts": opts.attempts,
               "notes": opts.notes}
    reason_row = {"customer_id": iv["customer_id"], "recorded_at": on, "reason": opts.reason, "kind": iv["kind"],
                  "competitor": opts.competitor, "notes": opts.notes, "source": "interview",
                  "secondary_reason": opts.secondary, "recoverable": opts.recoverable, "attempts": opts.attempts}
    repo.record_interview(ctx.store, iv["investigation_id"], iv["customer_id"], outcome, reason_row)
    audit.record(ctx.workspace, "interview_recorded", iv["customer_id"],
                 {"investigation_id": iv["investigation_id"], "reason": opts.reason, "on": on})
    after = interview_of(ctx, iv["customer_id"], iv["investigation_id"])
    return RecordResult(after, iv["status"] == DONE)


@dataclass(frozen=True)
class ReclassifyOptions:
    """``churnguard investigate reclassify ID CUSTOMER --reason R``: the reason a review settled on."""

    investigation_id: str
    customer_id: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", reason_of(self.reason, "reason"))


def reclassify(ctx: Context, opts: ReclassifyOptions) -> RecordResult:
    """Set the reviewed reason of a done interview (and of the churn-reason row it wrote)."""
    _investigation(ctx, opts.investigation_id)
    iv = interview_of(ctx, opts.customer_id, opts.investigation_id)
    if iv is None:
        raise NotFoundError(f"customer {opts.customer_id!r} is not among the interviews of investigation "
                            f"{opts.investigation_id!r}")
    if iv["status"] != DONE:
        raise InputError(f"the interview of {opts.customer_id!r} is not recorded yet: record it first "
                         "('churnguard investigate record')")
    repo.set_reviewed_reason(ctx.store, opts.investigation_id, opts.customer_id, opts.reason)
    audit.record(ctx.workspace, "interview_reclassified", opts.customer_id,
                 {"investigation_id": opts.investigation_id, "reviewed_reason": opts.reason})
    return RecordResult(interview_of(ctx, opts.customer_id, opts.investigation_id), True)


# -- actions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionOptions:
    """``churnguard investigate action add ID``: an improvement that answers a reason, its owner,
    its due date, and the day the change applies from (``starts``; default the due date)."""

    investigation_id: str
    reason: str
    action: str
    owner: str
    due: date
    starts: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", reason_of(self.reason, "reason"))
        for name in ("action", "owner"):
            if not _text(getattr(self, name), name):
                raise OptionError(name, "must not be empty")
            object.__setattr__(self, name, _text(getattr(self, name), name))
        if not isinstance(self.due, date):
            raise OptionError("due", "give a date (YYYY-MM-DD)")


@dataclass
class ActionResult:
    """One improvement action as stored."""

    action: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [action], "count": 1, "action_id"}``."""
        return {"data": [self.action], "count": 1, "action_id": self.action["action_id"]}


def add_action(ctx: Context, opts: ActionOptions) -> ActionResult:
    """Add an improvement action to an investigation."""
    _investigation(ctx, opts.investigation_id)
    action_id = repo.insert_action(ctx.store, {
        "investigation_id": opts.investigation_id, "reason": opts.reason, "action": opts.action,
        "owner": opts.owner, "due_at": opts.due, "starts_at": opts.starts or opts.due, "created_at": _now(),
        "done_at": None})
    audit.record(ctx.workspace, "improvement_action_added", action_id,
                 {"investigation_id": opts.investigation_id, "reason": opts.reason, "owner": opts.owner})
    return ActionResult(rows_of(repo.action_rows(ctx.store, action_id=action_id))[0])


def action_done(ctx: Context, action_id: str, on: date | None = None) -> ActionResult:
    """Mark an improvement action done (on ``on``, default the as-of date)."""
    if repo.action_rows(ctx.store, action_id=action_id).empty:
        raise NotFoundError(f"no improvement action {action_id!r}; see 'churnguard investigate review ID'")
    repo.set_action_done(ctx.store, action_id, on or ctx.as_of)
    audit.record(ctx.workspace, "improvement_action_done", action_id, {"on": on or ctx.as_of})
    return ActionResult(rows_of(repo.action_rows(ctx.store, action_id=action_id))[0])


def close(ctx: Context, investigation_id: str) -> ListResult:
    """Close an investigation: its interviews can no longer be recorded."""
    _investigation(ctx, investigation_id)
    repo.set_status(ctx.store, investigation_id, CLOSED)
    audit.record(ctx.workspace, "investigation_closed", investigation_id)
    r = list_investigations(ctx)
    return ListResult(r.frame[r.frame["investigation_id"] == investigation_id].reset_index(drop=True))


def before_after(ctx: Context, starts_at: date) -> dict[str, Any]:
    """Churn rate in the quarter before ``starts_at`` and the quarter from it (the ``compare`` use
    case, windows of equal length); ``measurable`` is False while the quarter after has not passed
    by the as-of date (its rate, if any, covers part of it)."""
    from churnguard.service.measure import CompareOptions, compare

    out: dict[str, Any] = {"window": ACTION_WINDOW, "churn_before": None, "churn_after": None, "difference": None,
                           "ci_low": None, "ci_high": None, "p_value": None, "measurable": False}
    if starts_at > ctx.as_of:
        return out
    r = compare(ctx, CompareOptions(at=starts_at, window=ACTION_WINDOW)).to_dict()
    before, after = r["data"][0], r["data"][1]
    test = r["comparison"]
    out.update({"churn_before": before["churn_rate"], "churn_after": after["churn_rate"],
                "difference": test["difference"], "ci_low": test["ci_low"], "ci_high": test["ci_high"],
                "p_value": test["p_value"], "measurable": bool(after["complete"])})
    return out


# -- review ---------------------------------------------------------------------------------
@dataclass
class ReviewResult:
    """What a review of an investigation needs. ``data``: the reason table of its interviews."""

    investigation: dict[str, Any]
    timing: dict[str, Any]
    reviews: pd.DataFrame
    reasons: pd.DataFrame
    stated: pd.DataFrame
    interviews: pd.DataFrame
    actions: pd.DataFrame
    split: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"investigation": {…, interviews, done, share_done}, "timing": {milestones: […], review_due,
        due_milestone, next_milestone, next_needed}, "reviews": [...], "data": [{reason, interviews,
        lost_value, share, controllable}], "count", "controllable": {controllable, uncontrollable, unknown},
        "stated_vs_reviewed": [{stated, reviewed, interviews, changed}], "interviews": [...],
        "actions": [{action_id, reason, action, owner, due_at, starts_at, done_at, churn_before,
        churn_after, difference, ci_low, ci_high, p_value, measurable}]}``."""
        rows = rows_of(self.reasons)
        return {"investigation": self.investigation, "timing": self.timing, "reviews": rows_of(self.reviews, days=False),
                "data": rows, "count": len(rows), "controllable": self.split,
                "stated_vs_reviewed": rows_of(self.stated), "interviews": rows_of(self.interviews),
                "actions": rows_of(self.actions)}


def _split(reasons: pd.DataFrame) -> dict[str, Any]:
    out = {}
    for name, flag in (("controllable", True), ("uncontrollable", False), ("unknown", None)):
        part = reasons[[c is flag for c in reasons["controllable"]]] if len(reasons) else reasons
        out[name] = {"interviews": int(part["interviews"].sum()) if len(part) else 0,
                     "lost_value": float(part["lost_value"].sum()) if len(part) else 0.0}
    total = sum(v["interviews"] for v in out.values())
    for v in out.values():
        v["share"] = v["interviews"] / total if total else None
    return out


def review(ctx: Context, investigation_id: str, *, measure_actions: bool = True) -> ReviewResult:
    """The review of an investigation: progress and due reviews, stated vs reviewed reasons, the
    reason table of its done interviews, and its actions with churn before and after each."""
    inv = _investigation(ctx, investigation_id)
    iv = repo.interview_rows(ctx.store, investigation_id)
    reviews = repo.review_rows(ctx.store, investigation_id)
    timing = _timing(ctx, iv, reviews)
    done = iv[iv["status"] == DONE].copy()
    settled = done.assign(reason=done["reviewed_reason"].where(done["reviewed_reason"].notna(), done["reason"]))
    reasons = reason_table(settled[["reason", "lost_value"]])
    acts = repo.action_rows(ctx.store, investigation_id)
    measured = [before_after(ctx, _day(a)) if measure_actions and _day(a) is not None else {}
                for a in acts["starts_at"]]
    acts = pd.concat([acts.reset_index(drop=True), pd.DataFrame(measured, index=range(len(acts)))], axis=1)
    info = {**rows_of(pd.DataFrame([inv]), days=False)[0], "interviews": timing.interviews, "done": timing.done,
            "share_done": timing.share_done, "as_of_now": ctx.as_of.isoformat()}
    shown = _with_names(ctx, iv.drop(columns=["investigation_id"]))
    return ReviewResult(info, timing.to_dict(), reviews, reasons, stated_vs_reviewed(done), shown,
                        acts.drop(columns=["investigation_id"]), _split(reasons))


def record_review(ctx: Context, investigation_id: str, notes: str | None = None) -> ReviewResult:
    """Record the review due now (at the highest milestone reached; it covers the earlier ones)."""
    _investigation(ctx, investigation_id)
    iv = repo.interview_rows(ctx.store, investigation_id)
    timing = _timing(ctx, iv, repo.review_rows(ctx.store, investigation_id))
    if timing.due is None:
        if timing.next is None:
            raise InputError(f"every review of investigation {investigation_id!r} is recorded")
        raise InputError(f"no review of investigation {investigation_id!r} is due yet: {timing.done} of "
                         f"{timing.interviews} interviews done, {timing.needed_for(timing.next)} needed "
                         f"({timing.next:.0%})")
    now = _now()
    repo.insert_review(ctx.store, {"review_id": f"{investigation_id}-r{int(round(timing.due * 100))}",
                                   "investigation_id": investigation_id, "milestone": float(timing.due),
                                   "reviewed_at": now, "reviewer": current_actor(),
                                   "notes": _text(notes, "notes")})
    audit.record(ctx.workspace, "investigation_reviewed", investigation_id, {"milestone": float(timing.due)})
    return review(ctx, investigation_id)


# -- the demo -------------------------------------------------------------------------------
def demo_investigation(ctx: Context, *, interviews: int = 60) -> dict[str, Any]:
    """Open an investigation of the last full quarter before the as-of date and record up to
    ``interviews`` of them (largest lost value first) from the churn reasons the workspace holds
    for those customers (the simulated interviews), so the review has content; ``{"investigation_id",
    "period", "interviews", "recorded"}``."""
    period = last_full_quarter(ctx.as_of)
    started = start(ctx, StartOptions(period.label, seed=1))
    ids = started.frame["customer_id"].tolist()
    t = ctx.records().known_at(ctx.as_of).churn_reasons
    known = t.filter(t.customer_id.isin(ids)).to_pandas() if ids else pd.DataFrame()
    recorded = 0
    if len(known):
        newest = known.sort_values(["customer_id", "recorded_at"]).groupby("customer_id").tail(1)
        order = {c: i for i, c in enumerate(ids)}
        newest = newest.assign(pos=newest["customer_id"].map(order)).sort_values("pos").head(interviews)
        for r in newest.to_dict(orient="records"):
            competitor = r.get("competitor") if isinstance(r.get("competitor"), str) else None
            notes = r.get("notes") if isinstance(r.get("notes"), str) else None
            recoverable = r.get("recoverable")
            attempts = r.get("attempts")
            record(ctx, RecordOptions(r["customer_id"], r["reason"], started.investigation_id, competitor=competitor,
                                      notes=notes, on=ctx.as_of,
                                      recoverable=bool(recoverable) if isinstance(recoverable, (bool, np.bool_)) else None,
                                      attempts=int(attempts) if pd.notna(attempts) else None))
            recorded += 1
    return {"investigation_id": started.investigation_id, "period": period.label,
            "interviews": len(ids), "recorded": recorded}

