"""The public entry point: :func:`simulate` and its result, :class:`Simulation`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnguard.errors import InputError
from churnguard.simulate import _frame as f
from churnguard.simulate import behaviour, records, voice
from churnguard.simulate.behaviour import NEVER
from churnguard.simulate.company import DEFAULT_END, Params, build_calendar, build_events
from churnguard.simulate.population import build_population


@dataclass
class Simulation:
    """A simulated company: its records, the ground truth and the events behind them.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        One table per importable kind (``customers``, ``transactions``, ``contracts``,
        ``interactions``, ``complaints``, ``surveys``, ``churn-reasons``,
        ``wallet-estimates``) with exactly the canonical columns of
        ``schema.KINDS[kind]``.
    truth : pandas.DataFrame
        One row per customer with the columns of ``schema.TRUTH``: who churned, when, how
        and why, recorded from the mechanisms (never inferred from the records).
    start, end : datetime.date
        First and last simulated day; no event in any table is dated after ``end``.
    events : dict
        Company-level events: ``price_rise_at``, ``price_rise`` (per product),
        ``promo_window``, ``incidents``, ``chinese_new_year``, ``start``, ``end``.
    hidden : pandas.DataFrame
        Per-customer hidden state beyond the truth table (purchase rate, dropout chance,
        promotion susceptibility, wallet, chain leader …), for documentation and tests.
    """

    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    start: dt.date
    end: dt.date
    events: dict
    hidden: pd.DataFrame


def simulate(
    customers: int = 5000,
    months: int = 24,
    seed: int = 0,
    end: dt.date | str = DEFAULT_END,
    params: Params | None = None,
) -> Simulation:
    """Simulate a company's customer records with known ground truth.

    Parameters
    ----------
    customers : int
        Number of customers (about 70% exist on the first day, the rest are acquired
        during the span).
    months : int
        Length of the span in calendar months, at least 6.
    seed : int
        Seed of the one ``numpy.random.Generator`` used; the same seed (and arguments)
        gives identical tables.
    end : datetime.date or str
        Last simulated day (ISO string accepted). Fixed by default (2026-09-30), never
        today, so that data do not change from one day to the next.
    params : Params, optional
        Mechanism strengths; defaults describe a B2B distributor.

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        If ``customers`` is below 1, ``months`` below 6 or ``end`` is not a date.

    Examples
    --------
    >>> sim = simulate(customers=500, seed=1)
    >>> sorted(sim.tables)[:3]
    ['churn-reasons', 'complaints', 'contracts']
    """
    if int(customers) < 1:
        raise InputError(f"customers must be at least 1; got {customers!r}")
    if int(months) < 6:
        raise InputError(f"months must be at least 6 (events need room); got {months!r}")
    if isinstance(end, str):
        try:
            end = dt.date.fromisoformat(end)
        except ValueError:
            raise InputError(f"end must be a date like 2026-09-30; got {end!r}") from None
    if isinstance(end, dt.datetime):
        end = end.date()
    if not isinstance(end, dt.date):
        raise InputError(f"end must be a date like 2026-09-30; got {end!r}")
    params = params or Params()
    rng = np.random.default_rng(seed)

    cal = build_calendar(int(months), end)
    events = build_events(cal, params, rng, int(months))
    pop = build_population(int(customers), cal, params, rng)
    out = behaviour.run(pop, cal, events, params, rng)

    cid = records.customer_ids(pop.n)
    churned, cday = records.churn_day(pop, cal, out)
    spans = records.contract_spans(pop, cal, out)
    tables = {
        "customers": records.customers(pop, cal, cid, rng),
        "transactions": records.transactions(pop, cal, out, events, params, cid, rng),
        "contracts": records.contracts(pop, cal, out, events, cid, rng),
        "interactions": voice.interactions(pop, cal, out, params, churned, cday, spans, cid, rng),
        "complaints": voice.complaints(cal, out, cid, rng),
        "surveys": voice.surveys(cal, out, cid, rng),
        "churn-reasons": voice.churn_reasons(pop, cal, out, params, churned, cday, cid, rng),
        "wallet-estimates": records.wallet_estimates(pop, cal, out, cid, rng),
    }
    truth = records.truth(pop, cal, out, cid)
    decided = out.decide_day < NEVER
    hidden = pd.DataFrame(
        {
            "customer_id": cid,
            "customer_type": tables["customers"]["customer_type"].array,
            "purchase_rate": pop.rate,
            "dropout": pop.dropout,
            "promo_susceptible": pop.promo_susceptible,
            "base_share": pop.base_share,
            "wallet": pop.wallet,
            "base_satisfaction": pop.base_satisfaction,
            "dissatisfied_ever": out.dissatisfied_ever,
            "min_satisfaction": np.round(out.min_satisfaction, 2),
            "incidents_hit": out.incident_hit.astype(np.int64),
            "decided_at": f.dates(cal.start, np.where(decided, out.decide_day, 0), ~decided),
            "leaves_at": f.dates(cal.start, np.where(decided, out.leave_day, 0), ~decided),
            "decided_reason": f.labels(out.reason, behaviour.REASONS),
            "partial_share": np.where(out.partial_day < NEVER, out.partial_share, np.nan),
            "chain_from": f.take(cid, np.maximum(out.chain_from, 0)) if pop.n else cid,
        }
    )
    hidden.loc[out.chain_from < 0, "chain_from"] = pd.NA
    return Simulation(tables=tables, truth=truth, start=cal.start, end=cal.end, events=events, hidden=hidden)
