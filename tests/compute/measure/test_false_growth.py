"""False growth (虚假增长) on hand-built sales: never when revenue fell, never on a seasonal swing,
and found when a price rise holds revenue up while units fall — with and without seasonality."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from measure_rows import D, tx

from churnguard.compute.measure.price_volume import price_volume, seasonality

#: customers buying in each calendar month and units each buys, the same every year: a quiet
#: February, a busy year end, and an August when fewer customers buy more each (revenue up on
#: July while customers fall — what a previous-month comparison took for false growth)
CUSTOMERS = {1: 8, 2: 4, 3: 8, 4: 8, 5: 9, 6: 9, 7: 10, 8: 7, 9: 8, 10: 10, 11: 12, 12: 12}
UNITS = {1: 2.0, 2: 3.0, 3: 2.0, 4: 2.0, 5: 2.0, 6: 2.0, 7: 2.0, 8: 3.0, 9: 2.0, 10: 2.0, 11: 2.0, 12: 2.0}


def seasonal_sales(years=(2022, 2023, 2024), *, change_from: date | None = None, price_after: float = 10.0,
                   units_factor: float = 1.0) -> list[dict]:
    """Three years of the same seasonal pattern at 10 a unit; from ``change_from`` on, each
    customer pays ``price_after`` a unit and buys ``units_factor`` times the units."""
    rows = []
    for y in years:
        for m in range(1, 13):
            day = date(y, m, 10)
            after = change_from is not None and day >= change_from
            price, factor = (price_after, units_factor) if after else (10.0, 1.0)
            for c in range(CUSTOMERS[m]):
                q = UNITS[m] * factor
                rows.append(tx(f"c{c:02d}", day.isoformat(), round(q * price, 2), q))
    return rows


def flat_sales(quarters: list[tuple[int, float, float]], year: int = 2024) -> list[dict]:
    """One row per customer per quarter: ``(customers, units each, price a unit)`` per quarter."""
    rows = []
    for i, (n, units, price) in enumerate(quarters):
        day = date(year, 3 * i + 2, 15).isoformat()
        rows += [tx(f"c{c:02d}", day, round(units * price, 2), units) for c in range(n)]
    return rows


def test_revenue_that_fell_is_never_false_growth(engine):
    # Q1 → Q2: revenue -0.9% (10 customers x 10 units x 10 → 9 x 10.9 x 10.1): a small fall, units and
    # customers down; the old rule (revenue "holds" within 2%) warned here
    src = engine(transactions=flat_sales([(10, 10.0, 10.0), (9, 10.9, 10.1)]))
    frame = price_volume(src, as_of=D("2024-06-30"), period="quarter")
    row = frame.iloc[1]
    assert row.revenue_growth == pytest.approx(9 * 10.9 * 10.1 / 1000 - 1)
    assert row.revenue_growth < 0 and row.units_growth < 0 and row.customers_growth < 0
    assert row.comparison == "previous" and row.warning is None


def test_flat_revenue_on_fewer_units_after_a_price_rise_is_false_growth(engine):
    # no seasonality (half a year of data): against the previous quarter, price +25%, units -20%
    src = engine(transactions=flat_sales([(10, 10.0, 10.0), (10, 8.0, 12.5)]))
    frame = price_volume(src, as_of=D("2024-06-30"), period="quarter")
    assert frame.attrs["seasonality"]["seasonal"] is False
    row = frame.iloc[1]
    assert row.revenue_growth == pytest.approx(0.0)
    assert (row.comparison, row.compared_with) == ("previous", D("2024-01-01"))
    assert "false growth" in row.warning and "units -20.0%" in row.warning and "previous quarter" in row.warning
    assert frame.iloc[0].comparison is None and frame.iloc[0].warning is None


def test_a_seasonal_swing_is_not_false_growth(engine):
    src = engine(transactions=seasonal_sales())
    frame = price_volume(src, as_of=D("2024-12-31"), period="month")
    season = frame.attrs["seasonality"]
    assert season["seasonal"] is True and season["months"] == 35  # the first month, begun on the 10th, is left out
    assert season["lag12_correlation"]["customers"] > 0.9
    assert frame.attrs["comparison"] == "year_before"
    # every August revenue rises on July while fewer customers buy: a swing, the same each year
    aug = frame[frame["period_start"] == D("2024-08-01")].iloc[0]
    assert aug.revenue_change > 0 and aug.customers < frame[frame["period_start"] == D("2024-07-01")].iloc[0].customers
    assert frame["warning"].isna().all()
    judged = frame[frame["comparison"].notna()]
    assert (judged["comparison"] == "year_before").all()
    assert judged["period_start"].min() == D("2023-01-01")  # the first year has no year before
    assert (judged["compared_with"] == judged["period_start"].map(lambda d: d.replace(year=d.year - 1))).all()


def test_a_price_rise_in_seasonal_sales_is_found_against_the_year_before(engine):
    # from June 2024: price 10 → 12 a unit, units × 0.9: revenue +8% on the year before, units -10%
    src = engine(transactions=seasonal_sales(change_from=date(2024, 6, 1), price_after=12.0, units_factor=0.9))
    months = price_volume(src, as_of=D("2024-12-31"), period="month")
    flagged = months.loc[months["warning"].notna(), "period_start"].tolist()
    assert flagged == [date(2024, m, 1) for m in range(6, 13)]
    june = months[months["period_start"] == D("2024-06-01")].iloc[0]
    assert june.revenue_growth == pytest.approx(0.08) and june.units_growth == pytest.approx(-0.1)
    assert "same month a year before" in june.warning and "units -10.0%" in june.warning
    quarters = price_volume(src, as_of=D("2024-12-31"), period="quarter")
    assert quarters.attrs["comparison"] == "year_before"
    # Q2 holds June: revenue up and units down on Q2 2023 as well
    assert quarters.loc[quarters["warning"].notna(), "period_start"].tolist() == [
        D("2024-04-01"), D("2024-07-01"), D("2024-10-01")]


def test_seasonal_sales_whose_revenue_fell_are_not_false_growth(engine):
    # from June 2024: price 10 → 10.89, units × 0.9: revenue -2% on the year before
    src = engine(transactions=seasonal_sales(change_from=date(2024, 6, 1), price_after=10.89, units_factor=0.9))
    frame = price_volume(src, as_of=D("2024-12-31"), period="month")
    june = frame[frame["period_start"] == D("2024-06-01")].iloc[0]
    assert june.revenue_growth == pytest.approx(-0.02, abs=1e-3) and june.units_growth < 0
    assert frame["warning"].isna().all()


def test_seasonality_needs_two_years_and_a_yearly_pattern():
    rng = np.random.default_rng(7)
    n = 36
    t = np.arange(n)
    noise = pd.DataFrame({c: 1000 * np.exp(0.02 * t + rng.normal(0, 0.1, n)) for c in ("revenue", "units", "customers")})
    got = seasonality(noise)
    assert got["seasonal"] is False and got["months"] == n
    wave = noise.mul(1 + 0.4 * np.sin(2 * np.pi * t / 12), axis=0)
    got = seasonality(wave)
    assert got["seasonal"] is True and got["lag12_correlation"]["revenue"] > 0.5
    short = seasonality(wave.iloc[:23])
    assert short["seasonal"] is False and short["lag12_correlation"]["revenue"] is None
