"""The customer base: visible attributes and the hidden state that drives behaviour.

One :class:`Population` holds per-customer numpy arrays (index ``i`` is customer ``i``).
Visible attributes end up in the ``customers`` table; hidden ones (purchase rate,
dropout chance, price sensitivity, baseline satisfaction …) only drive the mechanisms and
are reported in ``Simulation.hidden`` and the ``truth`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnguard.simulate.company import (
    CATALOGUE,
    CSMS,
    REGION_WEIGHTS,
    REGIONS,
    SEGMENT_WEIGHTS,
    SEGMENTS,
    Calendar,
    Params,
)


@dataclass
class Population:
    """Per-customer arrays of one simulated customer base.

    Attributes
    ----------
    n : int
        Number of customers.
    acquired : ndarray of int32
        Day offset of acquisition (negative: before the span; first order for the others).
    key, contractual, price_sensitive, promo_susceptible, invoiced : ndarray of bool
        Customer type and hidden flags.
    region, segment, csm, group : ndarray of int
        Codes into ``REGIONS``, ``SEGMENTS``, ``CSMS``; ``csm == -1`` and ``group == -1``
        mean none.
    rate : ndarray of float
        Orders per year while active (gamma distributed, BG/NBD's lambda).
    dropout : ndarray of float
        Chance of becoming inactive after each order (BG/NBD's p; used for
        non-contractual customers).
    qty_mean, lines_mean : ndarray of float
        Mean units per order line and mean lines per order.
    discount : ndarray of float
        The customer's discount off list price.
    base_share : ndarray of float
        Share of its wallet the customer gives us before any defection.
    wallet : ndarray of float
        Expected total yearly spend in the category, with us and rivals.
    base_satisfaction : ndarray of float
        Where hidden satisfaction returns to when no shock is active.
    engagement : ndarray of float
        Multiplier of contact frequency.
    late_propensity : ndarray of float
        Baseline chance that an invoice is paid late.
    """

    n: int
    acquired: np.ndarray
    key: np.ndarray
    contractual: np.ndarray
    price_sensitive: np.ndarray
    promo_susceptible: np.ndarray
    invoiced: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    csm: np.ndarray
    group: np.ndarray
    rate: np.ndarray
    dropout: np.ndarray
    qty_mean: np.ndarray
    lines_mean: np.ndarray
    discount: np.ndarray
    base_share: np.ndarray
    wallet: np.ndarray
    base_satisfaction: np.ndarray
    engagement: np.ndarray
    late_propensity: np.ndarray


def mean_list_price() -> float:
    """Return the weighted mean list price of one catalogue line (before the price rise)."""
    w = np.array([p.weight for p in CATALOGUE])
    price = np.array([p.price for p in CATALOGUE])
    return float((w * price).sum() / w.sum())


def build_population(n: int, cal: Calendar, params: Params, rng: np.random.Generator) -> Population:
    """Draw ``n`` customers with their attributes and hidden state."""
    existing = rng.random(n) < params.existing_share
    acquired = np.empty(n, dtype=np.int32)
    n_old = int(existing.sum())
    # tenure of customers that exist at the start: a few months to about eight years
    acquired[existing] = -(1 + np.minimum(rng.gamma(1.5, 500.0, n_old), 3000)).astype(np.int32)
    # new customers arrive throughout the span, following the same seasonality as orders
    n_new = n - n_old
    acquired[~existing] = cal.draw_days(
        rng, np.zeros(n_new, dtype=np.int64), np.full(n_new, cal.days - 1, dtype=np.int64)
    )

    key = rng.random(n) < params.key_share
    # key accounts are more often on contracts; the overall share stays at contractual_share
    p_contract_key = min(0.9, 2.0 * params.contractual_share)
    p_contract_reg = max(
        0.0, (params.contractual_share - params.key_share * p_contract_key) / (1 - params.key_share)
    )
    contractual = rng.random(n) < np.where(key, p_contract_key, p_contract_reg)
    price_sensitive = rng.random(n) < np.where(key, 0.6, 1.05) * params.price_sensitive_share
    promo_susceptible = rng.random(n) < np.where(price_sensitive, 1.6, 0.7) * params.promo_susceptible_share
    invoiced = key | (rng.random(n) < 0.4)

    region = rng.choice(len(REGIONS), n, p=np.array(REGION_WEIGHTS) / sum(REGION_WEIGHTS)).astype(np.int8)
    segment = rng.choice(len(SEGMENTS), n, p=np.array(SEGMENT_WEIGHTS) / sum(SEGMENT_WEIGHTS)).astype(np.int8)
    # CSMs cover regions (each region has a main CSM) — every key account, about half the others
    csm = ((region.astype(np.int64) + (rng.random(n) < 0.25)) % len(CSMS)).astype(np.int8)
    csm[~key & (rng.random(n) < 0.5)] = -1
    group = _groups(n, params.group_share, rng)

    mean_rate = np.where(key, params.rate_mean_key, params.rate_mean_regular)
    rate = rng.gamma(params.rate_shape, mean_rate / params.rate_shape)
    dropout = rng.beta(params.dropout_a, params.dropout_b, n) * np.where(key, 0.6, 1.0)
    # order size independent of frequency (the Gamma-Gamma assumption)
    qty_mean = np.exp(rng.normal(np.log(np.where(key, 30.0, 6.0)), 0.6, n))
    lines_mean = np.where(key, 2.2, 1.3)
    discount = np.where(key, 0.05 + 0.05 * rng.random(n), 0.03 * rng.random(n))
    base_share = rng.beta(8.0, 2.5, n)
    yearly_spend = rate * lines_mean * qty_mean * mean_list_price() * (1 - discount)
    wallet = yearly_spend / base_share
    base_satisfaction = np.clip(rng.normal(params.satisfaction_mean, params.satisfaction_sd, n), 1.5, 5.0)
    engagement = rng.gamma(3.0, 1 / 3.0, n)
    late_propensity = rng.beta(1.2, 10.0, n)
    return Population(
        n=n,
        acquired=acquired,
        key=key,
        contractual=contractual,
        price_sensitive=price_sensitive,
        promo_susceptible=promo_susceptible,
        invoiced=invoiced,
        region=region,
        segment=segment,
        csm=csm,
        group=group,
        rate=rate,
        dropout=dropout,
        qty_mean=qty_mean,
        lines_mean=lines_mean,
        discount=discount,
        base_share=base_share,
        wallet=wallet,
        base_satisfaction=base_satisfaction,
        engagement=engagement,
        late_propensity=late_propensity,
    )


def _groups(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Put about ``share`` of the customers into groups of 2–6 related customers."""
    group = np.full(n, -1, dtype=np.int32)
    target = int(round(n * share))
    if target < 2:
        return group
    sizes = rng.integers(2, 7, target // 2 + 1)
    sizes = sizes[np.cumsum(sizes) <= target]
    members = rng.permutation(n)[: int(sizes.sum())]
    group[members] = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    return group
