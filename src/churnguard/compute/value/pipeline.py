"""The value step: one row per customer as of a date, from the stored records.

1. the per-customer summary runs as one Ibis query inside the engine
   (:func:`churnguard.compute.value.summary.customer_base`), and the contracts started on or
   before the date come back for their renewal chains;
2. in pandas, on one row per customer: BTYD fields, plain counts, RFM, Pareto position,
   payment timeliness, the purchase/spend models and CLV, sBG contract value, and the
   core-customer flag.

The result is a function of (stored data, settings, as-of date, time unit) only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from churnguard.compute.value.contracts import contract_values, fit_retention, renewal_chains
from churnguard.compute.value.core import core_flags
from churnguard.compute.value.pareto import pareto_position
from churnguard.compute.value.purchase import ModelReport, score_purchases
from churnguard.compute.value.rfm import rfm_table
from churnguard.compute.value.summary import contracts_as_of, customer_base
from churnguard.errors import InputError
from churnguard.settings import Settings
from churnguard.store import Store
from churnguard.vocab import RFM_SEGMENTS

#: Days per time unit of ``recency`` and ``T``.
TIME_UNITS: dict[str, float] = {"day": 1.0, "week": 7.0}

#: Pareto/NBD is fitted on a seeded sample of this many customers when there are more.
PARETO_NBD_SAMPLE = 100_000

#: Sums of money that come back from the engine (see ``customer_value``).
MONEY_SUMS = ("repeat_spend", "total_spend", "revenue", "margin")

#: The value table's columns, in order, with their type (``string``, ``date``, ``int``,
#: ``float``, ``bool``). The JSON rows, the ``--out`` file and the snapshot all use them.
COLUMNS: dict[str, str] = {
    "customer_id": "string",
    "name": "string",
    "segment": "string",
    "region": "string",
    "customer_type": "string",
    "customer_since": "date",
    "tenure_days": "int",
    "first_purchase_at": "date",
    "last_purchase_at": "date",
    "frequency": "int",
    "recency": "float",
    "T": "float",
    "monetary_value": "float",
    "purchase_count": "int",
    "days_since_last_purchase": "int",
    "total_spend": "float",
    "revenue": "float",
    "margin": "float",
    "r_score": "int",
    "f_score": "int",
    "m_score": "int",
    "rfm_segment": "string",
    "rfm_segment_label": "string",
    "revenue_rank": "int",
    "revenue_share": "float",
    "cumulative_revenue_share": "float",
    "pareto_top": "bool",
    "margin_share": "float",
    "cumulative_margin_share": "float",
    "pareto_top_margin": "bool",
    "invoices_due": "int",
    "on_time_share": "float",
    "mean_days_late": "float",
    "active_quarters": "int",
    "p_alive": "float",
    "expected_purchases": "float",
    "p_alive_pareto": "float",
    "expected_purchases_pareto": "float",
    "expected_spend": "float",
    "clv": "float",
    "contract_status": "string",
    "contract_periods": "int",
    "recurring_value": "float",
    "renewal_probability": "float",
    "contract_remaining_value": "float",
    "core": "bool",
    "core_reason": "string",
}


@dataclass
class ValueTable:
    """The value table and the report of every model behind it."""

    frame: pd.DataFrame
    models: dict[str, ModelReport]
    seconds: dict[str, float] = field(default_factory=dict)


def check_time_unit(time_unit: str) -> float:
    """Days per ``time_unit``, or an InputError listing the choices."""
    try:
        return TIME_UNITS[time_unit]
    except (KeyError, TypeError):
        raise InputError(f"unknown time unit {time_unit!r}; choose one of: {', '.join(TIME_UNITS)}") from None


def _no_data_error(store: Store, as_of: date) -> InputError:
    firsts = []
    for table, col in (("transactions", "occurred_at"), ("contracts", "start_at")):
        value = store.table(table)[col].min().execute()
        if value is not None and not pd.isna(value):
            firsts.append(f"the first of the {table} is dated {pd.Timestamp(value).date()}")
    if not firsts:
        return InputError("the workspace holds no transactions or contracts yet; import them first")
    return InputError(
        f"no transactions or contracts on or before {as_of} (the as-of date); "
        + " and ".join(firsts)
        + ": pass a later --as-of"
    )


def customer_value(
    store: Store,
    as_of: date,
    settings: Settings,
    *,
    time_unit: str = "week",
    pareto_nbd_sample: int = PARETO_NBD_SAMPLE,
    seed: int = 0,
) -> ValueTable:
    """Compute the value table as of ``as_of``.

    Parameters
    ----------
    store : Store
        Where the records are.
    as_of : datetime.date
        Everything dated on or before it is known, nothing after it.
    settings : Settings
        ``value.*``, ``churn.value_window_days`` and ``churn.grace_days``, and ``language``
        for labels and explanations.
    time_unit : {"week", "day"}
        Unit of ``recency``, ``T`` and the BTYD model parameters.
    pareto_nbd_sample : int
        Largest number of customers Pareto/NBD is fitted on (a seeded sample above it).
    seed : int
        Seed of that sample.

    Returns
    -------
    ValueTable
        ``frame`` with :data:`COLUMNS`, one row per customer with a transaction or contract
        on or before ``as_of``, ordered by ``customer_id``; ``models`` keyed ``bgnbd``,
        ``pareto_nbd``, ``gamma_gamma``, ``clv`` and ``sbg``.

    Raises
    ------
    InputError
        Unknown ``time_unit``; nothing dated on or before ``as_of``.
    """
    unit = check_time_unit(time_unit)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    base = customer_base(
        store.table("transactions"),
        store.table("contracts"),
        store.table("customers"),
        as_of,
        window_days=settings.churn.value_window_days,
    ).to_pandas()
    contracts = contracts_as_of(store.table("contracts"), as_of).to_pandas()
    seconds["summary query"] = time.perf_counter() - t0
    if base.empty:
        raise _no_data_error(store, as_of)

    t0 = time.perf_counter()
    base = base.sort_values("customer_id", kind="stable").reset_index(drop=True)
    # Engines add floats in an order that varies with parallelism, so sums of money differ in
    # their last bits from run to run. Rounded to 6 decimals they are exact and repeatable,
    # and equal spends rank (and fit) the same every time.
    for col in MONEY_SUMS:
        base[col] = pd.to_numeric(base[col]).astype(float).round(6)
    f = pd.DataFrame({"customer_id": base["customer_id"].astype(object)})
    for col in ("name", "segment", "region", "customer_type"):
        f[col] = base[col].astype(object).where(base[col].notna(), None)
    starts = [pd.to_datetime(base["first_record_at"]), pd.to_datetime(base["acquired_at"])]
    if not contracts.empty:
        first_contract = pd.to_datetime(contracts["start_at"]).groupby(contracts["customer_id"]).min()
        starts.append(base["customer_id"].map(first_contract))
    since = pd.concat(starts, axis=1).min(axis=1)
    as_of_ts = pd.Timestamp(as_of)
    f["customer_since"] = since
    f["tenure_days"] = (as_of_ts - since).dt.days
    f["first_purchase_at"] = pd.to_datetime(base["first_purchase_at"])
    f["last_purchase_at"] = pd.to_datetime(base["last_purchase_at"])
    purchase_days = pd.to_numeric(base["purchase_days"]).fillna(0)
    bought = (purchase_days > 0).to_numpy()
    age_first = pd.to_numeric(base["age_first"]).astype(float)
    age_last = pd.to_numeric(base["age_last"]).astype(float)
    frequency = (purchase_days - 1).where(bought)
    f["frequency"] = frequency
    f["recency"] = ((age_first - age_last) / unit).where(bought)
    f["T"] = (age_first / unit).where(bought)
    repeat_spend = pd.to_numeric(base["repeat_spend"]).astype(float)
    f["monetary_value"] = (repeat_spend / frequency.where(frequency > 0)).fillna(0.0).where(bought)
    f["purchase_count"] = pd.to_numeric(base["purchase_count"]).fillna(0)
    f["days_since_last_purchase"] = age_last
    f["total_spend"] = pd.to_numeric(base["total_spend"]).astype(float).fillna(0.0)
    f["revenue"] = pd.to_numeric(base["revenue"]).astype(float).fillna(0.0)
    costed = pd.to_numeric(base["costed_lines"]).fillna(0).sum() > 0
    f["margin"] = pd.to_numeric(base["margin"]).astype(float) if costed else np.nan

    rfm = rfm_table(
        f["days_since_last_purchase"].where(bought),
        f["purchase_count"].where(bought),
        f["total_spend"].where(bought),
    )
    f[["r_score", "f_score", "m_score", "rfm_segment"]] = rfm
    labels = {k: t.label(settings.language) for k, t in RFM_SEGMENTS.items()}
    f["rfm_segment_label"] = f["rfm_segment"].map(labels)

    share = settings.value.pareto_share
    pareto = pareto_position(f["revenue"], f["customer_id"], share)
    f["revenue_rank"] = pareto["rank"]
    f["revenue_share"] = pareto["share"]
    f["cumulative_revenue_share"] = pareto["cumulative_share"]
    f["pareto_top"] = pareto["top"]
    if costed:
        pm = pareto_position(f["margin"], f["customer_id"], share)
        f["margin_share"] = pm["share"]
        f["cumulative_margin_share"] = pm["cumulative_share"]
        f["pareto_top_margin"] = pm["top"]
    else:
        f["margin_share"] = np.nan
        f["cumulative_margin_share"] = np.nan
        f["pareto_top_margin"] = None

    due = pd.to_numeric(base["invoices_due"]).astype(float)
    f["invoices_due"] = due.fillna(0)
    f["on_time_share"] = pd.to_numeric(base["invoices_on_time"]).astype(float) / due.where(due > 0)
    f["mean_days_late"] = pd.to_numeric(base["mean_days_late"]).astype(float)
    f["active_quarters"] = pd.to_numeric(base["active_quarters"]).fillna(0)
    seconds["summary in pandas"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    scores = score_purchases(
        f[["frequency", "recency", "T", "monetary_value"]],
        horizon_months=settings.value.clv_horizon_months,
        annual_discount_rate=settings.value.annual_discount_rate,
        time_unit_days=unit,
        pareto_nbd_sample=pareto_nbd_sample,
        seed=seed,
    )
    for col in scores.frame.columns:
        f[col] = scores.frame[col]
    models: dict[str, ModelReport] = dict(scores.reports)
    seconds["purchase models"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    chains = renewal_chains(contracts, as_of, settings.churn.grace_days)
    sbg, models["sbg"] = fit_retention(chains)
    per_customer = contract_values(chains, sbg, settings.value.annual_discount_rate)
    for col in per_customer.columns:
        f[col] = f["customer_id"].map(per_customer[col])
    seconds["contracts"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    flags = core_flags(f, settings)
    f["core"] = flags["core"]
    f["core_reason"] = flags["core_reason"]
    frame = _typed(f[list(COLUMNS)])
    seconds["core flag"] = time.perf_counter() - t0
    return ValueTable(frame, models, seconds)


def _typed(f: pd.DataFrame) -> pd.DataFrame:
    """Give every column its declared type (nullable integers and booleans)."""
    out = {}
    for col, kind in COLUMNS.items():
        s = f[col]
        if kind == "int":
            out[col] = pd.to_numeric(s).round().astype("Int64")
        elif kind == "float":
            out[col] = pd.to_numeric(s).astype(float)
        elif kind == "bool":
            out[col] = s.astype("boolean")
        elif kind == "date":
            out[col] = pd.to_datetime(s)
        else:
            out[col] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out, index=f.index)
