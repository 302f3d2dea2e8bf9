"""Defector investigations on a real simulated workspace: who is interviewed (against the defectors
found and the simulator's truth), the sample's reproducibility, assignment, recording, review
timing, stated vs reviewed reasons, and actions with churn before and after."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from churnguard.errors import InputError, NotFoundError, OptionError
from churnguard.service import investigations as inv
from churnguard.service.context import open_context
from churnguard.service.demo import DemoOptions, build_demo
from churnguard.service.detect import DefectorOptions, defectors
from churnguard.service.measure import CompareOptions, compare
from churnguard.service.workspace import update_settings

Q3 = "2026-Q3"
ON = date(2026, 9, 30)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 simulated customers over 18 months (to 2026-09-30): about 120 complete defectors in Q3."""
    path = tmp_path_factory.mktemp("inv") / "shop"
    build_demo(DemoOptions(directory=path, customers=1500, months=18, seed=11))
    return path


@pytest.fixture
def shop(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "shop"
    shutil.copytree(template, path)
    return path


def reason_rows(ctx, customer_id: str) -> pd.DataFrame:
    t = ctx.store.table("churn_reasons")
    return t.filter([t.customer_id == customer_id, t.source == "interview"]).to_pandas()


def test_every_complete_defector_of_the_period_and_a_reproducible_partial_sample(shop: Path) -> None:
    with open_context(shop) as ctx:
        a = inv.start(ctx, inv.StartOptions(Q3, partial_sample=0.5, seed=1))
        found = defectors(ctx.with_as_of(ON), DefectorOptions()).frame
        truth = ctx.store.table("truth").to_pandas().set_index("customer_id")
        b = inv.start(ctx, inv.StartOptions(Q3, partial_sample=0.5, seed=1))
        c = inv.start(ctx, inv.StartOptions(Q3, partial_sample=0.5, seed=2))
    lost = pd.to_datetime(found["lost_at"])
    expected = set(found.loc[(found["kind"] == "complete") & (lost >= "2026-07-01") & (lost <= "2026-09-30"),
                             "customer_id"])
    fa = a.frame
    assert set(fa.loc[fa["kind"] == "complete", "customer_id"]) == expected and len(expected) > 50
    assert a.complete == len(expected)
    n_partial = int((found["kind"] == "partial").sum())
    assert a.partial_found == n_partial >= 5
    assert a.partial_sampled == math.floor(0.5 * n_partial + 0.5)
    # by the simulator's truth the complete defectors interviewed left far more often than customers at
    # large (about 44% against 15%: defectors found at the very end of the data include customers the
    # inactivity rule and P(alive) call lost too early; the interviews are where that shows)
    truly_left = truth.loc[list(expected), "churned"].astype(bool).mean()
    assert truly_left > 2.5 * truth["churned"].astype(bool).mean(), truly_left
    # same seed, same customers in the same order; another seed, another partial sample
    assert (a.investigation_id, b.investigation_id, c.investigation_id) == (Q3, f"{Q3}-2", f"{Q3}-3")
    assert fa["customer_id"].tolist() == b.frame["customer_id"].tolist()
    partial = {r: set(x.frame.loc[x.frame["kind"] == "partial", "customer_id"]) for r, x in (("a", a), ("c", c))}
    assert partial["a"] != partial["c"] and len(partial["a"]) == len(partial["c"])


def test_interviews_come_largest_lost_value_first_within_capacity(shop: Path) -> None:
    with open_context(shop) as ctx:
        update_settings(ctx, {"act.capacity": "12"})
    with open_context(shop) as ctx:
        r = inv.start(ctx, inv.StartOptions(Q3, seed=3))
        people = inv.interviewers(ctx)
        rows = inv.interviews(ctx, inv.InterviewOptions(r.investigation_id)).frame
    values = rows["lost_value"].astype(float).tolist()
    assert values == sorted(values, reverse=True) and values[0] > 0
    assert rows["position"].tolist() == list(range(1, len(rows) + 1))
    ties = rows.groupby("lost_value")["customer_id"].apply(lambda s: s.tolist() == sorted(s.tolist()))
    assert ties.all()
    counts = rows["interviewer"].value_counts()
    assert counts.max() <= 12 and set(counts.index) <= set(people)
    assert r.unassigned == len(rows) - 12 * len(people) > 0
    assert rows.loc[12 * len(people):, "interviewer"].isna().all()  # the smallest losses are left over
    # a customer with a CSM who still had room got its own CSM
    own = rows.merge(r.frame[["customer_id", "csm"]], on="customer_id")
    first = own.head(len(people))
    assert (first["interviewer"] == first["csm"]).sum() >= first["csm"].notna().sum() // 2


def test_recording_writes_one_churn_reason_and_recording_again_replaces_it(shop: Path) -> None:
    with open_context(shop) as ctx:
        r = inv.start(ctx, inv.StartOptions(Q3, seed=1))
        first = r.frame.iloc[0]
        cid = first["customer_id"]
        before = ctx.store.count("churn_reasons")
        out = inv.record(ctx, inv.RecordOptions(cid, "价格", competitor="优选商城", recoverable="yes", attempts=2,
                                                 notes="太贵了", on=date(2026, 9, 20)))
        assert not out.replaced and out.interview["status"] == "done" and out.interview["reason"] == "price"
        rows = reason_rows(ctx, cid)
        assert len(rows) == 1 and ctx.store.count("churn_reasons") == before + 1
        row = rows.iloc[0]
        assert (row["reason"], row["kind"], row["competitor"], bool(row["recoverable"]), int(row["attempts"])) == \
            ("price", first["kind"], "优选商城", True, 2)
        assert pd.Timestamp(row["recorded_at"]).date() == date(2026, 9, 20)
        again = inv.record(ctx, inv.RecordOptions(cid, "service", r.investigation_id, secondary="price"))
        assert again.replaced
        rows = reason_rows(ctx, cid)
        assert len(rows) == 1 and ctx.store.count("churn_reasons") == before + 1
        assert (rows.iloc[0]["reason"], rows.iloc[0]["secondary_reason"], rows.iloc[0]["competitor"]) == \
            ("service", "price", None)
        assert pd.Timestamp(rows.iloc[0]["recorded_at"]).date() == ctx.as_of  # default: the as-of date
        # clear errors
        with pytest.raises(OptionError, match="choose one of: price") as e:
            inv.RecordOptions(cid, "too expensive")
        assert e.value.field == "reason"
        with pytest.raises(OptionError) as e:
            inv.RecordOptions(cid, "price", recoverable="maybe")
        assert e.value.field == "recoverable"
        with pytest.raises(NotFoundError, match="no open investigation"):
            inv.record(ctx, inv.RecordOptions("C9999999", "price"))
        with pytest.raises(NotFoundError, match="not among the interviews"):
            inv.record(ctx, inv.RecordOptions("C9999999", "price", r.investigation_id))
        with pytest.raises(NotFoundError, match="no investigation 'nope'"):
            inv.record(ctx, inv.RecordOptions(cid, "price", "nope"))
        inv.close(ctx, r.investigation_id)
        with pytest.raises(InputError, match="closed"):
            inv.record(ctx, inv.RecordOptions(cid, "price", r.investigation_id))
        with pytest.raises(NotFoundError):  # no open investigation holds it any more
            inv.record(ctx, inv.RecordOptions(cid, "price"))


def test_reviews_fall_due_at_a_quarter_and_at_three_quarters(shop: Path) -> None:
    with open_context(shop) as ctx:
        r = inv.start(ctx, inv.StartOptions("2026-08", seed=1))
        ids = r.frame["customer_id"].tolist()
        n = len(ids)
        first, second = math.ceil(0.25 * n), math.ceil(0.75 * n)
        assert n >= 8
        for cid in ids[:first - 1]:
            inv.record(ctx, inv.RecordOptions(cid, "service", r.investigation_id, on=ON))
        t = inv.review(ctx, r.investigation_id, measure_actions=False).timing
        assert not t["review_due"] and t["next_milestone"] == 0.25 and t["next_needed"] == first
        with pytest.raises(InputError, match="no review .* is due yet"):
            inv.record_review(ctx, r.investigation_id)
        inv.record(ctx, inv.RecordOptions(ids[first - 1], "price", r.investigation_id, on=ON))
        listed = inv.list_investigations(ctx).to_dict()["data"][0]
        assert listed["review_due"] and listed["due_milestone"] == 0.25 and listed["done"] == first
        done = inv.record_review(ctx, r.investigation_id, "service first").to_dict()
        assert done["timing"]["review_due"] is False and done["timing"]["next_milestone"] == 0.75
        assert done["timing"]["next_needed"] == second and done["reviews"][0]["notes"] == "service first"
        for cid in ids[first:second]:
            inv.record(ctx, inv.RecordOptions(cid, "closure", r.investigation_id, on=ON))
        t = inv.review(ctx, r.investigation_id, measure_actions=False).timing
        assert t["review_due"] and t["due_milestone"] == 0.75
        inv.record_review(ctx, r.investigation_id)
        t = inv.review(ctx, r.investigation_id, measure_actions=False).timing
        assert not t["review_due"] and t["next_milestone"] is None
        assert [m["recorded"] for m in t["milestones"]] == [True, True]


def test_the_review_tables_and_reclassifying(shop: Path) -> None:
    with open_context(shop) as ctx:
        r = inv.start(ctx, inv.StartOptions(Q3, seed=1))
        rows = r.frame.head(4)
        for cid, reason in zip(rows["customer_id"], ["price", "price", "business_change", "service"], strict=True):
            inv.record(ctx, inv.RecordOptions(cid, reason, r.investigation_id, on=ON))
        cid = rows["customer_id"].iloc[1]
        with pytest.raises(InputError, match="not recorded yet"):
            inv.reclassify(ctx, inv.ReclassifyOptions(r.investigation_id, r.frame["customer_id"].iloc[5], "price"))
        inv.reclassify(ctx, inv.ReclassifyOptions(r.investigation_id, cid, "服务"))
        d = inv.review(ctx, r.investigation_id, measure_actions=False).to_dict()
        assert reason_rows(ctx, cid).iloc[0]["reason"] == "service"
    value = dict(zip(rows["customer_id"], rows["lost_value"].astype(float), strict=True))
    table = {x["reason"]: x for x in d["data"]}
    assert table["service"]["interviews"] == 2 and table["price"]["interviews"] == 1
    assert table["service"]["lost_value"] == pytest.approx(value[cid] + value[rows["customer_id"].iloc[3]], abs=0.01)
    assert table["business_change"]["controllable"] is False and table["price"]["controllable"] is True
    assert d["controllable"]["controllable"]["interviews"] == 3 and d["controllable"]["uncontrollable"]["interviews"] == 1
    assert sum(x["share"] for x in d["data"]) == pytest.approx(1.0)
    changed = [x for x in d["stated_vs_reviewed"] if x["changed"]]
    assert changed == [{"stated": "price", "reviewed": "service", "interviews": 1, "changed": True}]
    assert d["count"] == len(d["data"]) == 3


def test_actions_show_churn_before_and_after_their_start(shop: Path) -> None:
    with open_context(shop) as ctx:
        r = inv.start(ctx, inv.StartOptions(Q3, seed=1))
        a1 = inv.add_action(ctx, inv.ActionOptions(r.investigation_id, "价格", "new price list", "李明",
                                                   date(2026, 4, 15), date(2026, 4, 1))).to_dict()
        a2 = inv.add_action(ctx, inv.ActionOptions(r.investigation_id, "service", "faster fixes", "王芳",
                                                   date(2026, 9, 1))).to_dict()
        assert (a1["action_id"], a2["action_id"]) == (f"{Q3}-a1", f"{Q3}-a2")
        inv.action_done(ctx, a1["action_id"], date(2026, 4, 10))
        d = inv.review(ctx, r.investigation_id).to_dict()
        cmp = compare(ctx, CompareOptions(at=date(2026, 4, 1), window="1q")).to_dict()
        with pytest.raises(OptionError) as e:
            inv.ActionOptions(r.investigation_id, "price", " ", "x", date(2026, 1, 1))
        assert e.value.field == "action"
        with pytest.raises(NotFoundError):
            inv.action_done(ctx, "nope")
    acts = {a["action_id"]: a for a in d["actions"]}
    one, two = acts[f"{Q3}-a1"], acts[f"{Q3}-a2"]
    assert one["reason"] == "price" and str(one["done_at"]) == "2026-04-10" and str(two["starts_at"]) == "2026-09-01"
    assert one["measurable"] is True
    assert one["churn_before"] == pytest.approx(cmp["data"][0]["churn_rate"])
    assert one["churn_after"] == pytest.approx(cmp["data"][1]["churn_rate"])
    assert one["ci_low"] < one["difference"] < one["ci_high"]
    assert two["measurable"] is False  # the quarter after 2026-09-01 has not passed by 2026-09-30


def test_the_demo_investigation(shop: Path) -> None:
    with open_context(shop) as ctx:
        out = inv.demo_investigation(ctx)
        listed = inv.list_investigations(ctx, "open").to_dict()["data"]
    assert out["period"] == Q3 and out["recorded"] > 0
    assert listed[0]["investigation_id"] == out["investigation_id"] and listed[0]["done"] == out["recorded"]


@pytest.mark.parametrize("text", ["2026-Q9", "soon"])
def test_bad_options_name_their_field(text: str) -> None:
    with pytest.raises(OptionError) as e:
        inv.StartOptions(text)
    assert e.value.field == "period"
    with pytest.raises(OptionError) as e:
        inv.StartOptions(Q3, partial_sample=1.5)
    assert e.value.field == "partial_sample"


def test_start_and_record_on_each_engine(workspace) -> None:
    """The same investigation and churn-reason row on DuckDB and PostgreSQL."""
    from churnguard.service.context import context_of
    from churnguard.simulate import simulate
    from tests.simulated import load_tables

    load_tables(workspace, simulate(customers=300, months=12, seed=5).tables)
    ctx = context_of(workspace)
    r = inv.start(ctx, inv.StartOptions(Q3, seed=4))
    assert r.investigation_id == Q3 and len(r.frame) > 0
    cid = r.frame["customer_id"].iloc[0]
    inv.record(ctx, inv.RecordOptions(cid, "price", competitor="X", recoverable=False, on=ON))
    inv.record(ctx, inv.RecordOptions(cid, "product", recoverable=True, on=ON))
    rows = reason_rows(ctx, cid)
    assert len(rows) == 1 and rows.iloc[0]["reason"] == "product" and bool(rows.iloc[0]["recoverable"]) is True
    again = inv.start(ctx, inv.StartOptions(Q3, seed=4))
    assert again.investigation_id == f"{Q3}-2"
    assert again.frame["customer_id"].tolist() == r.frame["customer_id"].tolist()
    listed = inv.list_investigations(ctx).to_dict()["data"]
    assert [x["done"] for x in listed] == [0, 1]
