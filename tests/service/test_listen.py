"""Listening use cases on hand-built workspaces with exact answers: the survey report (NPS, the
five levels, churn by level, the call list), the survey sample (reproducible, cooldown,
strata, one transaction), the complaint register, and what defectors have in common."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from churnguard.errors import OptionError
from churnguard.schema import TABLES
from churnguard.service import audit
from churnguard.service import complaints as csvc
from churnguard.service import profile_defectors as psvc
from churnguard.service import surveys as ssvc
from churnguard.settings import SETTINGS_FILE, render_settings
from churnguard.store import Workspace
from churnguard.store import survey_sends as sends
from tests.conftest import call

AS_OF = date(2026, 6, 30)


def put(ws: Workspace, **tables: list[dict[str, Any]]) -> None:
    """Replace the rows of each named table with ``rows`` (missing columns are empty)."""
    types = {"string": pa.string(), "date": pa.date32(), "float64": pa.float64(), "int64": pa.int64(),
             "boolean": pa.bool_()}
    for name, rows in tables.items():
        table = TABLES[name]
        ws.store.replace_rows(table, pa.table({c.name: pa.array([r.get(c.name) for r in rows], types[c.type])
                                               for c in table.columns}))


def monthly(cid: str, first: date, last: date, amount: float = 100.0) -> list[dict[str, Any]]:
    """A purchase on the first of every month from ``first`` to ``last``."""
    out, d = [], first
    while d <= last:
        out.append({"customer_id": cid, "occurred_at": d, "amount": amount})
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def settle(path: Path, **sections: dict[str, Any]) -> None:
    """A fixed 90-day churn threshold (hand-built cases have few gaps) and the given settings."""
    with Workspace.open(path) as ws:
        s = ws.settings
    s.churn.threshold_days = 90
    for section, values in sections.items():
        for k, v in values.items():
            setattr(getattr(s, section), k, v)
    (path / SETTINGS_FILE).write_text(render_settings(s), encoding="utf-8")


# -- the survey report ------------------------------------------------------------------------
@pytest.fixture
def answered(tmp_path: Path) -> Path:
    """Six customers; A3 stops buying in February (lost on 2 May); answers in Q1 and Q2 2026."""
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        tx = []
        for cid in ("A1", "A2", "A4", "A5", "A6"):
            tx += monthly(cid, date(2025, 1, 1), date(2026, 6, 1))
        tx += monthly("A3", date(2025, 1, 1), date(2026, 2, 1))
        put(ws, transactions=tx,
            customers=[{"customer_id": c, "name": f"name {c}", "segment": seg, "csm": "王芳"}
                       for c, seg in (("A1", "x"), ("A2", "x"), ("A3", "y"), ("A4", "y"), ("A5", "y"), ("A6", "x"))],
            surveys=[
                {"customer_id": "A1", "answered_at": date(2026, 2, 15), "satisfaction": 5, "nps": 10},
                {"customer_id": "A2", "answered_at": date(2026, 2, 15), "satisfaction": 4, "nps": 9},
                {"customer_id": "A3", "answered_at": date(2026, 2, 15), "satisfaction": 3, "nps": 7},
                {"customer_id": "A4", "answered_at": date(2026, 2, 15), "satisfaction": 2, "comment": "太贵"},
                {"customer_id": "A1", "answered_at": date(2026, 5, 10), "satisfaction": 5, "nps": 9},
                {"customer_id": "A5", "answered_at": date(2026, 5, 10), "satisfaction": 1, "nps": 0},
                {"customer_id": "A6", "answered_at": date(2026, 5, 10), "satisfaction": 4, "nps": 6},
            ])
    settle(path, survey={"horizon_days": 90})
    return path


def test_survey_report_counts_levels_and_nps_exactly(answered: Path) -> None:
    d = call(answered, ssvc.survey_report, ssvc.SurveyReportOptions(), as_of=AS_OF).to_dict()
    assert d["count"] == 2 == len(d["data"])
    q1, q2 = d["data"]
    assert (q1["period"], q1["answers"], q1["level_5"], q1["level_4"], q1["level_3"], q1["level_2"], q1["level_1"]) \
        == ("2026-Q1", 4, 1, 1, 1, 1, 0)
    assert q1["nps"] == pytest.approx(200 / 3) and q2["nps"] == pytest.approx(-100 / 3)
    # all seven answers: six NPS answers, promoters 10, 9, 9; detractors 0 and 6
    assert d["overall"]["answers"] == 7 and d["overall"]["nps"] == pytest.approx(100 / 6)


def test_survey_report_churn_by_level_and_call_list(answered: Path) -> None:
    d = call(answered, ssvc.survey_report, ssvc.SurveyReportOptions(), as_of=AS_OF).to_dict()
    by = {r["level"]: r for r in d["churn_by_level"]}
    # A3 answered 3 on 15 Feb and was lost on 2 May, within 90 days; A2 (4) and A4 (2) stayed;
    # A1, A5, A6 last answered on 10 May: their 90 days end after the as-of date
    assert (by[3]["customers"], by[3]["lost"], by[3]["churn_rate"]) == (1, 1, 1.0)
    assert (by[4]["customers"], by[4]["lost"]) == (1, 0) and (by[2]["customers"], by[2]["lost"]) == (1, 0)
    assert by[5]["customers"] == 0 and by[5]["churn_rate"] is None
    assert d["churn_left_out"] == {"too_recent": 3, "lost_before_answer": 0, "no_status": 0}
    low, high = by[3]["ci"]
    assert 0.2 < low < 0.21 and high == 1.0
    # the least satisfied first: A5 (1), then A4 (2); both living
    assert [(r["customer_id"], r["satisfaction"], r["csm"]) for r in d["call_list"]] == [("A5", 1, "王芳"), ("A4", 2, "王芳")]
    assert d["call_list"][1]["comment"] == "太贵"


def test_survey_report_by_segment_and_window(answered: Path) -> None:
    d = call(answered, ssvc.survey_report, ssvc.SurveyReportOptions(by="segment"), as_of=AS_OF).to_dict()
    keys = [(r["period"], r["segment"], r["answers"]) for r in d["data"]]
    assert keys == [("2026-Q1", "x", 2), ("2026-Q1", "y", 2), ("2026-Q2", "x", 2), ("2026-Q2", "y", 1)]
    q1 = call(answered, ssvc.survey_report, ssvc.SurveyReportOptions(to=date(2026, 3, 31)), as_of=AS_OF).to_dict()
    assert [r["period"] for r in q1["data"]] == ["2026-Q1"] and q1["overall"]["answers"] == 4
    with pytest.raises(OptionError) as e:
        ssvc.SurveyReportOptions(by="colour")
    assert e.value.field == "by"


# -- the survey sample ------------------------------------------------------------------------
def sample_workspace(ws: Workspace) -> None:
    """40 living customers (20 of segment x, 12 of y, 8 of z) and 2 lost ones; L01 answered
    10 days before the as-of date, L02 200 days before."""
    tx, customers = [], []
    for i in range(40):
        cid = f"L{i:02d}"
        seg = "x" if i < 20 else "y" if i < 32 else "z"
        customers.append({"customer_id": cid, "segment": seg, "email": f"{cid.lower()}@example.cn"})
        tx += monthly(cid, date(2025, 7, 1), date(2026, 6, 1))
    for cid in ("G1", "G2"):
        customers.append({"customer_id": cid, "segment": "x"})
        tx += monthly(cid, date(2025, 1, 1), date(2025, 6, 1))
    put(ws, customers=customers, transactions=tx, surveys=[
        {"customer_id": "L01", "answered_at": AS_OF - timedelta(days=10), "satisfaction": 4},
        {"customer_id": "L02", "answered_at": AS_OF - timedelta(days=200), "satisfaction": 4},
    ])


@pytest.fixture
def sampling(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        sample_workspace(ws)
    settle(path)
    return path


def test_survey_sample_is_reproducible_and_leaves_out_the_lost(sampling: Path) -> None:
    opts = ssvc.SurveySampleOptions(10, seed=3, dry_run=True)
    one = call(sampling, ssvc.survey_sample, opts, as_of=AS_OF).to_dict()
    two = call(sampling, ssvc.survey_sample, opts, as_of=AS_OF).to_dict()
    assert one["data"] == two["data"] and one["count"] == 10 and not one["recorded"] and one["sample_id"] is None
    other = call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(10, seed=4, dry_run=True), as_of=AS_OF)
    assert [r["customer_id"] for r in other.to_dict()["data"]] != [r["customer_id"] for r in one["data"]]
    # the 2 lost customers are not living; L01 answered within the cooldown (180 days), L02 not
    assert (one["living"], one["cooled_down"], one["eligible"]) == (40, 1, 39)
    drawn = {r["customer_id"] for r in one["data"]}
    assert not drawn & {"G1", "G2", "L01"}
    with Workspace.open(sampling) as ws:
        assert sends.sent_between(ws.store, date(2000, 1, 1), AS_OF) == []  # a dry run records nothing


def test_survey_sample_strata_are_exact(sampling: Path) -> None:
    d = call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(13, "segment", 1, dry_run=True), as_of=AS_OF).to_dict()
    # eligible 19 x (L01 left out), 12 y, 8 z: quotas 6.33, 4, 2.67 -> 6, 4, 3 (largest remainder to z)
    assert d["strata"] == [{"stratum": "x", "eligible": 19, "drawn": 6}, {"stratum": "y", "eligible": 12, "drawn": 4},
                           {"stratum": "z", "eligible": 8, "drawn": 3}]
    assert all(r["stratum"] == r["segment"] for r in d["data"])


def test_a_recorded_sample_cools_its_customers_down(sampling: Path) -> None:
    first = call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(10, seed=3), as_of=AS_OF).to_dict()
    assert first["recorded"] and first["sample_id"]
    with Workspace.open(sampling) as ws:
        rows = sends.sample_rows(ws.store, first["sample_id"])
    assert [r[0] for r in rows] == sorted(r["customer_id"] for r in first["data"])
    assert {r[1] for r in rows} == {AS_OF} and {r[3] for r in rows} == {3}
    with Workspace.open(sampling) as ws:
        drawn = audit.events(ws, action="survey_sample_drawn").to_dict()["data"]
    assert [(e["subject"], e["details"]["customers"]) for e in drawn] == [(first["sample_id"], 10)]
    # 39 were eligible; 10 are now asked: the remaining 29 are all there is
    rest = call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(29, seed=9, dry_run=True), as_of=AS_OF).to_dict()
    assert rest["cooled_down"] == 11 and rest["eligible"] == 29
    assert not {r["customer_id"] for r in rest["data"]} & {r["customer_id"] for r in first["data"]}
    with pytest.raises(OptionError) as e:
        call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(30, seed=9), as_of=AS_OF)
    assert e.value.field == "size" and "only 29" in str(e.value)
    # one day later the sends are still within the 180 days; with a cooldown of 0 nobody is left out
    later = call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(29, dry_run=True),
                 as_of=AS_OF + timedelta(days=1)).to_dict()
    assert later["cooled_down"] == 11
    settle(sampling, survey={"cooldown_days": 0})
    free = call(sampling, ssvc.survey_sample, ssvc.SurveySampleOptions(40, dry_run=True), as_of=AS_OF).to_dict()
    assert free["cooled_down"] == 0 and free["count"] == 40


def test_survey_sample_options_name_the_field() -> None:
    for kwargs, field in (({"size": 0}, "size"), ({"size": 5, "stratify": "csm"}, "stratify"),
                          ({"size": 5, "seed": -1}, "seed")):
        with pytest.raises(OptionError) as e:
            ssvc.SurveySampleOptions(**kwargs)
        assert e.value.field == field


def test_the_sample_is_written_in_one_transaction_on_every_engine(workspace: Workspace) -> None:
    """PostgreSQL and DuckDB alike: every send of a sample, or none."""
    sample_workspace(workspace)
    settle(workspace.path)
    path = workspace.path
    workspace.close()
    d = call(path, ssvc.survey_sample, ssvc.SurveySampleOptions(12, "segment", 2), as_of=AS_OF).to_dict()
    with Workspace.open(path) as ws:
        rows = sends.sample_rows(ws.store, d["sample_id"])
        assert len(rows) == 12 and sorted(r[0] for r in rows) == sorted(r["customer_id"] for r in d["data"])
        assert {r[2] for r in rows} == {"x", "y", "z"}
        # a failing write leaves nothing behind (the second row repeats a key: the whole insert rolls back)
        bad = [{"sample_id": "S-bad", "customer_id": "L03", "sent_at": AS_OF, "stratum": None, "seed": 1},
               {"sample_id": "S-bad", "customer_id": "L04", "sent_at": "not a date", "stratum": None, "seed": 1}]
        with pytest.raises(Exception):  # noqa: B017 - the driver's own error
            sends.insert_sample(ws.store, bad)
        assert sends.sample_rows(ws.store, "S-bad") == []
    same = call(path, ssvc.survey_sample, ssvc.SurveySampleOptions(12, "segment", 2, dry_run=True), as_of=AS_OF)
    assert not {r["customer_id"] for r in same.to_dict()["data"]} & {r[0] for r in rows}


# -- complaints -------------------------------------------------------------------------------
@pytest.fixture
def complained(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        tx = []
        for cid in ("A", "B", "C", "D"):
            tx += monthly(cid, date(2025, 1, 1), date(2026, 6, 1))
        put(ws, transactions=tx, complaints=[
            {"complaint_id": "K1", "customer_id": "A", "opened_at": date(2026, 3, 1), "category": "delivery",
             "severity": "low", "resolved_at": date(2026, 3, 11), "resolution": "refund"},
            {"complaint_id": "K2", "customer_id": "B", "opened_at": date(2026, 6, 1), "category": "service",
             "severity": "high", "resolved_at": date(2026, 7, 15), "resolution": "fixed"},
            {"complaint_id": "K3", "customer_id": "C", "opened_at": date(2026, 6, 28), "category": "delivery",
             "severity": "low"},
            {"complaint_id": "K4", "customer_id": "A", "opened_at": date(2026, 4, 1), "category": "billing",
             "severity": "low", "resolved_at": date(2026, 4, 4), "resolution": "credit"},
        ])
    settle(path)
    return path


def test_complaint_register_and_summary(complained: Path) -> None:
    d = call(complained, csvc.complaints, csvc.ComplaintOptions(), as_of=AS_OF).to_dict()
    rows = {r["complaint_id"]: r for r in d["data"]}
    assert d["count"] == 4 and [r["complaint_id"] for r in d["data"]] == ["K3", "K2", "K4", "K1"]
    assert rows["K1"]["days_to_resolve"] == 10 and rows["K4"]["days_to_resolve"] == 3
    assert rows["K2"]["open"] and rows["K2"]["resolved_at"] is None and rows["K2"]["open_days"] == 29
    assert rows["K2"]["ageing"] and not rows["K3"]["ageing"] and d["ageing_days"] == 7
    assert d["summary"] == {"complaints": 4, "open": 2, "ageing": 1, "customers": 3, "median_days_to_resolve": 6.5}
    only_open = call(complained, csvc.complaints, csvc.ComplaintOptions(open=True), as_of=AS_OF).to_dict()
    assert [r["complaint_id"] for r in only_open["data"]] == ["K3", "K2"] and only_open["summary"]["complaints"] == 4
    # as of 2026-07-20 K2 is resolved: 44 days
    later = call(complained, csvc.complaints, csvc.ComplaintOptions(), as_of=date(2026, 7, 20)).to_dict()
    assert {r["complaint_id"]: r["days_to_resolve"] for r in later["data"]}["K2"] == 44


def test_complaint_estimates_are_labelled_and_follow_the_settings(complained: Path) -> None:
    opts = csvc.ComplaintOptions(start=date(2026, 1, 1), to=AS_OF)
    d = call(complained, csvc.complaints, opts, as_of=AS_OF).to_dict()
    # A, B and C complained in the window: 3 / 4% = 75 dissatisfied, × 25 = 1,875 told
    assert d["silent_majority_estimate"] == 75.0 and d["word_of_mouth_estimate"] == 1875.0
    assert "estimate" in d["estimates_note"] and d["estimates_basis"]["complaining_customers"] == 3
    c = d["complainer_churn"]
    assert (c["complainers"]["customers"], c["others"]["customers"]) == (3, 1)
    settle(complained, listen={"complaint_share": 0.1, "word_of_mouth": 8})
    d = call(complained, csvc.complaints, opts, as_of=AS_OF).to_dict()
    assert d["silent_majority_estimate"] == 30.0 and d["word_of_mouth_estimate"] == 240.0


# -- what defectors have in common ------------------------------------------------------------
@pytest.fixture
def defected(tmp_path: Path) -> Path:
    """20 customers buying monthly since 2025; 4 of 10 retail and 1 of 10 wholesale stop after
    February 2026 (lost on 2 May) — and complain in March, after the period's start."""
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        tx, customers, complaints = [], [], []
        for i in range(20):
            cid = f"P{i:02d}"
            seg = "retail" if i < 10 else "wholesale"
            leaves = i in (0, 1, 2, 3, 10)
            customers.append({"customer_id": cid, "segment": seg, "region": "华东", "customer_type": "regular",
                              "acquired_at": date(2025, 1, 1)})
            tx += monthly(cid, date(2025, 1, 1), date(2026, 2, 1) if leaves else date(2026, 6, 1))
            if leaves:
                complaints.append({"complaint_id": f"K{i}", "customer_id": cid, "opened_at": date(2026, 3, 5),
                                   "category": "price"})
        put(ws, customers=customers, transactions=tx, complaints=complaints)
    settle(path)
    return path


def test_profile_defectors_puts_the_over_represented_segment_first(defected: Path) -> None:
    opts = psvc.ProfileDefectorsOptions(start=date(2026, 1, 1), to=AS_OF)
    d = call(defected, psvc.profile_defectors, opts, as_of=AS_OF).to_dict()
    assert d["groups"] == {"defectors": 5, "complete": 5, "partial": 0, "stayed": 15}
    first, second = d["data"][:2]
    assert (first["attribute"], first["value"]) == ("segment", "retail")
    assert first["defectors"] == pytest.approx(0.8) and first["stayed"] == pytest.approx(0.4)
    assert first["difference"] == pytest.approx(0.4) and first["ci"][0] < 0.4 < first["ci"][1]
    assert (second["attribute"], second["value"], second["difference"]) == ("segment", "wholesale", pytest.approx(-0.4))
    # no interactions, surveys or products in this workspace: those behaviours are unknown, not zero
    assert {x["attribute"] for x in d["left_out"]} == {"contacts_365d", "satisfaction", "price_exposure"}
    assert not {r["attribute"] for r in d["data"]} & {"contacts_365d", "satisfaction", "price_exposure"}


def test_profile_defectors_reads_nothing_after_the_start(defected: Path) -> None:
    """Measured on 1 January, defectors spent and complained like everyone else: their March
    complaints and their stopped spend must not explain their leaving."""
    opts = psvc.ProfileDefectorsOptions(start=date(2026, 1, 1), to=AS_OF)
    rows = {r["attribute"]: r for r in call(defected, psvc.profile_defectors, opts, as_of=AS_OF).to_dict()["data"]
            if r["value"] is None}
    assert rows["complaints_365d"]["defectors"] == 0 and rows["complaints_365d"]["difference"] == 0
    assert rows["spend_365d"]["difference"] == pytest.approx(0) and rows["spend_365d"]["standardised"] == 0
    # a period starting on 1 April (after the complaints, before the loss on 2 May) does see them
    late = psvc.ProfileDefectorsOptions(start=date(2026, 4, 1), to=AS_OF)
    d = call(defected, psvc.profile_defectors, late, as_of=AS_OF).to_dict()
    rows = {r["attribute"]: r for r in d["data"] if r["value"] is None}
    assert d["groups"]["defectors"] == 5
    assert rows["complaints_365d"]["defectors"] == 1 and rows["complaints_365d"]["stayed"] == 0
    assert rows["spend_trend"]["difference"] < 0


def test_profile_defectors_options() -> None:
    with pytest.raises(OptionError) as e:
        psvc.ProfileDefectorsOptions(start=date(2026, 6, 1), to=date(2026, 1, 1))
    assert e.value.field == "from"


def test_report_and_register_agree_on_every_engine(workspace: Workspace) -> None:
    """The survey report and the complaint register give the same exact figures on PostgreSQL."""
    tx = []
    for cid in ("A1", "A2", "A4", "A5", "A6"):
        tx += monthly(cid, date(2025, 1, 1), date(2026, 6, 1))
    tx += monthly("A3", date(2025, 1, 1), date(2026, 2, 1))
    put(workspace, transactions=tx, surveys=[
        {"customer_id": "A1", "answered_at": date(2026, 2, 15), "satisfaction": 5, "nps": 10},
        {"customer_id": "A3", "answered_at": date(2026, 2, 15), "satisfaction": 3, "nps": 7},
        {"customer_id": "A5", "answered_at": date(2026, 5, 10), "satisfaction": 1, "nps": 0},
    ], complaints=[
        {"complaint_id": "K1", "customer_id": "A1", "opened_at": date(2026, 3, 1), "category": "delivery",
         "resolved_at": date(2026, 3, 11), "resolution": "refund"},
        {"complaint_id": "K2", "customer_id": "A2", "opened_at": date(2026, 6, 1), "resolved_at": date(2026, 7, 15)},
    ])
    path = workspace.path
    workspace.close()
    settle(path, survey={"horizon_days": 90})
    d = call(path, ssvc.survey_report, ssvc.SurveyReportOptions(), as_of=AS_OF).to_dict()
    assert [(r["period"], r["answers"], r["nps"]) for r in d["data"]] == [("2026-Q1", 2, 50.0), ("2026-Q2", 1, -100.0)]
    by = {r["level"]: (r["customers"], r["lost"]) for r in d["churn_by_level"]}
    assert by[3] == (1, 1) and by[5] == (1, 0) and d["churn_left_out"]["too_recent"] == 1  # A5 answered in May
    assert [r["customer_id"] for r in d["call_list"]] == ["A5"]
    c = call(path, csvc.complaints, csvc.ComplaintOptions(), as_of=AS_OF).to_dict()
    assert [(r["complaint_id"], r["days_to_resolve"], r["open_days"]) for r in c["data"]] == [("K2", None, 29), ("K1", 10, None)]
