"""The reasons use case end to end on a small simulated company: the same defectors as
``churnguard defectors``, reasons against the simulator's truth, the as-of cut, a reason recorded
later showing at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from churnguard.errors import OptionError
from churnguard.service import detect as dsvc
from churnguard.service import reasons as rsvc
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.service.imports import ImportOptions, import_data
from churnguard.store import Workspace
from tests.conftest import call

AS_OF = date(2026, 9, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reasons") / "demo"
    build_demo(DemoOptions(path, customers=1500, months=24, seed=7))
    return path


@pytest.fixture(scope="module")
def year(demo: Path) -> dict:
    return call(demo, rsvc.reasons, rsvc.ReasonOptions(by="segment")).to_dict()


def test_the_defectors_of_the_period_are_those_of_churnguard_defectors(demo: Path, year: dict) -> None:
    assert (year["from"], year["to"], year["as_of"]) == ("2025-10-01", "2026-09-30", "2026-09-30")
    assert year["defectors_source"] == "computed"  # no run stored
    found = call(demo, dsvc.defectors, dsvc.DefectorOptions()).to_dict()
    lost = [r for r in found["data"] if r["kind"] == "complete" and r["lost_at"]
            and "2025-10-01" <= r["lost_at"][:10] <= "2026-09-30"]
    partial = [r for r in found["data"] if r["lost_at"] is None]  # partial, or complete by a low P(alive)
    total = sum(r["defectors"] for r in year["data"])
    assert total == len(lost) + len(partial) > 100
    assert sum(r["partial"] for r in year["data"]) == sum(r["kind"] == "partial" for r in partial)
    # every row's reason is the one the defectors list shows for the customer
    shown = pd.Series({r["customer_id"]: r["reason"] or "not_recorded" for r in lost + partial})
    assert shown.value_counts().to_dict() == {r["reason"]: r["defectors"] for r in year["data"]}
    assert sum(t["defectors"] for t in year["totals"].values()) == total
    assert sum(r["share"] for r in year["data"]) == pytest.approx(1.0)
    assert sum(r["defectors"] for r in year["by"]["data"]) == total
    assert {r["quarter"] for r in year["trend"]} == {"2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"}
    assert sum(r["defectors"] for r in year["trend"]) == total


def test_recorded_reasons_follow_the_truth(demo: Path, year: dict) -> None:
    """The simulator's interviews tell the true reason 70% of the time, else mostly 'price' (the
    polite answer): the recorded reasons of the period's defectors agree with the truth for about
    three in four, and their controllable share is close to the truth's."""
    with Workspace.open(demo) as ws:
        truth = ws.store.table("truth").to_pandas().set_index("customer_id")
    found = call(demo, dsvc.defectors, dsvc.DefectorOptions()).to_dict()
    recorded = [r for r in found["data"] if r["reason"] and r["reason_source"] == "recorded"]
    assert len(recorded) > 60
    said = pd.Series({r["customer_id"]: r["reason"] for r in recorded})
    true = truth.loc[said.index, "churn_reason"]
    agree = float((said == true).mean())
    assert 0.6 <= agree <= 0.95
    from churnguard.compute.learn.reason_table import class_of

    assert abs(said.map(class_of).eq("controllable").mean() - true.map(class_of).eq("controllable").mean()) < 0.12
    # the polite answer: 'price' is said more often than it is true
    assert (said == "price").mean() > (true == "price").mean()
    rows = {r["reason"]: r for r in year["data"]}
    assert rows["price"]["controllable"] is True and rows["not_recorded"]["controllable"] is None
    assert year["totals"]["controllable"]["defectors"] == sum(
        r["defectors"] for r in year["data"] if r["controllable"] is True)


def test_window_as_of_and_options(demo: Path, year: dict) -> None:
    q2 = call(demo, rsvc.reasons, rsvc.ReasonOptions(date(2026, 4, 1), date(2026, 6, 30))).to_dict()
    assert q2["by"] is None and q2["to"] == "2026-06-30"
    assert {r["quarter"] for r in q2["trend"]} == {"2026-Q2"}
    # as of an earlier date: reasons recorded later are not known
    early = call(demo, rsvc.reasons, rsvc.ReasonOptions(), as_of=date(2026, 6, 30)).to_dict()
    assert early["as_of"] == "2026-06-30" and early["definition"]["reasons_known_at"] == "2026-06-30"
    with Workspace.open(demo) as ws:
        stored = ws.store.table("churn_reasons").to_pandas()
    late = set(stored.loc[pd.to_datetime(stored["recorded_at"]) > pd.Timestamp("2026-06-30"), "customer_id"])
    with_reason = {r["customer_id"] for r in call(demo, dsvc.defectors, dsvc.DefectorOptions(),
                                                  as_of=date(2026, 6, 30)).to_dict()["data"] if r["reason"]}
    only_late = late - set(stored.loc[pd.to_datetime(stored["recorded_at"]) <= pd.Timestamp("2026-06-30"),
                                      "customer_id"])
    assert only_late and not (only_late & with_reason)
    with pytest.raises(OptionError, match="after the last day"):
        rsvc.ReasonOptions(date(2026, 9, 1), date(2026, 1, 1))
    with pytest.raises(OptionError) as e:
        rsvc.ReasonOptions(by="colour")
    assert e.value.field == "by"
    with pytest.raises(OptionError) as e:
        call(demo, rsvc.reasons, rsvc.ReasonOptions(to=date(2027, 1, 1)))
    assert e.value.field == "to"


def test_a_reason_recorded_later_shows_at_once(demo: Path, tmp_path: Path) -> None:
    found = call(demo, dsvc.defectors, dsvc.DefectorOptions(kind="complete")).to_dict()["data"]
    quiet = next(r["customer_id"] for r in found if r["reason"] is None)
    csv = tmp_path / "reasons.csv"
    # recorded after the last date in the data (an interview of today): it still counts
    csv.write_text(f"customer_id,recorded_at,reason,competitor,source\n{quiet},2026-11-02,价格,新对手,interview\n",
                   encoding="utf-8")
    with Workspace.open(demo) as ws:
        assert import_data(ws, ImportOptions("churn-reasons", file=csv)).ok
    row = next(r for r in call(demo, dsvc.defectors, dsvc.DefectorOptions(kind="complete")).to_dict()["data"]
               if r["customer_id"] == quiet)
    assert (row["reason"], row["reason_source"], row["competitor"]) == ("price", "recorded", "新对手")
    history = call(demo, rsvc.reason_history, quiet)
    assert history[0]["reason"] == "price" and history[0]["counts"] is True


@pytest.mark.postgres
def test_the_reason_table_is_the_same_on_postgresql(tmp_path, pg_url) -> None:
    """Defectors detected afresh, lost value and reasons: the same figures on both engines."""
    from churnguard.simulate import simulate
    from tests.conftest import same_figures
    from tests.simulated import load_tables

    sim = simulate(customers=400, months=18, seed=5)
    answers = []
    for name, url in (("duck", None), ("pg", pg_url)):
        ws = Workspace.init(tmp_path / name, database_url=url)
        try:
            load_tables(ws, sim.tables)
        finally:
            ws.close()
        answers.append(call(tmp_path / name, rsvc.reasons, rsvc.ReasonOptions(by="region")).to_dict())
    duck, pg = answers
    assert sum(r["defectors"] for r in duck["data"]) > 20 and len(duck["data"]) > 3
    assert same_figures(duck, pg, rel=1e-6)
