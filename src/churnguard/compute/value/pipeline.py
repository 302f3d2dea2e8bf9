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
from churnguard.store.records import Records
from churnguard.vocab import RFM_SEGMENTS

#: Days per time unit of ``recency`` and ``T``.
TIME_UNITS: dict[str, float] = {"day": 1.0, "week": 7.0}

#: Gamma-Gamma is fitted on a seeded sample of this many repeat buyers when there are more.
FIT_SAMPLE = 100_000
#: Pareto/NBD is fitted on a seeded sample of this many customers when there are more.
PARETO_NBD_SAMPLE = 10_000

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


def _no_data_error(records: Records, as_of: date) -> InputError:
    firsts = []
    for table, col in (("transactions", "occurred_at"), ("contracts", "start_at")):
        value = getattr(records, table)[col].min().execute()
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
    records: Records,
    as_of: date,
    settings: Settings,
    *,
    time_unit: str = "week",
    fit_sample: int = FIT_SAMPLE,
    pareto_nbd_sample: int = PARETO_NBD_SAMPLE,
    seed: int = 0,
) -> ValueTable:
    """Compute the value table as of ``as_of``.

    Parameters
    ----------
    records : Records
        The stored records (:func:`churnguard.store.records.records_from_url`).
    as_of : datetime.date
        Everything dated on or before it is known, nothing after it.
    settings : Settings
        ``value.*``, ``churn.value_window_days`` and ``churn.grace_days``, and ``language``
        for labels and explanations.
    time_unit : {"week", "day"}
        Unit of ``recency``, ``T`` and the BTYD model parameters.
    fit_sample, pareto_nbd_sample : int
        Gamma-Gamma and Pareto/NBD are fitted on seeded random samples of at most this many
        customers (see :func:`~churnguard.compute.value.purchase.score_purchases`).
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
    base = _fetch(
        customer_base(
            records.transactions,
            records.contracts,
            records.customers,
            as_of,
            window_days=settings.churn.value_window_days,
        )
    )
    contracts = _fetch(contracts_as_of(records.contracts, as_of))
    seconds["summary query"] = time.perf_counter() - t0
    if base.empty:
        raise _no_data_error(records, as_of)

    t0 = time.perf_counter()
    if not base["customer_id"].is_monotonic_increasing:  # the engine's collation may differ
        base = base.sort_values("customer_id", kind="stable").reset_index(drop=True)
    # Engines add floats in an order that varies with parallelism, so sums of money differ in
    # their last bits from run to run. Rounded to 6 decimals they are exact and repeatable,
    # and equal spends rank (and fit) the same every time.
    for col in MONEY_SUMS:
        base[col] = _num(base[col]).round(6)
    # Columns are numpy arrays until the end (one DataFrame built once): adding 47 columns
    # to a DataFrame one by one cost seconds of block copies for 1M customers.
    c: dict[str, np.ndarray] = {"customer_id": base["customer_id"].to_numpy(dtype=object)}
    for col in ("name", "segment", "region", "customer_type"):
        c[col] = base[col].to_numpy(dtype=object)
    day = np.timedelta64(1, "D")
    as_of64 = np.datetime64(as_of, "ns")
    since = _date(base["first_record_at"])
    for col in ("acquired_at", "first_contract_at"):
        since = np.fmin(since, _date(base[col]))
    c["customer_since"] = since
    c["tenure_days"] = (as_of64 - since) / day
    c["first_purchase_at"] = _date(base["first_purchase_at"])
    c["last_purchase_at"] = _date(base["last_purchase_at"])
    purchase_days = np.nan_to_num(_num(base["purchase_days"]))
    bought = purchase_days > 0
    nan = np.nan
    age_first, age_last = _num(base["age_first"]), _num(base["age_last"])
    frequency = np.where(bought, purchase_days - 1, nan)
    c["frequency"] = frequency
    c["recency"] = np.where(bought, (age_first - age_last) / unit, nan)
    c["T"] = np.where(bought, age_first / unit, nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_repeat = base["repeat_spend"].to_numpy() / frequency
    c["monetary_value"] = np.where(bought, np.where(frequency > 0, mean_repeat, 0.0), nan)
    c["purchase_count"] = purchase_days
    c["days_since_last_purchase"] = age_last
    c["total_spend"] = np.nan_to_num(base["total_spend"].to_numpy())
    c["revenue"] = np.nan_to_num(base["revenue"].to_numpy())
    costed = np.nansum(_num(base["costed_lines"])) > 0
    c["margin"] = base["margin"].to_numpy() if costed else np.full(len(base), nan)

    rfm = rfm_table(
        pd.Series(np.where(bought, age_last, nan)),
        pd.Series(np.where(bought, purchase_days, nan)),
        pd.Series(np.where(bought, c["total_spend"], nan)),
    )
    for col in ("r_score", "f_score", "m_score", "rfm_segment"):
        c[col] = rfm[col].to_numpy()
    labels = {k: t.label(settings.language) for k, t in RFM_SEGMENTS.items()}
    c["rfm_segment_label"] = pd.Series(c["rfm_segment"]).map(labels).to_numpy(dtype=object)

    share = settings.value.pareto_share
    pareto = pareto_position(pd.Series(c["revenue"]), share)
    c["revenue_rank"] = pareto["rank"].to_numpy()
    c["revenue_share"] = pareto["share"].to_numpy()
    c["cumulative_revenue_share"] = pareto["cumulative_share"].to_numpy()
    c["pareto_top"] = pareto["top"].to_numpy()
    if costed:
        pm = pareto_position(pd.Series(c["margin"]), share)
        c["margin_share"] = pm["share"].to_numpy()
        c["cumulative_margin_share"] = pm["cumulative_share"].to_numpy()
        c["pareto_top_margin"] = pm["top"].to_numpy().astype(float)
    else:
        for col in ("margin_share", "cumulative_margin_share", "pareto_top_margin"):
            c[col] = np.full(len(base), nan)

    due = _num(base["invoices_due"])
    c["invoices_due"] = np.nan_to_num(due)
    with np.errstate(invalid="ignore", divide="ignore"):
        c["on_time_share"] = np.where(due > 0, _num(base["invoices_on_time"]) / due, nan)
    c["mean_days_late"] = _num(base["mean_days_late"])
    c["active_quarters"] = np.nan_to_num(_num(base["active_quarters"]))
    seconds["summary in pandas"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    scores = score_purchases(
        pd.DataFrame({k: c[k] for k in ("frequency", "recency", "T", "monetary_value")}),
        horizon_months=settings.value.clv_horizon_months,
        annual_discount_rate=settings.value.annual_discount_rate,
        time_unit_days=unit,
        fit_sample=fit_sample,
        pareto_nbd_sample=pareto_nbd_sample,
        seed=seed,
    )
    for col in scores.frame.columns:
        c[col] = scores.frame[col].to_numpy()
    models: dict[str, ModelReport] = dict(scores.reports)
    seconds["purchase models"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    chains = renewal_chains(contracts, as_of, settings.churn.grace_days)
    sbg, models["sbg"] = fit_retention(chains)
    per_customer = contract_values(chains, sbg, settings.value.annual_discount_rate)
    # place the contract customers' rows (few) rather than look up every customer (many)
    where = pd.Index(base["customer_id"]).get_indexer(per_customer.index)
    for col in per_customer.columns:
        values = per_customer[col].to_numpy()
        full = np.full(
            len(base),
            None if values.dtype == object else nan,
            dtype=values.dtype if values.dtype == object else float,
        )
        full[where] = values
        c[col] = full
    seconds["contracts"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    flags = core_flags(
        pd.DataFrame(
            {
                k: c[k]
                for k in (
                    "revenue",
                    "revenue_rank",
                    "pareto_top",
                    "tenure_days",
                    "active_quarters",
                    "invoices_due",
                    "on_time_share",
                )
            }
        ),
        settings,
    )
    c["core"] = flags["core"].to_numpy()
    c["core_reason"] = flags["core_reason"].to_numpy()
    frame = _typed(c)
    seconds["core flag"] = time.perf_counter() - t0
    return ValueTable(frame, models, seconds)


def _num(s: pd.Series) -> np.ndarray:
    """A column as floats (nulls as NaN)."""
    return pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan)


def _date(s: pd.Series) -> np.ndarray:
    """A date column as ``datetime64[ns]`` (nulls as NaT)."""
    return pd.to_datetime(s).to_numpy(dtype="datetime64[ns]")


def _fetch(expr) -> pd.DataFrame:
    """Run ``expr`` and convert Arrow to pandas directly (dates as datetime64): for 1M rows
    this is several seconds faster than Ibis' ``to_pandas``, which converts column by column."""
    return expr.to_pyarrow().to_pandas(date_as_object=False)


def _typed(c: dict[str, np.ndarray]) -> pd.DataFrame:
    """The value table: every column in :data:`COLUMNS` order with its declared type
    (nullable integers and booleans, NaT-able dates, object strings with None)."""
    out = {}
    for col, kind in COLUMNS.items():
        v = c[col]
        if kind in ("int", "bool"):
            values = np.asarray(v, dtype=float)
            missing = np.isnan(values)
            filled = np.where(missing, 0, values)
            out[col] = (
                pd.arrays.IntegerArray(np.round(filled).astype(np.int64), missing)
                if kind == "int"
                else pd.arrays.BooleanArray(filled.astype(bool), missing)
            )
        elif kind == "float":
            out[col] = np.asarray(v, dtype=float)
        elif kind == "date":
            out[col] = np.asarray(v, dtype="datetime64[ns]")
        else:
            out[col] = np.asarray(v, dtype=object)
    return pd.DataFrame(out)
