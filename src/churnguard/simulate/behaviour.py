"""The mechanisms: how hidden state moves month by month and what customers do.

One loop over calendar months (24 steps for two years), vectorised over customers inside
each step. Each month:

1. hidden satisfaction decays back toward its baseline, service incidents and the price
   rise push it down;
2. dissatisfied customers complain — rarely (about 4% of them ever do);
3. cause-specific hazards (service, price, promotion, chain, background) may start a
   complete defection (the customer *decides*; it *leaves* later: after a fading period
   for non-contractual customers, at the contract end for contractual ones) or a partial
   defection (spend with us drops to 30–60% of its baseline);
4. orders arrive as a Poisson process with the daily seasonality, thinned after a partial
   defection or a decision to leave;
5. non-contractual customers may drop out after any order (the BG/NBD mechanism);
6. at each quarter's last month a random sample answers the survey.

Records (tables) are built from the result in :mod:`churnguard.simulate.records`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnguard.simulate.company import REGIONS, Calendar, Params
from churnguard.simulate.population import Population

#: Truth reason codes, index = code (keys of ``vocab.CHURN_REASONS``).
REASONS = (
    "price",
    "product",
    "service",
    "promotion",
    "market",
    "technology",
    "business_change",
    "closure",
    "other",
)
R = {r: i for i, r in enumerate(REASONS)}
#: Reasons behind background defections (BG/NBD dropout, contract non-renewal without a cause).
BACKGROUND_REASONS = np.array([R[r] for r in ("product", "market", "technology", "business_change", "closure", "other")])
BACKGROUND_WEIGHTS = np.array([0.30, 0.15, 0.15, 0.20, 0.15, 0.05])
#: Defections others can follow (a benchmark switching to a rival); closure or leaving the
#: market is no example to follow, so those start no chain.
CHAIN_STARTERS = np.array([R[r] for r in ("price", "product", "service", "promotion", "technology")])

NEVER = np.int32(10**7)  # a day offset later than any simulated day


@dataclass
class Outcome:
    """What the mechanisms produced (per customer arrays, plus event lists).

    Day offsets use ``NEVER`` for "did not happen".
    """

    decide_day: np.ndarray
    leave_day: np.ndarray
    reason: np.ndarray  # int8 code into REASONS, -1 none
    cancel_day: np.ndarray
    chain_from: np.ndarray  # leader index for chain followers, -1 otherwise
    partial_day: np.ndarray
    partial_share: np.ndarray
    partial_reason: np.ndarray
    satisfaction: np.ndarray  # hidden satisfaction at the end
    dissatisfied_ever: np.ndarray
    min_satisfaction: np.ndarray  # lowest hidden satisfaction while a customer
    incident_hit: np.ndarray  # number of incidents that hit the customer
    anniversaries: np.ndarray  # contract anniversaries (rows = contractual customers)
    contract_row: np.ndarray  # row into anniversaries, -1 for non-contractual
    purchase_cust: np.ndarray
    purchase_day: np.ndarray
    complaints: dict
    surveys: dict


def anniversaries(days: np.ndarray, cal: Calendar, count: int) -> np.ndarray:
    """Return day offsets of the 0th … ``count``-1th yearly anniversary of each day in ``days``.

    Calendar-exact (2024-02-29 + 1 year = 2025-02-28), so annual contracts run from a date
    to the day before the same date next year.
    """
    date = np.datetime64(cal.start, "D") + days.astype("timedelta64[D]")
    month = date.astype("datetime64[M]")
    dom = (date - month.astype("datetime64[D]")).astype(np.int64)
    out = np.empty((len(days), count), dtype=np.int32)
    start = np.datetime64(cal.start, "D")
    for k in range(count):
        m = month + 12 * k
        mlen = ((m + 1).astype("datetime64[D]") - m.astype("datetime64[D]")).astype(np.int64)
        d = m.astype("datetime64[D]") + np.minimum(dom, mlen - 1).astype("timedelta64[D]")
        out[:, k] = (d - start).astype(np.int64)
    return out


def run(pop: Population, cal: Calendar, events: dict, params: Params, rng: np.random.Generator) -> Outcome:
    """Run the monthly mechanisms over the whole span; see the module docstring."""
    n = pop.n
    days = cal.days
    decide = np.full(n, NEVER, np.int32)
    leave = np.full(n, NEVER, np.int32)
    reason = np.full(n, -1, np.int8)
    cancel = np.full(n, NEVER, np.int32)
    chain_from = np.full(n, -1, np.int32)
    chain_lo = np.full(n, NEVER, np.int32)
    chain_hi = np.full(n, -1, np.int32)
    chain_reason = np.full(n, -1, np.int8)
    partial_day = np.full(n, NEVER, np.int32)
    partial_share = np.ones(n)
    partial_reason = np.full(n, -1, np.int8)
    shock = np.zeros(n)
    dissatisfied_ever = np.zeros(n, bool)
    min_sat = np.full(n, 5.0)
    incident_hit = np.zeros(n, np.int8)
    followed = np.zeros(n, bool)  # decided because a group member defected

    # contracts: yearly anniversaries of acquisition; enough columns to pass the span's end
    crow = np.full(n, -1, np.int32)
    cidx = np.flatnonzero(pop.contractual)
    crow[cidx] = np.arange(len(cidx), dtype=np.int32)
    n_years = int((days - pop.acquired.min()) // 365) + 3
    anniv = anniversaries(pop.acquired[cidx], cal, n_years)

    rise_day = cal.day(events["price_rise_at"])
    promo_lo, promo_hi = (cal.day(d) for d in events["promo_window"])
    incidents = [(cal.day(e["start"]), e) for e in events["incidents"]]

    purchases_c, purchases_d = [], []
    comp = {k: [] for k in ("cust", "day", "sat", "incident", "resolved")}
    surv = {k: [] for k in ("cust", "day", "sat")}

    n_months = len(cal.month_starts) - 1
    for m in range(n_months):
        ms, me = int(cal.month_starts[m]), int(cal.month_starts[m + 1]) - 1
        mlen = me - ms + 1
        month_of_year = (cal.start.month - 1 + m) % 12 + 1  # month_starts are calendar months

        # 1. satisfaction: shocks fade, a little noise, incidents and the price rise hurt
        shock = shock * params.shock_decay + rng.normal(0.0, 0.12, n)
        act = np.flatnonzero((pop.acquired <= me) & (leave >= ms))
        lo = np.maximum(pop.acquired[act], ms)
        hi = np.minimum(leave[act], me)
        for day0, inc in incidents:
            if ms <= day0 <= me:
                weight = np.where(pop.region[act] == _region_code(inc["region"]), 3.0, 0.7)
                hit = act[rng.random(len(act)) < inc["share"] * weight]
                shock[hit] -= rng.uniform(*params.incident_shock, len(hit))
                incident_hit[hit] += 1
        if ms <= rise_day <= me:
            sens = act[pop.price_sensitive[act]]
            shock[sens] -= 0.3
        sat = np.clip(pop.base_satisfaction + shock, 1.0, 5.0)
        sat_act = sat[act]
        unhappy = sat_act < params.dissatisfied_below
        dissatisfied_ever[act[unhappy]] = True
        min_sat[act] = np.minimum(min_sat[act], sat_act)

        # 2. complaints: the rare voice of the dissatisfied (DESIGN.md: about 4% complain)
        depth = np.clip((params.dissatisfied_below - sat_act) / 0.7, 0.3, 2.5)
        p_complain = np.where(unhappy, params.complaint_share / 3.0 * depth, 0.0003)
        who = np.flatnonzero(rng.random(len(act)) < p_complain)
        if len(who):
            cday = _uniform_day(rng, lo[who], hi[who])
            resolved = rng.random(len(who)) < 0.8
            rday = np.where(resolved, cday + 1 + rng.exponential(7.0, len(who)).astype(np.int32), NEVER)
            recent = np.zeros(len(who), bool)
            for day0, _inc in incidents:
                recent |= (cday >= day0) & (cday <= day0 + 60) & (incident_hit[act[who]] > 0)
            comp["cust"].append(act[who])
            comp["day"].append(cday)
            comp["sat"].append(sat_act[who])
            comp["incident"].append(recent)
            comp["resolved"].append(rday.astype(np.int32))
            # service recovery: a quick fix wins some goodwill back, an open complaint festers
            shock[act[who]] += np.where(rday - cday <= 7, 0.3, -0.3)

        # 3. hazards of the customers still undecided
        el = np.flatnonzero(decide[act] == NEVER)
        ei, elo, ehi = act[el], lo[el], hi[el]
        exposure = (ehi - elo + 1) / mlen
        after_rise = max(0, m - _month_of(cal, rise_day)) if me >= rise_day else -1
        price_on = pop.price_sensitive[ei] & (after_rise >= 0)
        price_decay = np.exp(-max(after_rise, 0) / 4.0)
        promo_on = pop.promo_susceptible[ei] & (me >= promo_lo) & (ms <= promo_hi)
        h = np.zeros((5, len(ei)))
        h[0] = params.service_hazard * np.clip(params.dissatisfied_below - sat[ei], 0, None) ** 1.5
        h[1] = np.where(price_on, params.price_hazard * price_decay, 0.0)
        h[2] = np.where(promo_on, params.promo_hazard, 0.0)
        h[3] = np.where((chain_lo[ei] <= me) & (chain_hi[ei] >= ms), params.chain_hazard, 0.0)
        h[4] = np.where(pop.contractual[ei], params.background_hazard * np.where(pop.key[ei], 0.6, 1.0), 0.0)
        h *= exposure
        total = h.sum(axis=0)
        fire = rng.random(len(ei)) < -np.expm1(-total)
        if fire.any():
            fi = ei[fire]
            cause = (rng.random(len(fi))[None, :] * total[fire] > np.cumsum(h[:, fire], axis=0)).sum(axis=0)
            code = np.choose(
                np.minimum(cause, 4),
                [
                    np.full(len(fi), R["service"]),
                    np.full(len(fi), R["price"]),
                    np.full(len(fi), R["promotion"]),
                    chain_reason[fi],
                    _background(rng, len(fi)),
                ],
            ).astype(np.int8)
            eday = _uniform_day(rng, elo[fire], ehi[fire])
            followed[fi[cause == 3]] = True
            _decide(pop, params, rng, fi, eday, code, decide, leave, reason, cancel, anniv, crow)
            _start_chains(pop, params, fi, eday, code, decide, chain_lo, chain_hi, chain_reason, chain_from)

        # partial defection of the undecided that are not partial yet
        pe = ~fire & (partial_day[ei] == NEVER)
        hp = np.zeros((3, len(ei)))
        hp[0] = np.where(price_on, params.price_partial_hazard * price_decay, 0.0)
        hp[1] = np.where(promo_on, params.promo_partial_hazard, 0.0)
        hp[2] = 0.3 * h[0] / np.maximum(exposure, 1e-9)
        hp *= exposure
        ptotal = hp.sum(axis=0)
        pfire = pe & (rng.random(len(ei)) < -np.expm1(-ptotal))
        if pfire.any():
            pi = ei[pfire]
            pcause = (rng.random(len(pi))[None, :] * ptotal[pfire] > np.cumsum(hp[:, pfire], axis=0)).sum(axis=0)
            partial_reason[pi] = np.array([R["price"], R["promotion"], R["service"]])[np.minimum(pcause, 2)]
            partial_day[pi] = _uniform_day(rng, elo[pfire], ehi[pfire])
            partial_share[pi] = rng.uniform(*params.partial_share, len(pi))

        # 4. orders: Poisson with the daily seasonality, then thinned by the customer's state
        hi = np.minimum(leave[act], me)
        ok = hi >= lo
        pa, plo, phi = act[ok], lo[ok], hi[ok]
        lam = pop.rate[pa] / 365.25 * cal.mass(plo, phi)
        k = rng.poisson(lam)
        pc = np.repeat(pa, k)
        pd_ = cal.draw_days(rng, np.repeat(plo, k), np.repeat(phi, k))
        keep = np.ones(len(pc))
        keep = np.where(pd_ >= partial_day[pc], keep * np.sqrt(partial_share[pc]), keep)
        keep = np.where(pd_ >= decide[pc], keep * np.where(pop.contractual[pc], 0.7, 0.5), keep)
        sel = rng.random(len(pc)) < keep
        pc, pd_ = pc[sel], pd_[sel]
        # a new customer's acquisition is its first order
        new = np.flatnonzero((pop.acquired >= ms) & (pop.acquired <= me))
        pc = np.r_[pc, new].astype(np.int32)
        pd_ = np.r_[pd_, pop.acquired[new]].astype(np.int32)

        # 5. BG/NBD dropout: after each order a non-contractual customer may become inactive
        pc, pd_ = _dropout(pop, params, rng, pc, pd_, decide, leave, reason, chain_lo, chain_hi, chain_reason, chain_from)
        purchases_c.append(pc)
        purchases_d.append(pd_)

        # 6. quarterly survey of a random sample of living customers
        if month_of_year in (3, 6, 9, 12):
            hi = np.minimum(leave[act], me)
            ok = (hi >= lo) & (rng.random(len(act)) < params.survey_share)
            surv["cust"].append(act[ok])
            surv["day"].append(_uniform_day(rng, lo[ok], hi[ok]))
            surv["sat"].append(sat[act[ok]])

    # exposure to a chain that did not end in a defection leaves no trace in the truth
    chain_from[~followed] = -1
    return Outcome(
        decide_day=decide,
        leave_day=leave,
        reason=reason,
        cancel_day=cancel,
        chain_from=chain_from,
        partial_day=partial_day,
        partial_share=partial_share,
        partial_reason=partial_reason,
        satisfaction=sat,
        dissatisfied_ever=dissatisfied_ever,
        min_satisfaction=min_sat,
        incident_hit=incident_hit,
        anniversaries=anniv,
        contract_row=crow,
        purchase_cust=np.concatenate(purchases_c),
        purchase_day=np.concatenate(purchases_d),
        complaints={k: _cat(v) for k, v in comp.items()},
        surveys={k: _cat(v) for k, v in surv.items()},
    )


def _cat(parts: list) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0)


def _region_code(name: str) -> int:
    return REGIONS.index(name)


def _month_of(cal: Calendar, day: int) -> int:
    return int(np.searchsorted(cal.month_starts, day, side="right") - 1)


def _uniform_day(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return (lo + np.floor(rng.random(len(lo)) * (hi - lo + 1))).astype(np.int32)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    return BACKGROUND_REASONS[rng.choice(len(BACKGROUND_REASONS), size, p=BACKGROUND_WEIGHTS)]


def _decide(pop, params, rng, who, day, code, decide, leave, reason, cancel, anniv, crow) -> None:
    """Record decisions to leave; work out when each customer actually goes."""
    decide[who] = day
    reason[who] = code
    lo, hi = params.fade_days
    out = day + rng.integers(lo, hi + 1, len(who))
    con = pop.contractual[who]
    if con.any():
        cw, cd = who[con], day[con]
        a = anniv[crow[cw]]
        nxt = (a <= cd[:, None]).sum(axis=1)
        # within a month of the renewal date the next year is already committed
        nxt += (a[np.arange(len(cw)), nxt] - cd) < 30
        end = a[np.arange(len(cw)), nxt] - 1
        # some cancel early, more often when the business closes or changes
        p_cancel = np.select([code[con] == R["closure"], code[con] == R["business_change"]], [0.6, 0.3], 0.08)
        cday = cd + rng.integers(7, 46, len(cw))
        cancels = (rng.random(len(cw)) < p_cancel) & (cday < end)
        cancel[cw[cancels]] = cday[cancels]
        out[con] = np.where(cancels, cday, end)
    leave[who] = out


def _start_chains(pop, params, who, day, code, decide, chain_lo, chain_hi, chain_reason, chain_from) -> None:
    """Raise the hazard of the undecided members of a defector's group (连锁跳槽).

    The follower inherits the leader's reason: it follows its benchmark to the same rival
    for the same cause. Only switching to a rival starts a chain (see ``CHAIN_STARTERS``).
    """
    lead = np.isin(code, CHAIN_STARTERS) & (pop.group[who] >= 0)
    if not lead.any():
        return
    lw, ld, lc = who[lead], day[lead], code[lead]
    order = np.argsort(pop.group[lw], kind="stable")
    lw, ld, lc = lw[order], ld[order], lc[order]
    lg = pop.group[lw]
    members = np.flatnonzero(np.isin(pop.group, lg) & (decide == NEVER))
    if not len(members):
        return
    j = np.searchsorted(lg, pop.group[members])
    chain_lo[members] = ld[j] + 30
    chain_hi[members] = ld[j] + 30 + 30 * params.chain_months
    chain_reason[members] = lc[j]
    chain_from[members] = lw[j]


def _dropout(pop, params, rng, pc, pd_, decide, leave, reason, chain_lo, chain_hi, chain_reason, chain_from):
    """Apply the BG/NBD dropout to this month's orders; return the orders that happen."""
    cand = ~pop.contractual[pc] & (decide[pc] == NEVER)
    if not cand.any():
        return pc, pd_
    idx = np.flatnonzero(cand)
    order = idx[np.lexsort((pd_[idx], pc[idx]))]
    c = pc[order]
    first = np.r_[True, c[1:] != c[:-1]]
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, len(c)])
    rank = np.arange(len(c)) - np.repeat(starts, counts)
    cust = c[starts]
    j = rng.geometric(pop.dropout[cust])  # orders until the customer drops out
    drops = j <= counts
    jj = np.repeat(j, counts)
    remove = order[rank >= jj]
    if drops.any():
        dc = cust[drops]
        dday = pd_[order[starts[drops] + j[drops] - 1]]
        code = _background(rng, len(dc)).astype(np.int8)
        decide[dc] = dday
        leave[dc] = dday
        reason[dc] = code
        _start_chains(pop, params, dc, dday, code, decide, chain_lo, chain_hi, chain_reason, chain_from)
    keep = np.ones(len(pc), bool)
    keep[remove] = False
    return pc[keep], pd_[keep]
