"""The simulator's contract: determinism, exact schema, dates inside the span, valid ids."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from churnguard import schema, vocab
from churnguard.errors import InputError
from churnguard.simulate import Simulation, simulate

EXPECTED_DTYPE = {
    "string": lambda s: isinstance(s.dtype, pd.StringDtype),
    "date": lambda s: s.dtype == np.dtype("datetime64[ns]"),
    "float64": lambda s: s.dtype == np.dtype("float64"),
    # nullable where a value may be unknown (the churn reasons' recoverable and attempts)
    "int64": lambda s: s.dtype in (np.dtype("int64"), pd.Int64Dtype()),
    "boolean": lambda s: s.dtype in (np.dtype("bool"), pd.BooleanDtype()),
}

# dates that are scheduled rather than happened: a running contract's end, an open invoice's due date
SCHEDULED = {("contracts", "end_at"), ("transactions", "due_at")}


def _check_table(df: pd.DataFrame, table: schema.Table) -> None:
    assert list(df.columns) == table.column_names
    for col in table.columns:
        s = df[col.name]
        assert EXPECTED_DTYPE[col.type](s), f"{table.name}.{col.name}: {s.dtype} is not {col.type}"
        if col.type == "date":
            v = s.dropna()
            assert (v == v.dt.normalize()).all(), f"{table.name}.{col.name} has a time of day"
        if col.required:
            assert s.notna().all(), f"{table.name}.{col.name} is required but has missing values"


def test_returns_every_kind_with_exact_columns_and_types(sim):
    assert isinstance(sim, Simulation)
    assert set(sim.tables) == set(schema.KINDS)
    for kind, df in sim.tables.items():
        assert len(df) > 0, kind
        _check_table(df, schema.KINDS[kind])
    _check_table(sim.truth, schema.TRUTH)


def test_same_seed_same_data_and_different_seed_differs():
    a = simulate(customers=600, seed=11)
    b = simulate(customers=600, seed=11)
    c = simulate(customers=600, seed=12)
    for kind in a.tables:
        pd.testing.assert_frame_equal(a.tables[kind], b.tables[kind])
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.events == b.events
    assert not a.tables["transactions"].equals(c.tables["transactions"])
    assert not a.truth.equals(c.truth)


def test_uses_no_global_random_state():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    simulate(customers=200, seed=1)
    assert (np.random.get_state()[1] == before).all()


def test_default_end_is_fixed_not_today():
    sim = simulate(customers=100, seed=3)
    assert sim.end == dt.date(2026, 9, 30)
    assert sim.start == dt.date(2024, 10, 1)
    other = simulate(customers=100, seed=3, months=12, end="2025-06-30")
    assert (other.start, other.end) == (dt.date(2024, 7, 1), dt.date(2025, 6, 30))


def test_no_date_after_end_or_event_before_start(sim):
    end, start = pd.Timestamp(sim.end), pd.Timestamp(sim.start)
    for kind, df in sim.tables.items():
        for col in schema.KINDS[kind].columns:
            if col.type != "date" or (kind, col.name) in SCHEDULED:
                continue
            assert (df[col.name].dropna() <= end).all(), f"{kind}.{col.name} after end"
    for kind, col in [
        ("transactions", "occurred_at"),
        ("interactions", "occurred_at"),
        ("complaints", "opened_at"),
        ("surveys", "answered_at"),
        ("churn-reasons", "recorded_at"),
        ("wallet-estimates", "period_start"),
    ]:
        assert (sim.tables[kind][col] >= start).all(), f"{kind}.{col} before start"
    paid = sim.tables["transactions"]["paid_at"].dropna()
    assert (paid <= end).all()
    for col in ("churned_at", "partial_from", "acquired_at"):
        assert (sim.truth[col].dropna() <= end).all()


def test_customer_ids_in_every_table_exist(sim):
    ids = set(sim.tables["customers"]["customer_id"])
    assert sim.tables["customers"]["customer_id"].is_unique
    for kind, df in sim.tables.items():
        assert set(df["customer_id"]) <= ids, kind
    assert list(sim.truth["customer_id"]) == list(sim.tables["customers"]["customer_id"])


def test_vocabulary_values(sim):
    t = sim.truth
    assert set(t["churn_kind"]) <= {"complete", "partial", "none"}
    assert set(t["churn_reason"].dropna()) <= set(vocab.CHURN_REASONS)
    assert set(sim.tables["interactions"]["kind"]) <= set(vocab.INTERACTION_KINDS)
    assert set(sim.tables["customers"]["customer_type"]) == set(vocab.CUSTOMER_TYPES)
    cr = sim.tables["churn-reasons"]
    assert set(cr["reason"]) <= set(vocab.CHURN_REASONS)
    assert set(cr["source"]) == {"interview"}
    s = sim.tables["surveys"]
    assert s["satisfaction"].between(1, 5).all() and s["nps"].between(0, 10).all()


def test_truth_is_self_consistent(sim):
    t = sim.truth
    assert (t["churned"] == (t["churn_kind"] == "complete")).all()
    assert (t["churned_at"].notna() == t["churned"]).all()
    assert t.loc[t["churn_kind"] == "partial", "partial_from"].notna().all()
    assert t.loc[t["churn_kind"] != "none", "churn_reason"].notna().all()
    assert t.loc[t["churn_kind"] == "none", "churn_reason"].isna().all()
    assert t["satisfaction"].between(1, 5).all()
    assert (t.loc[t["churned"], "churned_at"] >= t.loc[t["churned"], "acquired_at"]).all()


def test_base_composition(sim):
    c, t = sim.tables["customers"], sim.truth
    assert 0.06 < (c["customer_type"] == "key").mean() < 0.14
    assert 0.25 < t["contractual"].mean() < 0.35
    grouped = c["group_id"].dropna()
    assert 0.15 < len(grouped) / len(c) < 0.25
    assert grouped.value_counts().between(2, 6).all()
    assert c["csm"].dropna().nunique() <= 8 and c.loc[c["customer_type"] == "key", "csm"].notna().all()
    start = pd.Timestamp(sim.start)
    existing = (c["acquired_at"] < start).mean()
    assert 0.5 < existing < 0.9  # some exist at the start, the rest arrive during the span


def test_bad_arguments_raise_input_error():
    with pytest.raises(InputError, match="customers"):
        simulate(customers=0)
    with pytest.raises(InputError, match="months"):
        simulate(customers=10, months=2)
    with pytest.raises(InputError, match="end"):
        simulate(customers=10, end="last tuesday")
