"""The value use cases: compute as of a date, core customers, the demo summary, snapshots."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from churnguard import value
from churnguard.errors import ChurnguardError, InputError
from churnguard.service.context import context_of
from churnguard.vocab import RFM_SEGMENTS
from tests.compute.value import shop
from tests.compute.value.test_summary import cdnow_lines

CAL_END = date(1997, 9, 30)


@pytest.fixture
def cdnow_ws(duck_workspace):
    """A DuckDB workspace holding the raw CDNOW purchase lines."""
    shop.load_frame(duck_workspace, "transactions", cdnow_lines())
    return duck_workspace


def _renewal_contracts(n: int, seed: int, first_year: int = 2019) -> pd.DataFrame:
    """Yearly contracts of ``n`` customers who signed in the five years from ``first_year`` and
    renew with a customer-specific probability (beta-distributed: the sBG story), for up to
    seven years."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        year, month = first_year + int(rng.integers(0, 5)), int(rng.integers(1, 13))
        p_renew = rng.beta(3.0, 1.5)
        prev = None
        while True:
            cid = f"K{i:04d}-{year}"
            end = date(year + 1, month, 1) - timedelta(days=1)
            rows.append((cid, f"S{i:04d}", date(year, month, 1), end, 1000.0 + 10 * i, prev, None))
            year += 1
            if year > first_year + 6 or rng.random() > p_renew:
                break
            prev = cid
    cols = [
        "contract_id",
        "customer_id",
        "start_at",
        "end_at",
        "recurring_value",
        "renewed_from",
        "cancelled_at",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_cdnow_through_the_whole_value_step(cdnow_ws):
    """From raw lines to the published fits: BG/NBD r = 0.243, alpha = 4.414, a = 0.793,
    b = 2.426, LL = -9582.4 (Fader, Hardie & Lee 2005); Pareto/NBD r = 0.553, alpha = 10.58,
    s = 0.606, beta = 11.67, LL = -9595.0 (Fader & Hardie, Pareto/NBD note); Gamma-Gamma
    p = 6.25, q = 3.74, v = 15.44 on the 946 repeat buyers (Fader & Hardie 2013 note)."""
    result = value.compute(context_of(cdnow_ws, as_of=CAL_END))
    m = result.to_dict()["models"]
    for k, v in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert m["bgnbd"][k] == pytest.approx(v, rel=0.01), k
    assert m["bgnbd"]["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    for k, v in {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}.items():
        assert m["pareto_nbd"][k] == pytest.approx(v, rel=0.01), k
    assert m["pareto_nbd"]["log_likelihood"] == pytest.approx(-9595.0, abs=0.1)
    for k, v in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert m["gamma_gamma"][k] == pytest.approx(v, rel=0.01), k
    assert m["gamma_gamma"]["customers"] == 946
    assert m["clv"]["fitted"] and not m["sbg"]["fitted"] and "no contracts" in m["sbg"]["error"]
    f = result.to_frame()
    assert len(f) == 2357 and int(f["frequency"].sum()) == 2457
    assert f["rfm_segment"].notna().all() and set(f["rfm_segment_label"]) <= {
        "重要价值",
        "重要发展",
        "重要保持",
        "重要挽留",
        "一般价值",
        "一般发展",
        "一般保持",
        "一般挽留",
    }
    assert f["clv"].gt(0).all() and f["p_alive"].between(0, 1).all()
    assert result.as_of_source == "given"


def test_day_and_week_units_describe_the_same_customers(cdnow_ws):
    """Only the time scale changes: T and recency in days are 7x those in weeks, BG/NBD's
    alpha (a time scale) is 7x, r, a, b and every P(alive) and CLV stay the same."""
    week = value.compute(context_of(cdnow_ws, as_of=CAL_END), value.ValueOptions(time_unit="week"))
    day = value.compute(context_of(cdnow_ws, as_of=CAL_END), value.ValueOptions(time_unit="day"))
    np.testing.assert_allclose(day.frame["T"], 7 * week.frame["T"])
    np.testing.assert_allclose(day.frame["recency"], 7 * week.frame["recency"])
    bw, bd = week.models["bgnbd"].params, day.models["bgnbd"].params
    assert bd["alpha"] == pytest.approx(7 * bw["alpha"], rel=1e-3)
    for k in ("r", "a", "b"):
        assert bd[k] == pytest.approx(bw[k], rel=1e-3)
    np.testing.assert_allclose(day.frame["p_alive"], week.frame["p_alive"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(day.frame["clv"], week.frame["clv"], rtol=2e-3)


def test_nothing_after_the_as_of_date_changes_the_result(duck_workspace):
    """Transactions and contracts dated after D, and a cancellation dated after D, leave the
    value table and the models as of D exactly as they were."""
    lines = cdnow_lines()
    shop.load_frame(duck_workspace, "transactions", lines[lines["occurred_at"] <= CAL_END])
    contracts = _renewal_contracts(80, seed=1, first_year=1992)
    shop.load_frame(duck_workspace, "contracts", contracts)
    before = value.compute(context_of(duck_workspace, as_of=CAL_END))

    shop.load_frame(duck_workspace, "transactions", lines[lines["occurred_at"] > CAL_END])
    later = shop.transactions()  # new customers, all after D
    later["occurred_at"] = [date(1998, 1, 5)] * len(later)
    later["due_at"] = [None] * len(later)
    shop.load_frame(duck_workspace, "transactions", later)
    running = contracts[contracts["end_at"] > CAL_END].head(5).copy()
    running["cancelled_at"] = date(1997, 12, 1)  # re-imported: the stored contracts change
    shop.load_frame(duck_workspace, "contracts", running)
    after = value.compute(context_of(duck_workspace, as_of=CAL_END))

    pd.testing.assert_frame_equal(before.frame, after.frame)
    assert before.to_dict()["models"] == after.to_dict()["models"]
    assert before.models["sbg"].fitted


def test_contract_retention_and_remaining_value(duck_workspace):
    shop.load_frame(duck_workspace, "contracts", _renewal_contracts(300, seed=2))
    result = value.compute(context_of(duck_workspace, as_of=date(2024, 6, 30)))
    sbg = result.to_dict()["models"]["sbg"]
    assert sbg["fitted"] and sbg["chains"] == 300
    assert len(sbg["retention_curve"]) == 10
    rates = [p["retention_rate"] for p in sbg["retention_curve"]]
    assert rates == sorted(rates)  # retention rises as the likeliest leavers go first
    table = sbg["life_table"]
    assert table[0]["at_risk"] == 300
    f = result.to_frame().set_index("customer_id")
    assert f["frequency"].isna().all()  # contract-only customers have no purchase history
    active = f["contract_status"] == "active"
    assert active.any() and (f.loc[active, "contract_remaining_value"] > 0).all()
    assert (f.loc[f["contract_status"] == "ended", "contract_remaining_value"] == 0).all()
    assert f.loc[active, "renewal_probability"].between(0, 1).all()
    assert not result.models["bgnbd"].fitted  # and the rest is still there
    assert f["tenure_days"].notna().all()


def test_the_shop_on_every_engine_and_its_snapshot(workspace):
    shop.load(workspace)
    result = value.compute(context_of(workspace, as_of=shop.AS_OF), value.ValueOptions(time_unit="day"))
    f = result.to_frame().set_index("customer_id")
    assert list(f.index) == ["A", "B", "C", "D", "E"]
    a = f.loc["A"]
    assert (a["frequency"], a["recency"], a["T"]) == (3, 537.0, 537.0)
    assert a["monetary_value"] == pytest.approx(380 / 3)
    assert (a["purchase_count"], a["days_since_last_purchase"], a["tenure_days"]) == (4, 0, 537)
    assert a["total_spend"] == 450.0 and a["margin"] == 50.0
    assert a["on_time_share"] == pytest.approx(1 / 3) and a["mean_days_late"] == pytest.approx(86 / 3)
    assert (f.loc["B", "frequency"], f.loc["B", "T"]) == (0, 0.0)
    assert f.loc["D", "contract_status"] == "active" and pd.isna(f.loc["D", "rfm_segment"])
    assert pd.isna(f.loc["E", "frequency"]) and f.loc["E", "total_spend"] == -10.0
    assert f.loc["D", "tenure_days"] == 365  # since the contract started 2023-07-01
    # few customers: the purchase models say why they cannot be fitted, the rest is there
    models = result.to_dict()["models"]
    assert set(models) == {"bgnbd", "pareto_nbd", "gamma_gamma", "clv", "sbg"}
    assert all(m["fitted"] or m["error"] for m in models.values())

    assert value.snapshots(context_of(workspace)) == [shop.AS_OF]
    stored = value.load(context_of(workspace))
    assert list(stored.columns[: len(value.COLUMNS)]) == list(value.COLUMNS)
    assert stored["customer_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert stored["T"].iloc[0] == 537.0 and set(stored["time_unit"]) == {"day"}
    assert stored["rfm_segment"].iloc[0] == f.loc["A", "rfm_segment"]
    # computing the same date again replaces that date's rows
    value.compute(context_of(workspace, as_of=shop.AS_OF))
    assert len(value.load(context_of(workspace, as_of=shop.AS_OF))) == 5
    models_snapshot = workspace.store.table("snap_value_models").to_pandas()
    assert sorted(models_snapshot["model"]) == ["bgnbd", "clv", "gamma_gamma", "pareto_nbd", "sbg"]


def test_summary_for_the_demo(cdnow_ws):
    s = value.summarize(context_of(cdnow_ws, as_of=date(1998, 6, 30)), top=3)
    d = s.to_dict()
    c = d["concentration"]
    assert c["share"] == 0.8 and c["window_days"] == 365
    assert 0 < c["customer_share"] < 0.5 and c["customers_making_share"] < c["customers_with_value"]
    assert d["core_customers"] > 0 and len(d["top_core"]) == 3
    assert d["top_core"][0]["core_reason"].startswith("前1%收入贡献")
    assert "贡献了 80% 的收入" in s.lines()[1]
    core = value.core_customers(context_of(cdnow_ws, as_of=date(1998, 6, 30)), value.CoreOptions(top=5)).to_dict()
    assert core["count"] == 5 and core["core_customers"] == d["core_customers"]
    assert list(core["data"][0]) == value.CORE_COLUMNS
    revenue = [r["revenue"] for r in core["data"]]
    assert revenue == sorted(revenue, reverse=True)


def test_clear_errors(duck_workspace):
    with pytest.raises(ChurnguardError, match="no dated records yet"):
        value.compute(context_of(duck_workspace))
    shop.load(duck_workspace)
    with pytest.raises(InputError, match="unknown time unit 'month'; choose one of: day, week"):
        value.ValueOptions(time_unit="month")
    with pytest.raises(InputError, match=r"no transactions or contracts on or before 2020-01-01.*2023-01-10"):
        value.compute(context_of(duck_workspace, as_of=date(2020, 1, 1)))
    with pytest.raises(ChurnguardError, match="no 'value' results as of 2020-01-01"):
        value.compute(context_of(duck_workspace, as_of=shop.AS_OF))
        value.load(context_of(duck_workspace, as_of=date(2020, 1, 1)))


def test_without_repeat_buyers_the_models_say_why_and_the_rest_is_there(workspace):
    """Every customer bought once: no purchase model can be fitted. The value table still has
    RFM, Pareto and payments, and each model entry says why it is missing."""
    one_each = pd.DataFrame(
        {
            "customer_id": [f"N{i:02d}" for i in range(30)],
            "occurred_at": [date(2024, 1, 1) + timedelta(days=7 * i) for i in range(30)],
            "amount": [10.0 * (i + 1) for i in range(30)],
        }
    )
    shop.load_frame(workspace, "transactions", one_each)
    result = value.compute(context_of(workspace, as_of=date(2024, 12, 31)))
    models = result.to_dict()["models"]
    assert models["bgnbd"]["fitted"] is False
    assert "none of the 30 customers has a repeat purchase" in models["bgnbd"]["error"]
    assert "none of the 30 customers has a repeat purchase" in models["pareto_nbd"]["error"]
    assert models["gamma_gamma"]["fitted"] is False and models["clv"]["fitted"] is False
    f = result.to_frame()
    assert f["rfm_segment"].notna().all() and f["p_alive"].isna().all() and f["clv"].isna().all()
    assert f["pareto_top"].sum() == 17  # the 17 largest of 10, 20, ..., 300 make 80% of 4,650


def test_public_api_takes_a_context_with_the_workspace_s_settings(duck_workspace):
    """``churnguard.value`` is the Python API: a context of the workspace, in its settings."""
    from churnguard.settings import Settings

    assert {
        "compute",
        "core_customers",
        "summarize",
        "load",
        "snapshots",
        "ValueOptions",
        "ValueResult",
        "ValueSummary",
        "CoreCustomersResult",
        "COLUMNS",
        "TIME_UNITS",
    } <= set(value.__all__)
    shop.load(duck_workspace)
    duck_workspace.settings = Settings(language="en")
    ctx = context_of(duck_workspace, as_of=shop.AS_OF)
    result = value.compute(ctx)
    f = result.to_frame().set_index("customer_id")
    assert f.loc["A", "rfm_segment_label"] == RFM_SEGMENTS[f.loc["A", "rfm_segment"]].en
    assert f.loc["B", "core_reason"].startswith("not core: ")
    assert (
        value.summarize(ctx)
        .lines()[0]
        .startswith("customer value as of 2024-06-30")
    )


def test_a_page_of_stored_core_customers_is_the_sorted_list(cdnow_ws):
    """The value snapshot is stored core customers first with their place (``core_rank``): a
    page read as a range of places is the same page as sorting every core customer."""
    from churnguard.service.core_customers import stored_core_customers

    value.compute(context_of(cdnow_ws, as_of=date(1998, 6, 30)))
    everyone = stored_core_customers(context_of(cdnow_ws), value.CoreOptions(top=None)).to_dict()  # sorted by the engine
    assert everyone["core_customers"] > 30
    page = stored_core_customers(context_of(cdnow_ws), value.CoreOptions(top=10, offset=20)).to_dict()  # a range of places
    assert page["data"] == everyone["data"][20:30]
    revenue = [r["revenue"] for r in everyone["data"]]
    assert revenue == sorted(revenue, reverse=True)
    stored = value.load(context_of(cdnow_ws))
    assert sorted(stored["core_rank"].dropna()) == list(range(1, everyone["core_customers"] + 1))
    assert stored.loc[stored["core_rank"].isna(), "core"].fillna(False).eq(False).all()
