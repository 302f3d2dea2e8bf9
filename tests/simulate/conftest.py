"""One shared simulation for the simulator tests (small: 3,000 customers)."""

import os

import pytest

from churnguard.simulate import simulate


@pytest.fixture(scope="session")
def sim():
    # CHURNGUARD_SIM_SEED lets a developer check that the tests hold for other seeds too
    return simulate(customers=3000, months=24, seed=int(os.environ.get("CHURNGUARD_SIM_SEED", "7")))


@pytest.fixture(scope="session")
def tx(sim):
    """Sales lines (no returns) joined with the truth."""
    t = sim.tables["transactions"]
    t = t[t["amount"] > 0]
    return t.merge(sim.truth, on="customer_id", how="left")
