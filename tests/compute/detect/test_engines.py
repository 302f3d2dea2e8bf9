"""The same features, signals and labels on DuckDB and PostgreSQL (one Ibis expression, two engines)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from tests.simulated import load_tables

from churnguard.compute.detect import Records, lost_within
from churnguard.compute.predict import features_as_of
from churnguard.simulate import simulate
from churnguard.store import Workspace


@pytest.mark.postgres
def test_duckdb_and_postgres_agree(tmp_path, pg_url):
    sim = simulate(customers=300, months=18, seed=13)
    results = []
    for name, url in (("duck", None), ("pg", pg_url)):
        ws = Workspace.init(tmp_path / name, database_url=url)
        try:
            load_tables(ws, sim.tables)
            records = Records.from_store(ws.store)
            fs = features_as_of(records, ws.settings, date(2026, 5, 31))
            part = features_as_of(records, ws.settings, date(2026, 5, 31), sample=0.5, seed=1)
            labels = lost_within(records, ws.settings.churn, date(2026, 5, 31), 90).to_pandas()
            results.append((fs, part, labels.set_index("customer_id")["lost"].sort_index()))
        finally:
            ws.close()
    (duck, duck_part, duck_y), (pg, pg_part, pg_y) = results
    pd.testing.assert_frame_equal(duck.X.sort_index(), pg.X.sort_index(), check_exact=False, rtol=1e-9)
    pd.testing.assert_series_equal(duck.signals["signals"].sort_index(), pg.signals["signals"].sort_index())
    pd.testing.assert_series_equal(duck_y, pg_y)
    assert len(duck_part.X) > 50
    # the engines hash differently, so their samples differ; each is the full profile of its sample
    for fs, part in ((duck, duck_part), (pg, pg_part)):
        pd.testing.assert_frame_equal(part.X.sort_index(), fs.X.loc[part.X.index].sort_index(), check_exact=False,
                                      rtol=1e-9)
