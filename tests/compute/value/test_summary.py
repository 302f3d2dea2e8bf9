"""The per-customer summary from raw records (Ibis), on DuckDB and PostgreSQL alike."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from tests.compute.value import shop
from tests.compute.value.conftest import CALIBRATION_END, CDNOW_FILE, load_cdnow

from churnguard.compute.value.summary import customer_base


def _base(ws, as_of, window_days=365) -> pd.DataFrame:
    s = ws.store
    expr = customer_base(
        s.table("transactions"), s.table("contracts"), s.table("customers"), as_of, window_days=window_days
    )
    return expr.to_pandas().set_index("customer_id").sort_index()


def cdnow_lines() -> pd.DataFrame:
    """CDNOW purchase lines as a user would import them (one line per purchase record)."""
    raw = pd.read_csv(
        CDNOW_FILE,
        sep=r"\s+",
        header=None,
        dtype={"date": str, "customer": str},
        names=["master_id", "customer", "date", "cds", "amount"],
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer"],
            "occurred_at": pd.to_datetime(raw["date"], format="%Y%m%d").dt.date,
            "amount": raw["amount"],
            "quantity": raw["cds"].astype(float),
        }
    )


def test_cdnow_summary_matches_the_lifetimes_conventions(workspace):
    """The BTYD summary built inside the engine from the 6,919 raw CDNOW lines equals the pandas
    reference of ``conftest.load_cdnow`` (lifetimes' ``summary_data_from_transaction_data``
    conventions: same-day purchases combined, daily periods, ages in weeks = days / 7), and has
    the 2,457 calibration repeat transactions of Fader, Hardie & Lee (2005), Figure 3."""
    shop.load_frame(workspace, "transactions", cdnow_lines())
    base = _base(workspace, CALIBRATION_END.date())
    ref = load_cdnow().summary
    base.index = base.index.astype(int)
    assert list(base.index) == list(ref.index)
    frequency = base["purchase_days"] - 1
    np.testing.assert_array_equal(frequency, ref["frequency"])
    np.testing.assert_allclose((base["age_first"] - base["age_last"]) / 7.0, ref["recency"], atol=1e-12)
    np.testing.assert_allclose(base["age_first"] / 7.0, ref["T"], atol=1e-12)
    monetary = (base["repeat_spend"] / frequency.where(frequency > 0)).fillna(0.0)
    np.testing.assert_allclose(monetary, ref["monetary_value"], rtol=1e-12, atol=1e-9)
    assert int(frequency.sum()) == 2457


def test_hand_built_shop(workspace):
    """Each figure of the tiny shop, worked out by hand (see ``tests/compute/value/shop.py``)."""
    shop.load(workspace)
    b = _base(workspace, shop.AS_OF)
    assert list(b.index) == ["A", "B", "C", "D", "E"]
    a = b.loc["A"]
    assert a["purchase_days"] == 4  # the return-only day 2024-04-01 is not a purchase day
    assert (a["age_first"], a["age_last"]) == (537, 0)
    assert a["repeat_spend"] == pytest.approx(200 + 150 - 20 + 50)
    assert a["total_spend"] == pytest.approx(450.0)
    assert a["revenue"] == pytest.approx(150 - 20 - 30 + 50)  # 2023-07-02 .. 2024-06-30
    assert a["margin"] == pytest.approx(150 - 100)  # lines with a cost, in the window
    assert a["active_quarters"] == 2
    # O1 on time; the unlabelled line 10 days late; O3 unpaid (one line) and 76 days past due;
    # O4 not due yet
    assert (a["invoices_due"], a["invoices_on_time"]) == (3, 1)
    assert a["mean_days_late"] == pytest.approx((0 + 10 + 76) / 3)
    assert (b.loc["B", "purchase_days"], b.loc["B", "age_first"], b.loc["B", "age_last"]) == (1, 0, 0)
    c = b.loc["C"]
    assert (c["purchase_days"], c["age_first"], c["age_last"]) == (2, 177, 141)  # two orders, one day
    assert c["total_spend"] == pytest.approx(75.0)  # the 2024-07-05 order is after the as-of date
    assert pd.isna(c["margin"]) and pd.isna(c["invoices_due"])
    assert pd.isna(b.loc["D", "purchase_days"])  # only a contract
    e = b.loc["E"]
    assert e["purchase_days"] == 0 and pd.isna(e["first_purchase_at"]) and e["total_spend"] == -10.0


def test_a_payment_after_the_as_of_date_is_not_known(duck_workspace):
    """The unlabelled invoice of A, due 2023-07-01, is paid 2023-07-11: as of 2023-07-05 the
    payment is not known, so it is unpaid and 4 days late; as of 2023-07-20 it was paid 10 days
    late. O1 (due 2023-02-10, paid 2023-02-05) is on time throughout."""
    shop.load(duck_workspace)
    early = _base(duck_workspace, date(2023, 7, 5)).loc["A"]
    assert (early["invoices_due"], early["invoices_on_time"]) == (2, 1)
    assert early["mean_days_late"] == pytest.approx((0 + 4) / 2)
    later = _base(duck_workspace, date(2023, 7, 20)).loc["A"]
    assert later["mean_days_late"] == pytest.approx((0 + 10) / 2)
    assert pd.isna(_base(duck_workspace, date(2023, 2, 9)).loc["A", "invoices_due"])  # nothing due yet
