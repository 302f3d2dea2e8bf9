"""Contact records: interactions, complaints, survey answers and defector interviews.

These are the customer's *voice*: noisy, partial views of the hidden state. Contact fades
in the one to three months before a customer leaves, renewal inquiries come from
customers who will renew, complaints come from few of the dissatisfied, survey answers
scatter around hidden satisfaction, and interviews sometimes name the wrong reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard import schema, vocab
from churnguard.simulate import _frame as f
from churnguard.simulate import texts
from churnguard.simulate.behaviour import NEVER, REASONS, Outcome
from churnguard.simulate.company import Calendar, Params
from churnguard.simulate.population import Population

KINDS = ("visit", "call", "message", "email_open", "social_like", "renewal_inquiry", "unsubscribe")
CHANNELS = ("offline", "phone", "wechat", "sms", "email", "weibo")
DIRECTIONS = ("inbound", "outbound")


def pick_text(rng: np.random.Generator, codes: np.ndarray, keys, table: str, zh_share: float = 0.7, missing=None):
    """One text per row of kind ``table`` (:data:`texts.PHRASINGS`) for key ``keys[code]``, Chinese
    for about ``zh_share`` of the rows. Rows where ``missing`` is true get no text.

    Two numbers are drawn per row (the language, then the phrasing), whatever the phrasings.
    """
    return pick_text_with_template(rng, codes, keys, table, zh_share, missing)[0]


def pick_text_with_template(rng: np.random.Generator, codes: np.ndarray, keys, table: str, zh_share: float = 0.7,
                            missing=None):
    """:func:`pick_text`, the template id of each text (-1 where there is none) and whether it is English."""
    codes = np.asarray(codes, dtype=np.int64)
    english = rng.random(len(codes)) >= zh_share
    u = rng.random(len(codes))
    if missing is not None:
        codes = np.where(missing, -1, codes)
    chosen, tid = texts.compose(table, list(keys), codes, english, u)
    return pd.array(chosen, dtype=f.STRING), tid, english


def with_leaving_reason(rng: np.random.Generator, written, english: np.ndarray, out: Outcome, cust: np.ndarray,
                        day: np.ndarray, share: float = 0.8, lead: int = 365):
    """Texts a customer wrote in the ``lead`` days before deciding to leave (or defecting partly) or
    later: about ``share`` of them also say why (the reason's phrasing, in the text's language).

    ``rng`` is a generator of its own (spawned from the simulator's), so the simulator's other
    draws stay as they were.
    """
    cust, day = np.asarray(cust, np.int64), np.asarray(day, np.int64)
    m = len(cust)
    complete = (out.decide_day[cust] < NEVER) & (day >= out.decide_day[cust] - lead) & (out.reason[cust] >= 0)
    partial = (out.partial_day[cust] < NEVER) & (day >= out.partial_day[cust] - lead) & (out.partial_reason[cust] >= 0)
    code = np.where(complete, out.reason[cust], np.where(partial, out.partial_reason[cust], -1)).astype(np.int64)
    says = rng.random(m) < share
    u = rng.random(m)
    base = pd.Series(written, dtype=object)
    code = np.where(says & base.notna().to_numpy(), code, -1)
    clause, _tid = texts.compose(texts.LEAVING_CLAUSES, list(REASONS), code, english, u)
    add = np.flatnonzero(code >= 0)
    joined = base.to_numpy(dtype=object, na_value=None)
    joined[add] = joined[add] + clause[add]
    return pd.array(joined, dtype=f.STRING)


def interactions(
    pop: Population,
    cal: Calendar,
    out: Outcome,
    params: Params,
    churned: np.ndarray,
    cday: np.ndarray,
    spans: tuple,
    cid,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Build ``interactions``: routine contact, unsubscribes and renewal inquiries.

    Routine contact is a Poisson process per customer whose rate falls linearly to 15% over
    the last 30–90 days before the customer leaves (the churn day, or for a customer that
    has decided but not yet gone, its planned leaving day), drops by 30% after a partial
    defection, and stops when the customer is gone.
    """
    n, days = pop.n, cal.days
    first = np.maximum(pop.acquired, 0).astype(np.int64)
    last = np.where(churned, cday, days - 1).astype(np.int64)
    anchor = np.where(churned, cday, np.where(out.decide_day < NEVER, out.leave_day, NEVER)).astype(np.int64)
    fade = rng.integers(params.fade_days[0], params.fade_days[1] + 1, n)

    routine = ("visit", "call", "message", "email_open", "social_like")
    reg = np.array([params.contact_rates[k][0] for k in routine])
    key = np.array([params.contact_rates[k][1] for k in routine])
    # happier customers answer and like more; the effect is mild on purpose
    monthly = np.where(pop.key, key.sum(), reg.sum()) * pop.engagement * (0.5 + 0.125 * pop.base_satisfaction)
    span = np.maximum(last - first + 1, 0)
    k = rng.poisson(monthly * span / 30.44)
    ic = np.repeat(np.arange(n), k)
    day = first[ic] + (rng.random(len(ic)) * span[ic]).astype(np.int64)
    ramp = np.clip((anchor[ic] - day) / fade[ic], 0.0, 1.0)
    keep = (0.15 + 0.85 * ramp) * np.where(day >= out.partial_day[ic], 0.7, 1.0)
    sel = rng.random(len(ic)) < keep
    ic, day = ic[sel], day[sel]
    probs = np.where(pop.key[ic, None], key / key.sum(), reg / reg.sum())
    kind = (rng.random(len(ic))[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    kind = np.minimum(kind, len(routine) - 1)

    # unsubscribes: a quarter of leavers shortly before they go; a few others at random
    leaver = anchor < NEVER
    u_day = np.where(
        leaver & (rng.random(n) < 0.25),
        anchor - rng.integers(0, 61, n),
        np.where(rng.random(n) < 0.02 * span / 365.25, first + (rng.random(n) * span).astype(np.int64), NEVER),
    )
    u_ok = (u_day >= first) & (u_day <= last) & (u_day < NEVER)
    unsub = np.where(u_ok, u_day, NEVER)
    # no more e-mail opens after an unsubscribe
    sel = ~((kind == routine.index("email_open")) & (day > unsub[ic]))
    ic, day, kind = ic[sel], day[sel], kind[sel]
    uc = np.flatnonzero(u_ok)

    # renewal inquiries 30–60 days before a contract ends: most renewers ask, few leavers do
    c, _k, start, end, _first, _last, cancelled = spans
    leaving_here = out.leave_day[c] <= end
    asks = rng.random(len(c)) < np.where(leaving_here, 0.12, 0.85)
    r_day = end - rng.integers(30, 61, len(c))
    r_ok = asks & (r_day >= np.maximum(start, 0)) & (r_day <= days - 1) & (r_day < cancelled)

    all_c = np.r_[ic, uc, c[r_ok]]
    all_d = np.r_[day, unsub[uc], r_day[r_ok]].astype(np.int64)
    all_k = np.r_[kind, np.full(len(uc), 6), np.full(len(c[r_ok]), 5)]
    m = len(all_c)
    # channel and direction follow the kind
    alt = rng.random(m)
    channel = np.choose(
        all_k,
        [
            np.zeros(m, int),  # visit: offline
            np.ones(m, int),  # call: phone
            np.where(alt < 0.7, 2, 3),  # message: wechat or sms
            np.full(m, 4),  # email_open: email
            np.where(alt < 0.6, 2, 5),  # social_like: wechat or weibo
            np.where(alt < 0.5, 1, 4),  # renewal_inquiry: phone or email
            np.full(m, 4),  # unsubscribe: email
        ],
    )
    outbound = np.choose(
        all_k,
        [np.ones(m, bool), alt < 0.6, alt < 0.5, np.zeros(m, bool), np.zeros(m, bool), np.zeros(m, bool), np.zeros(m, bool)],
    )
    o = np.lexsort((all_c, all_d))
    data = {
        "customer_id": f.take(cid, all_c[o]),
        "occurred_at": f.dates(cal.start, all_d[o]),
        "kind": f.labels(all_k[o], KINDS),
        "channel": f.labels(channel[o], CHANNELS),
        "direction": f.labels(outbound[o].astype(int), DIRECTIONS),
    }
    return f.frame(schema.INTERACTIONS.column_names, data)


def complaints(cal: Calendar, out: Outcome, cid, rng: np.random.Generator) -> pd.DataFrame:
    """Build ``complaints`` from the complaint events of the mechanisms."""
    cp = out.complaints
    o = np.lexsort((cp["cust"], cp["day"]))
    cust, day, sat = cp["cust"][o].astype(np.int64), cp["day"][o].astype(np.int64), cp["sat"][o]
    incident, resolved = cp["incident"][o].astype(bool), cp["resolved"][o].astype(np.int64)
    m = len(cust)
    cats = texts.COMPLAINT_CATEGORIES
    # incident-related complaints are mostly about the outage or late deliveries
    u = rng.random(m)
    cat_incident = np.select([u < 0.5, u < 0.8], [4, 0], 3)
    cat_other = rng.choice(4, m, p=[0.3, 0.3, 0.15, 0.25])
    cat = np.where(incident, cat_incident, cat_other)
    noisy = sat + rng.normal(0, 0.4, m)
    severity = np.select([noisy < 2.0, noisy < 2.7], [2, 1], 0)
    is_resolved = resolved <= cal.days - 1
    written, _tid, english = pick_text_with_template(rng, cat, cats, texts.COMPLAINT_TEXTS)
    text = with_leaving_reason(rng.spawn(1)[0], written, english, out, cust, day)
    data = {
        "complaint_id": f.ids("Q", np.arange(m), 8),
        "customer_id": f.take(cid, cust),
        "opened_at": f.dates(cal.start, day),
        "category": f.labels(cat, cats),
        "severity": f.labels(severity, ("low", "medium", "high")),
        "text": text,
        "resolved_at": f.dates(cal.start, np.where(is_resolved, resolved, 0), ~is_resolved),
        "resolution": _resolution(rng, is_resolved),
    }
    return f.frame(schema.COMPLAINTS.column_names, data)


def _resolution(rng: np.random.Generator, resolved: np.ndarray):
    zh, en = texts.RESOLUTIONS
    flat = list(zh) + list(en)
    lang_en = rng.random(len(resolved)) >= 0.7
    idx = np.where(
        lang_en, len(zh) + (rng.random(len(resolved)) * len(en)).astype(int), (rng.random(len(resolved)) * len(zh)).astype(int)
    )
    return f.labels(np.where(resolved, idx, -1), flat)


def surveys(cal: Calendar, out: Outcome, cid, rng: np.random.Generator) -> pd.DataFrame:
    """Build ``surveys``: answers scatter around hidden satisfaction (noise sd 0.6 levels)."""
    sv = out.surveys
    o = np.lexsort((sv["cust"], sv["day"]))
    cust, day, sat = sv["cust"][o].astype(np.int64), sv["day"][o].astype(np.int64), sv["sat"][o]
    m = len(cust)
    level = np.clip(np.round(sat + rng.normal(0, 0.6, m)), 1, 5).astype(np.int64)
    nps = np.clip(np.round(2.5 * (sat - 1) + rng.normal(0, 1.5, m)), 0, 10).astype(np.int64)
    no_comment = rng.random(m) >= 0.2  # most answer with a score only
    comment, _tid, english = pick_text_with_template(rng, level - 1, [1, 2, 3, 4, 5], texts.SURVEY_COMMENTS,
                                                     missing=no_comment)
    comment = with_leaving_reason(rng.spawn(1)[0], comment, english, out, cust, day)
    data = {
        "customer_id": f.take(cid, cust),
        "answered_at": f.dates(cal.start, day),
        "satisfaction": level,
        "nps": nps,
        "comment": comment,
    }
    return f.frame(schema.SURVEYS.column_names, data)


def churn_reasons(
    pop: Population,
    cal: Calendar,
    out: Outcome,
    params: Params,
    churned: np.ndarray,
    cday: np.ndarray,
    cid,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Build ``churn-reasons`` as recorded in defector interviews.

    A sample of complete and of partial defectors is interviewed some weeks after the
    defection is noticed. The recorded reason is the true one with probability
    ``params.interview_truthful``; otherwise half the time the customer says "price" (the
    polite answer) and otherwise any reason.
    """
    n = pop.n
    partial = ~churned & (out.partial_day <= cal.days - 1)
    comp = churned & (rng.random(n) < params.interview_share_complete)
    part = partial & (rng.random(n) < params.interview_share_partial)
    day = np.where(comp, cday + rng.integers(14, 91, n), np.where(part, out.partial_day + rng.integers(60, 181, n), NEVER))
    who = np.flatnonzero((comp | part) & (day <= cal.days - 1))
    true = np.where(churned[who], out.reason[who], out.partial_reason[who]).astype(np.int64)
    u = rng.random(len(who))
    wrong = np.where(u < 0.5, REASONS.index("price"), rng.integers(0, len(REASONS), len(who)))
    said = np.where(rng.random(len(who)) < params.interview_truthful, true, wrong)
    rival = np.isin(said, [REASONS.index(r) for r in ("price", "promotion", "product", "technology")])
    competitor = np.where(rival & (rng.random(len(who)) < 0.8), rng.integers(0, len(texts.COMPETITORS), len(who)), -1)
    o = np.lexsort((who, day[who]))
    # drawn from a child generator: the main stream (and every table after this one) stays as it was
    extra = rng.spawn(1)[0]
    controllable = np.isin(said[o], [REASONS.index(r) for r, t in vocab.CHURN_REASONS.items() if t.controllable])
    # a customer who left over something we control can often be won back; one who closed cannot
    recoverable = controllable & (extra.random(len(who)) < 0.6)
    attempts = 1 + extra.binomial(3, 0.3, len(who)).astype(np.int64)  # tries it took to reach them
    data = {
        "customer_id": f.take(cid, who[o]),
        "recorded_at": f.dates(cal.start, day[who][o]),
        "reason": f.labels(said[o], REASONS),
        "kind": f.labels(np.where(churned[who], 0, 1)[o], ("complete", "partial")),
        "competitor": f.labels(competitor[o], texts.COMPETITORS),
        "notes": pick_text(rng, said[o], REASONS, texts.INTERVIEW_NOTES),
        "source": f.labels(np.zeros(len(who), int), ("interview",)),
        "secondary_reason": pd.array([None] * len(who), dtype="string"),  # one reason per interview
        "recoverable": recoverable,
        "attempts": attempts,
        "confidence": np.full(len(who), np.nan),  # stated, not inferred
    }
    return f.frame(schema.CHURN_REASONS.column_names, data)
