"""A sampled profile (training on a large base) equals the full profile of the sampled customers."""

from __future__ import annotations

from datetime import date

import pandas as pd
from tests.simulated import load_tables

from churnguard.compute.detect import Records, customer_profile
from churnguard.simulate import simulate


def test_sampled_profile_is_the_full_profile_of_the_sample(ws):
    sim = simulate(customers=600, months=18, seed=21)
    load_tables(ws, sim.tables)
    records = Records.from_store(ws.store)
    as_of = date(2026, 6, 30)
    full = customer_profile(records, ws.settings, as_of)
    part = customer_profile(records, ws.settings, as_of, sample=0.3, seed=5)
    assert 0.15 * len(full) < len(part) < 0.45 * len(full)
    # whole groups are drawn: every sampled member's group is complete
    groups = full.loc[part.index, "group_id"].dropna().unique()
    assert len(groups) > 5
    assert set(full.index[full["group_id"].isin(groups)]) <= set(part.index)
    pd.testing.assert_frame_equal(part.sort_index(), full.loc[part.index].sort_index(), check_like=True)
