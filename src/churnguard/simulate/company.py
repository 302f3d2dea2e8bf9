"""The company being simulated: its calendar, catalogue, parameters and dated events.

Everything here is company-level (the same for every customer): the day grid, the daily
purchase intensity (seasonality), the product catalogue, the price rise, the rival's
promotion window and the service incidents. Per-customer hidden state lives in
:mod:`churnguard.simulate.population`.

Days are held as integer offsets from the first simulated day (``day 0 = start``) so that
the vectorised code works on ``int32`` arrays; they become dates only in
:mod:`churnguard.simulate.records`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

#: The default last simulated day: fixed, never "today", so one seed always gives one data set.
DEFAULT_END = dt.date(2026, 9, 30)

#: Chinese New Year (春节) dates; orders dip around them.
CHINESE_NEW_YEAR = (
    dt.date(2019, 2, 5),
    dt.date(2020, 1, 25),
    dt.date(2021, 2, 12),
    dt.date(2022, 2, 1),
    dt.date(2023, 1, 22),
    dt.date(2024, 2, 10),
    dt.date(2025, 1, 29),
    dt.date(2026, 2, 17),
    dt.date(2027, 2, 6),
    dt.date(2028, 1, 26),
    dt.date(2029, 2, 13),
    dt.date(2030, 2, 3),
)

REGIONS = ("华东", "华北", "华南", "西南", "华中", "东北", "西北")
REGION_WEIGHTS = (0.30, 0.20, 0.20, 0.10, 0.10, 0.05, 0.05)
SEGMENTS = ("制造业", "批发", "零售", "餐饮", "电商")
SEGMENT_WEIGHTS = (0.35, 0.25, 0.20, 0.10, 0.10)
CSMS = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊")


@dataclass(frozen=True)
class Product:
    """One catalogue item: list price before the price rise and its gross margin."""

    name: str
    category: str
    price: float
    margin: float
    weight: float


#: The catalogue. Margins differ by product so that margin analyses are not a constant.
CATALOGUE = (
    Product("工业润滑油 L-100", "润滑油", 86.0, 0.32, 0.16),
    Product("液压油 H-46", "润滑油", 120.0, 0.28, 0.10),
    Product("齿轮油 G-220", "润滑油", 150.0, 0.35, 0.06),
    Product("空气滤芯 AF-2", "滤材", 45.0, 0.42, 0.14),
    Product("机油滤芯 OF-7", "滤材", 38.0, 0.45, 0.12),
    Product("O型密封圈套装", "密封件", 22.0, 0.55, 0.10),
    Product("机械密封 MS-30", "密封件", 310.0, 0.30, 0.04),
    Product("扭力扳手 TW-5", "工具", 260.0, 0.25, 0.05),
    Product("工具套装 TS-88", "工具", 480.0, 0.22, 0.03),
    Product("劳保手套(箱)", "劳保用品", 65.0, 0.38, 0.12),
    Product("安全鞋", "劳保用品", 190.0, 0.33, 0.05),
    Product("清洗剂 CL-1", "化学品", 55.0, 0.40, 0.03),
)


@dataclass(frozen=True)
class Params:
    """Mechanism parameters of the simulated company; every field has a working default.

    Rates are per month unless named otherwise. They set how strong each mechanism is;
    they were chosen to look like a B2B distributor, not to make any later model look good.
    """

    existing_share: float = 0.70  # customers already buying on the first day
    key_share: float = 0.10  # key accounts (大客户)
    contractual_share: float = 0.30  # customers with annual contracts
    group_share: float = 0.20  # customers that belong to a group of related customers
    price_sensitive_share: float = 0.35
    promo_susceptible_share: float = 0.25
    # purchases: gamma-distributed orders per year (BG/NBD's lambda), key accounts more
    rate_shape: float = 1.6
    rate_mean_regular: float = 4.0
    rate_mean_key: float = 12.0
    # BG/NBD dropout: after each order a chance p ~ Beta(a, b) to become inactive
    dropout_a: float = 1.2
    dropout_b: float = 60.0
    # background hazard (per month) of contractual customers, by reason
    background_hazard: float = 0.006
    # satisfaction (hidden, 1–5)
    satisfaction_mean: float = 3.9
    satisfaction_sd: float = 0.5
    shock_decay: float = 0.8  # share of a satisfaction shock left one month later
    dissatisfied_below: float = 3.0
    service_hazard: float = 0.15  # × (threshold − satisfaction)^1.5
    complaint_share: float = 0.04  # of dissatisfied customers who ever complain (DESIGN.md)
    # price rise
    price_rise: float = 0.12
    price_rise_months_before_end: int = 8
    price_units_factor: tuple[float, float] = (0.78, 0.92)  # sensitive customers' units after
    price_hazard: float = 0.02
    price_partial_hazard: float = 0.02
    # rival promotion
    promo_months: int = 2
    promo_hazard: float = 0.05
    promo_partial_hazard: float = 0.07
    # partial defection: spend with us falls to this share of baseline
    partial_share: tuple[float, float] = (0.30, 0.60)
    # chain defection (连锁跳槽)
    chain_hazard: float = 0.07
    chain_months: int = 6
    # incidents
    incidents: int = 3
    incident_shock: tuple[float, float] = (0.8, 2.0)
    # disengagement before leaving: days of fading contact / slower buying
    fade_days: tuple[int, int] = (30, 90)
    # surveys: share of living customers asked each quarter
    survey_share: float = 0.08
    # recorded churn reasons: share of defectors interviewed, and how often they say the truth
    interview_share_complete: float = 0.35
    interview_share_partial: float = 0.12
    interview_truthful: float = 0.7
    # interactions per month (regular, key) by kind
    contact_rates: dict = field(
        default_factory=lambda: {
            "visit": (0.02, 0.6),
            "call": (0.10, 1.0),
            "message": (0.15, 0.8),
            "email_open": (0.35, 0.6),
            "social_like": (0.10, 0.1),
        }
    )


@dataclass
class Calendar:
    """The day grid of one simulation.

    Attributes
    ----------
    start, end : datetime.date
        First and last simulated day.
    days : int
        Number of simulated days.
    month_starts : numpy.ndarray
        Day offset of the first day of each calendar month, plus ``days`` at the end.
    intensity : numpy.ndarray
        Relative purchase intensity per day (mean 1 over a year): Q4 high, Chinese New
        Year low, weekends low (most customers are businesses).
    cum_intensity : numpy.ndarray
        ``cum_intensity[d]`` = sum of ``intensity`` over days before ``d`` (length days+1),
        so expected counts and day draws over any interval are one subtraction and one
        ``searchsorted``.
    """

    start: dt.date
    end: dt.date
    days: int
    month_starts: np.ndarray
    intensity: np.ndarray
    cum_intensity: np.ndarray

    def day(self, date: dt.date) -> int:
        """Return the day offset of ``date``."""
        return (date - self.start).days

    def date(self, day: int) -> dt.date:
        """Return the date of day offset ``day``."""
        return self.start + dt.timedelta(days=int(day))

    def draw_days(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Draw one day in ``[lo, hi]`` for each element, following the daily intensity."""
        c = self.cum_intensity
        u = c[lo] + rng.random(len(lo)) * (c[hi + 1] - c[lo])
        day = np.searchsorted(c, u, side="right") - 1
        return np.clip(day, lo, hi).astype(np.int32)

    def mass(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Return the intensity summed over ``[lo, hi]`` (zero where ``hi < lo``)."""
        c = self.cum_intensity
        return np.where(hi >= lo, c[np.maximum(hi, lo - 1) + 1] - c[lo], 0.0)


def build_calendar(months: int, end: dt.date) -> Calendar:
    """Build the day grid ending on ``end`` and covering ``months`` calendar months.

    The span starts on the day after the same day ``months`` months before ``end``
    (``end=2026-09-30, months=24`` → ``2024-10-01``).
    """
    start = _add_months(end, -months) + dt.timedelta(days=1)
    days = (end - start).days + 1
    dates = np.datetime64(start, "D") + np.arange(days)
    months_of = dates.astype("datetime64[M]")
    month_starts = np.flatnonzero(np.r_[True, months_of[1:] != months_of[:-1]])
    month_starts = np.r_[month_starts, days].astype(np.int32)

    month_num = (months_of.astype(int) % 12) + 1
    # seasonality: year-end stocking up in Q4, a summer lull in July–August
    season = np.array([1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 0.9, 0.88, 1.0, 1.15, 1.25, 1.2])
    intensity = season[month_num - 1].copy()
    # Chinese New Year: factories and shops close for about two weeks
    cny = np.array([np.datetime64(d, "D") for d in CHINESE_NEW_YEAR])
    offset = (dates[:, None] - cny[None, :]).astype(int)
    near = np.abs(offset).min(axis=1)
    signed = offset[np.arange(days), np.abs(offset).argmin(axis=1)]
    intensity[(signed >= -5) & (signed <= 10)] *= 0.25
    intensity[(near > 5) & (signed < 0) & (signed >= -20)] *= 1.3  # stocking up before the holiday
    weekday = (dates.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
    intensity[weekday >= 5] *= 0.3
    # normalise by a typical year (not by this span) so that rates stay "per year"
    intensity /= season.mean() * (5 + 2 * 0.3) / 7
    cum = np.r_[0.0, np.cumsum(intensity)]
    return Calendar(start, end, days, month_starts, intensity, cum)


def _add_months(date: dt.date, months: int) -> dt.date:
    """Return ``date`` moved by ``months`` calendar months (day clipped to the month's end)."""
    m = date.month - 1 + months
    year, month = date.year + m // 12, m % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(date.day, last))


def build_events(cal: Calendar, params: Params, rng: np.random.Generator, months: int) -> dict:
    """Place the company-level events inside the span.

    Returns
    -------
    dict
        ``price_rise_at`` (date), ``price_rise`` (fraction per product name),
        ``promo_window`` (first and last day), ``incidents`` (list of windows with the
        share of customers affected and the region hit hardest), ``chinese_new_year``.
    """
    n_months = len(cal.month_starts) - 1
    rise_month = max(1, n_months - params.price_rise_months_before_end)
    if months < 12:
        rise_month = max(1, n_months // 2)
    price_rise_day = int(cal.month_starts[rise_month])
    rise = {p.name: float(round(params.price_rise + rng.uniform(-0.02, 0.03), 3)) for p in CATALOGUE}

    promo_month = min(n_months - 1, max(1, round(n_months * 19 / 24)))
    promo_end_month = min(n_months, promo_month + params.promo_months)
    promo = (int(cal.month_starts[promo_month]), int(cal.month_starts[promo_end_month]) - 1)

    incidents = []
    fractions = np.linspace(0.2, 0.85, params.incidents) if params.incidents else []
    for f in fractions:
        first = int(f * cal.days + rng.integers(-20, 20))
        first = int(np.clip(first, 0, cal.days - 1))
        last = int(min(cal.days - 1, first + rng.integers(7, 25)))
        incidents.append(
            {
                "start": cal.date(first),
                "end": cal.date(last),
                "share": float(round(rng.uniform(0.06, 0.14), 3)),
                "region": REGIONS[int(rng.integers(len(REGIONS)))],
            }
        )
    return {
        "start": cal.start,
        "end": cal.end,
        "price_rise_at": cal.date(price_rise_day),
        "price_rise": rise,
        "promo_window": (cal.date(promo[0]), cal.date(promo[1])),
        "incidents": incidents,
        "chinese_new_year": [d for d in CHINESE_NEW_YEAR if cal.start <= d <= cal.end],
    }
