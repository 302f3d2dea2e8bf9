"""Dated snapshots on DuckDB and PostgreSQL: a newer churnguard adds columns to older snapshots,
and the answers kept in memory (`Store.memo`) follow every write."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from churnguard.store import Workspace, read_snapshot, snapshot_dates, write_snapshot


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_new_column_joins_older_snapshots(workspace: Workspace) -> None:
    store = workspace.store
    write_snapshot(store, "scores", date(2024, 6, 30), pd.DataFrame({"customer_id": ["a", "b"], "p": [0.5, 0.1]}))
    # a later version stores a rank as well: the old rows keep theirs empty
    write_snapshot(store, "scores", date(2024, 9, 30),
                   pd.DataFrame({"customer_id": ["a", "b"], "p": [0.4, 0.2], "rank": [1, 2]}))
    assert snapshot_dates(store, "scores") == [date(2024, 6, 30), date(2024, 9, 30)]
    new = read_snapshot(store, "scores").order_by("customer_id").to_pandas()
    assert new["rank"].tolist() == [1, 2]
    old = read_snapshot(store, "scores", date(2024, 6, 30)).to_pandas()
    assert old["rank"].isna().all() and sorted(old["p"]) == [0.1, 0.5]


def test_kept_answers_follow_each_write(duck_workspace: Workspace) -> None:
    store = duck_workspace.store
    calls = []

    def count() -> int:
        calls.append(1)
        return int(store.table("snap_scores").count().execute())

    write_snapshot(store, "scores", date(2024, 6, 30), pd.DataFrame({"customer_id": ["a"], "p": [0.5]}))
    assert store.memo(("n",), count) == 1 and store.memo(("n",), count) == 1
    assert len(calls) == 1  # asked again with the file unchanged: kept
    write_snapshot(store, "scores", date(2024, 9, 30), pd.DataFrame({"customer_id": ["a", "b"], "p": [0.4, 0.2]}))
    assert store.memo(("n",), count) == 3 and len(calls) == 2
    assert snapshot_dates(store, "scores") == [date(2024, 6, 30), date(2024, 9, 30)]
    # another process's write (here: another connection) changes the file too
    with Workspace.open(duck_workspace.path) as other:
        write_snapshot(other.store, "scores", date(2024, 12, 31), pd.DataFrame({"customer_id": ["c"], "p": [0.9]}))
    assert snapshot_dates(store, "scores")[-1] == date(2024, 12, 31)
