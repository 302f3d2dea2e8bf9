"""Stored figures: read again while the data holds, computed again after an import, a run or a
changed setting; the stored JSON is the use case's own."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from churnguard.service import measure, results
from churnguard.service.context import context_of
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.service.imports import ImportOptions, import_data
from churnguard.service.jsonable import jsonable
from churnguard.service.workspace import update_settings
from churnguard.store import Workspace, write_snapshot
from tests.conftest import same_figures


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("results") / "shop"
    build_demo(DemoOptions(directory=path, customers=120, months=9, seed=3))
    return path


@pytest.fixture
def ws(demo_dir: Path, tmp_path: Path):
    """A copy of the demo workspace of this test's own."""
    path = tmp_path / "shop"
    shutil.copytree(demo_dir, path)
    with Workspace.open(path) as w:
        yield w


def test_a_figure_is_computed_once_and_then_read(ws: Workspace) -> None:
    first = results.figure(context_of(ws), "churn-rate", {"period": "month"})
    again = results.figure(context_of(ws), "churn-rate", {"period": "month"})
    assert not first.cached and again.cached
    assert again.body == first.body and again.computed_at == first.computed_at
    fresh = measure.churn_rate(context_of(ws), measure.ChurnRateOptions(period="month"))
    assert same_figures(again.data, jsonable(fresh)), "the stored figure is the use case's own JSON"
    stored = list((ws.path / results.CACHE_DIR).rglob("*.json"))
    assert len(stored) == 1 and stored[0].read_bytes().endswith(first.body)


def test_defaults_and_given_options_are_the_same_figure(ws: Workspace) -> None:
    a = results.figure(context_of(ws), "churn-rate", {})
    b = results.figure(context_of(ws), "churn-rate", {"period": "quarter", "basis": "customers", "by": None})
    assert b.cached and a.body == b.body
    c = results.figure(context_of(ws), "churn-rate", {"by": "segment"})
    assert not c.cached and c.data["definition"]["by"] == "segment"


def test_an_import_makes_a_new_version_and_old_figures_go(ws: Workspace) -> None:
    before = results.data_version(ws)
    old = results.figure(context_of(ws), "status")
    frame = pa.table({"customer_id": ["NEW1"], "occurred_at": [date(2020, 1, 2)], "amount": [10.0]})
    summary = import_data(ws, ImportOptions("transactions", frame=frame, frame_name="one.csv"))
    assert summary.ok
    assert results.data_version(ws) != before
    new = results.figure(context_of(ws), "status")
    assert not new.cached
    assert new.data["tables"]["transactions"]["rows"] == old.data["tables"]["transactions"]["rows"] + 1
    versions = [p.name for p in (ws.path / results.CACHE_DIR).iterdir()]
    assert versions == [new.version], "figures of older data are removed"


def test_a_snapshot_and_a_setting_make_new_versions(ws: Workspace) -> None:
    v0 = results.data_version(ws)
    write_snapshot(ws.store, "scores", date(2024, 6, 30), pd.DataFrame({"customer_id": ["a"], "p": [0.5]}))
    v1 = results.data_version(ws)
    write_snapshot(ws.store, "scores", date(2024, 9, 30), pd.DataFrame({"customer_id": ["a"], "p": [0.4]}))
    v2 = results.data_version(ws)
    assert len({v0, v1, v2}) == 3
    update_settings(context_of(ws), {"churn.threshold_days": "120"})
    with Workspace.open(ws.path) as again:
        v3 = results.data_version(again)
        assert v3 != v2
        update_settings(context_of(ws), {"web.max_upload_mb": "50"})  # the web section changes no figure
    with Workspace.open(ws.path) as again:
        assert results.data_version(again) == v3


def test_a_reason_written_outside_an_import_makes_a_new_version_and_status_counts_it(ws: Workspace) -> None:
    """An interview or an inferred reason adds a churn-reason row without an import: the stored
    status (rows and dates per table) must not show the count from before it."""
    from churnguard.service import investigations

    ctx = context_of(ws)
    before = results.figure(ctx, "status", {}).data
    v0 = results.data_version(ws)
    started = investigations.start(ctx, investigations.StartOptions("2026-Q2", seed=1)).to_dict()
    assert results.data_version(ws) == v0  # an investigation alone changes no stored figure
    investigations.record(ctx, investigations.RecordOptions(started["data"][0]["customer_id"], "price"))
    assert results.data_version(ws) != v0
    after = results.figure(ctx, "status", {})
    assert not after.cached

    def reasons_rows(status: dict) -> int:
        return next(t["rows"] for t in status["data"] if t["table"] == "churn_reasons")

    assert reasons_rows(after.data) == reasons_rows(before) + 1


def test_without_the_store_every_call_computes_and_nothing_is_written(ws: Workspace) -> None:
    a = results.figure(context_of(ws), "retention", {}, use_cache=False)
    b = results.figure(context_of(ws), "retention", {}, use_cache=False)
    assert not a.cached and not b.cached and same_figures(a.data, b.data)
    assert not (ws.path / results.CACHE_DIR).exists()


def test_a_damaged_file_is_computed_again(ws: Workspace) -> None:
    first = results.figure(context_of(ws), "price-volume", {})
    (path,) = (ws.path / results.CACHE_DIR).rglob("*.json")
    path.write_bytes(b"{half")
    again = results.figure(context_of(ws), "price-volume", {})
    assert not again.cached and same_figures(again.data, first.data)


def test_parallel_requests_compute_a_figure_once(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    results._register_defaults()
    real = results._FIGURES["cohorts"]

    def counting(ctx, opts):
        calls.append(1)
        return real.compute(ctx, opts)

    monkeypatch.setitem(results._FIGURES, "cohorts", results.Figure(counting, real.options_type))
    out: list[results.Stored] = []

    def worker() -> None:
        with Workspace.open(ws.path) as w:
            out.append(results.figure(context_of(w), "cohorts", {}))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(out) == 4 and len({s.body for s in out}) == 1


def test_unknown_figure_or_option_is_an_input_error(ws: Workspace) -> None:
    with pytest.raises(results.InputError, match="no figure 'colour'"):
        results.figure(context_of(ws), "colour", {})
    with pytest.raises(results.InputError, match="unexpected keyword argument 'colour'"):
        results.figure(context_of(ws), "churn-rate", {"colour": "red"})


def test_refresh_stores_the_default_figures_and_clear_removes_them(ws: Workspace) -> None:
    done = results.refresh(context_of(ws)).to_dict()
    assert [f["name"] for f in done["figures"]] == [n for n, _ in results.DEFAULT_FIGURES]
    assert all(not f["cached"] for f in done["figures"])
    assert all(f["cached"] for f in results.refresh(context_of(ws)).figures)
    assert results.clear(ws) == len(results.DEFAULT_FIGURES)
    assert not (ws.path / results.CACHE_DIR).exists()
    json.dumps(done)  # the JSON of 'churnguard refresh --json'


def test_the_store_of_figures_keeps_to_its_size_and_drops_what_was_read_longest_ago(ws: Workspace) -> None:
    import time

    def files() -> dict[str, int]:
        return {p.name: p.stat().st_size for p in (ws.path / results.CACHE_DIR).rglob("*.json")}

    a = results.figure(context_of(ws), "churn-rate", {"period": "month"})
    time.sleep(0.02)
    results.figure(context_of(ws), "churn-rate", {"period": "quarter"})
    time.sleep(0.02)
    assert results.figure(context_of(ws), "churn-rate", {"period": "month"}).cached  # read again: now the newest
    time.sleep(0.02)
    two = files()
    assert len(two) == 2
    # room for the two and not a byte more: the next (smaller) one pushes out the one read
    # longest ago (the quarters), and only that one
    ws.settings.web.cache_max_mb = sum(two.values()) / 1_000_000
    results.figure(context_of(ws), "churn-rate", {"period": "year"})
    after = files()
    assert len(after) == 2 and sum(after.values()) <= ws.settings.web.cache_max_mb * 1_000_000
    assert results.figure(context_of(ws), "churn-rate", {"period": "month"}).cached
    assert results.figure(context_of(ws), "churn-rate", {"period": "month"}).body == a.body
    assert not results.figure(context_of(ws), "churn-rate", {"period": "quarter"}).cached  # gone, so computed again
