"""One parity suite: DuckDB, PostgreSQL and Spark give identical tables on the same data.

The data is a small seeded company (non-contractual buyers with gaps and returns,
contracts with renewals, gaps, cancellations). Amounts are multiples of 0.25, so sums are
exact in binary floating point whatever order an engine adds them in, and tables must
match exactly. DuckDB's figures are checked by hand elsewhere (test_churn_rate.py …).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from measure_rows import D, load_store, write_parquet

from churnguard.compute.measure import churn_rate, customer_spells, parse_window
from churnguard.compute.measure.cohorts import cohorts
from churnguard.compute.measure.compare import compare
from churnguard.compute.measure.price_volume import price_volume
from churnguard.compute.measure.retention import retention
from churnguard.settings import ChurnSettings

AS_OF = D("2024-12-31")


def company(seed: int = 7, n: int = 60) -> dict[str, list[dict]]:
    """A small seeded company: rows of customers, transactions and contracts."""
    rng = np.random.default_rng(seed)
    start = date(2023, 1, 1)
    customers, transactions, contracts = [], [], []
    for i in range(n):
        cid = f"C{i:03d}"
        customers.append({"customer_id": cid, "segment": ["retail", "wholesale", None][i % 3],
                          "region": ["north", "south"][i % 2], "customer_type": "key" if i % 5 == 0 else "regular",
                          "csm": f"m{i % 4}"})
        if i % 4 == 0:  # contractual: a chain of yearly-ish contracts with gaps and cancellations
            day = start + timedelta(days=int(rng.integers(0, 300)))
            for j in range(int(rng.integers(1, 4))):
                length = int(rng.integers(90, 400))
                end = day + timedelta(days=length)
                cancelled = day + timedelta(days=length // 2) if rng.random() < 0.15 else None
                contracts.append({"contract_id": f"{cid}-{j}", "customer_id": cid, "start_at": day, "end_at": end,
                                  "recurring_value": float(rng.integers(4, 40) * 100), "cancelled_at": cancelled})
                day = end + timedelta(days=int(rng.choice([0, 0, 1, 5, 40])))
        else:
            day = start + timedelta(days=int(rng.integers(0, 500)))
            mean_gap = int(rng.choice([15, 40, 80]))
            while day <= date(2025, 2, 1):
                qty = float(rng.integers(1, 6))
                price = float(rng.integers(8, 16)) * 0.25 * 4
                amount = qty * price * (-1 if rng.random() < 0.05 else 1)
                transactions.append({"customer_id": cid, "occurred_at": day, "amount": amount,
                                     "quantity": None if rng.random() < 0.05 else qty})
                day += timedelta(days=int(rng.exponential(mean_gap)) + 1)
    return {"customers": customers, "transactions": transactions, "contracts": contracts}


DATA = company()


def computations(src) -> dict[str, pd.DataFrame]:
    """Every measure on ``src``, as small pandas frames."""
    fixed = ChurnSettings(threshold_days=60, grace_days=3)
    auto = ChurnSettings(threshold_days="auto", auto_percentile=0.9)
    spells = customer_spells(src, fixed, AS_OF).to_pandas()
    spells = spells.sort_values(["customer_id", "spell_no"]).reset_index(drop=True)
    spells["lost_at"] = pd.to_datetime(spells["lost_at"])
    spells["active_from"] = pd.to_datetime(spells["active_from"])
    frames = {
        "spells": spells,
        "churn_quarter": churn_rate(src, fixed, as_of=AS_OF, period="quarter"),
        "churn_month_auto": churn_rate(src, auto, as_of=AS_OF, period="month", start=D("2024-01-01")),
        "churn_value_segment": churn_rate(src, fixed, as_of=AS_OF, basis="value", by="segment"),
        "churn_recurring": churn_rate(src, fixed, as_of=AS_OF, basis="recurring", period="year"),
        "cohorts": cohorts(src, fixed, as_of=AS_OF, period="quarter"),
        "cohorts_revenue": cohorts(src, fixed, as_of=AS_OF, period="quarter", basis="revenue"),
        "retention": retention(src, fixed, as_of=AS_OF),
        "price_volume": price_volume(src, as_of=AS_OF, period="quarter"),
        "compare": compare(src, fixed, at=D("2024-07-01"), window=parse_window("2q"), as_of=AS_OF)[0],
    }
    return frames


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The DuckDB figures that every engine must reproduce."""
    from churnguard.store import Store

    store = Store(f"duckdb:///{tmp_path_factory.mktemp('ref') / 'ref.duckdb'}")
    store.ensure_tables()
    try:
        return computations(load_store(store, DATA))
    finally:
        store.close()


def test_the_reference_data_exercises_every_case(reference):
    spells = reference["spells"]
    assert (spells.spell_no > 1).any(), "reactivations"
    assert spells.lost_at.isna().any() and spells.lost_at.notna().any()
    assert set(spells.relationship) == {"contractual", "non_contractual"}
    assert reference["price_volume"]["other_effect"].abs().sum() > 0


def test_engines_give_identical_tables(engine, reference):
    src = engine(**DATA)
    got = computations(src)
    for name, frame in reference.items():
        pd.testing.assert_frame_equal(got[name], frame, check_exact=True, obj=f"{name} on {engine.name}")


@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_through_the_service(spark_con, tmp_path, reference):
    """``churnguard churn-rate --engine spark --data DIR`` reads Parquet files with Spark."""
    from churnguard.service.context import open_context
    from churnguard.service.measure import ChurnRateOptions
    from churnguard.service.measure import churn_rate as svc_churn_rate
    from churnguard.settings import Settings, render_settings
    from churnguard.store import parquet_url

    folder = write_parquet(tmp_path / "data", DATA)
    ws = tmp_path / "ws"
    ws.mkdir()
    settings = Settings()
    settings.churn.threshold_days = 60
    settings.churn.grace_days = 3
    (ws / "churnguard.toml").write_text(render_settings(settings), encoding="utf-8")
    with open_context(ws, as_of=AS_OF, records_url=parquet_url(folder)) as ctx:
        result = svc_churn_rate(ctx, ChurnRateOptions())
    # the service adds history_complete (a flag on the figures, not a figure) and reactivated_per_lost
    # (reactivated ÷ lost, from the figures) to the computation
    assert result.frame["history_complete"].dtype == bool
    frame = result.frame
    losses = frame["customers_at_start"] + frame["customers_acquired"] + frame["reactivated"] - frame["customers_at_end"]
    ratio = (frame["reactivated"] / losses).where(losses > 0)
    np.testing.assert_allclose(frame["reactivated_per_lost"].astype(float), ratio.astype(float), rtol=1e-9)
    pd.testing.assert_frame_equal(frame.drop(columns=["history_complete", "reactivated_per_lost"]),
                                  reference["churn_quarter"],
                                  check_exact=True)
    assert result.to_dict()["definition"]["engine"] == "pyspark"
