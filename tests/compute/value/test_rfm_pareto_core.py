"""RFM scores and segments, Pareto position, and the core-customer flag with its explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.compute.value.core import core_flags
from churnguard.compute.value.pareto import concentration, pareto_position
from churnguard.compute.value.rfm import SEGMENT_OF, quintile_score, rfm_table
from churnguard.settings import Settings
from churnguard.vocab import RFM_SEGMENTS


def test_quintiles_of_distinct_values_are_equal_fifths():
    scores = quintile_score(np.arange(100))
    assert np.bincount(scores, minlength=6)[1:].tolist() == [20, 20, 20, 20, 20]
    assert quintile_score(np.arange(100), higher_is_better=False)[0] == 5


def test_ties_share_a_score_and_missing_values_score_zero():
    values = np.array([1, 1, 1, 1, 1, 1, 2, 2, 3, 9, np.nan])
    scores = quintile_score(values)
    assert scores.tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5, 0]  # 6 of 10 below 2, 8 below 3


def test_every_segment_is_a_vocabulary_key_and_all_eight_occur():
    assert set(SEGMENT_OF.values()) == set(RFM_SEGMENTS)
    rng = np.random.default_rng(0)
    n = 2000
    t = rfm_table(
        pd.Series(rng.integers(0, 400, n)),
        pd.Series(rng.integers(1, 20, n)),
        pd.Series(rng.gamma(2.0, 50.0, n)),
    )
    assert set(t["rfm_segment"]) == set(RFM_SEGMENTS)
    high = (t[["r_score", "f_score", "m_score"]] >= 3).to_numpy()
    for (r, f, m), key in SEGMENT_OF.items():
        rows = t["rfm_segment"] == key
        assert (high[rows] == [r, f, m]).all()


def test_rfm_segments_by_hand():
    """Recent, frequent, big spender: 重要价值; lapsed big spender who bought once: 重要挽留."""
    t = rfm_table(
        pd.Series([3.0, 300.0, 5.0, 400.0, 20.0, np.nan]),
        pd.Series([9.0, 1.0, 1.0, 8.0, 2.0, np.nan]),
        pd.Series([5000.0, 4000.0, 10.0, 20.0, 3000.0, np.nan]),
    )
    assert t["rfm_segment"].tolist()[:5] == [
        "important_value",
        "important_winback",
        "general_development",
        "general_retention",
        "important_value",
    ]
    assert t["rfm_segment"].iloc[5] is None and t["r_score"].iloc[5] == 0


def test_pareto_top_is_the_smallest_set_reaching_the_share():
    values = pd.Series([10.0, 40.0, 0.0, 30.0, 20.0, -5.0])
    p = pareto_position(values, 0.7)
    assert p["rank"].tolist() == [4, 1, 5, 2, 3, 6]
    assert p["top"].tolist() == [False, True, False, True, False, False]  # 0.4 + 0.3 = 0.7
    assert p["cumulative_share"].max() == pytest.approx(1.0)
    # ties are ranked by the given order (customer_id order in the value table)
    p = pareto_position(pd.Series([5.0, 5.0]), 0.5, tie_order=np.array([1, 0]))
    assert p["rank"].tolist() == [2, 1] and p["top"].tolist() == [False, True]
    assert pareto_position(pd.Series([5.0, 5.0]), 0.5)["rank"].tolist() == [1, 2]
    c = concentration(values, 0.7)
    assert (c["customers_with_value"], c["customers_making_share"], c["customer_share"]) == (4, 2, 0.5)
    assert concentration(pd.Series([0.0, -1.0]), 0.8)["customer_share"] == 0.0


def _table(**over) -> pd.DataFrame:
    row = dict(
        revenue=1000.0,
        revenue_rank=1,
        pareto_top=True,
        tenure_days=1534,
        active_quarters=4,
        invoices_due=25,
        on_time_share=0.96,
    )
    row.update(over)
    return pd.DataFrame([row])


@pytest.mark.parametrize(
    ("language", "core_text"),
    [
        ("zh", "前2%收入贡献, 合作4.2年, 近4季度4季有购买, 按时付款率96%"),
        ("en", "top 2% of revenue, 4.2 years, bought in 4 of the last 4 quarters, 96% paid on time"),
    ],
)
def test_core_explanations_in_the_workspace_language(language, core_text):
    settings = Settings(language=language)
    others = _table(revenue=1.0, pareto_top=False, revenue_rank=50)
    frame = pd.concat([_table(), *[others] * 49], ignore_index=True)  # rank 1 of 50: the top 2%
    flags = core_flags(frame, settings)
    assert bool(flags["core"].iloc[0]) and flags["core_reason"].iloc[0] == core_text


def test_not_core_names_each_missed_criterion():
    settings = Settings(language="en")
    frame = pd.concat(
        [
            _table(tenure_days=146, on_time_share=0.62),
            _table(pareto_top=False, revenue_rank=2, active_quarters=1),
            _table(revenue=0.0, pareto_top=False, revenue_rank=3, invoices_due=0, on_time_share=np.nan),
            _table(invoices_due=0, on_time_share=np.nan),
        ],
        ignore_index=True,
    )
    flags = core_flags(frame, settings)
    assert flags["core"].tolist() == [False, False, False, True]
    reasons = flags["core_reason"].tolist()
    assert reasons[0] == "not core: only 0.4 years (needs ≥ 1.0), 62% paid on time (needs ≥ 90%)"
    assert reasons[1] == (
        "not core: revenue rank 2 of 4, outside the customers making 80% of revenue, "
        "bought in only 1 of the last 4 quarters (needs ≥ 3)"
    )
    assert reasons[2] == "not core: no revenue in the last 365 days"
    assert reasons[3].endswith("no invoices due")  # not judged on payment
    zh = core_flags(frame, Settings(language="zh"))["core_reason"].tolist()
    assert zh[0] == "非核心: 合作仅0.4年(需≥1.0年), 按时付款率62%(需≥90%)"


def test_core_explanation_in_a_chosen_language_and_rank_base() -> None:
    """A page explains a few stored rows in the reader's language, ranks out of the whole table."""
    import pandas as pd

    from churnguard.settings import Settings

    rows = pd.DataFrame({"revenue": [5000.0, 10.0], "revenue_rank": [3, 180], "pareto_top": [True, False],
                         "tenure_days": [900, 900], "active_quarters": [4, 4], "invoices_due": [10, 0],
                         "on_time_share": [1.0, None]})
    settings = Settings(language="zh")
    zh = core_flags(rows, settings, customers=200)
    en = core_flags(rows, settings, language="en", customers=200)
    assert list(zh["core"]) == list(en["core"]) == [True, False]
    assert zh["core_reason"][0].startswith("前2%收入贡献")
    assert en["core_reason"][0].startswith("top 2% of revenue")
    assert en["core_reason"][1].startswith("not core: revenue rank 180 of 200")
