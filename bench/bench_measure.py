"""Time churn-rate, cohorts and price-volume on a synthetic company, against plain pandas.

Builds a DuckDB workspace of N customers and M transactions (numpy, seeded; 10% of the
customers also hold contracts), then times each figure computed by churnguard (Ibis
expressions executed inside DuckDB) and the same computation written in plain pandas over
the same tables loaded into memory, checks both give the same table, and prints seconds
and ratios. Never asserts a time; exits non-zero when a figure differs from the reference.

    PYTHONPATH=src python bench/bench_measure.py                      # 1M customers, 10M transactions
    PYTHONPATH=src python bench/bench_measure.py --customers 10000 --transactions 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from churnguard.compute.measure import churn_rate, customer_spells
from churnguard.compute.measure.cohorts import cohorts
from churnguard.compute.measure.price_volume import price_volume
from churnguard.settings import ChurnSettings
from churnguard.store import Records, Workspace

START = np.datetime64("2022-01-01")
AS_OF = date(2024, 12, 31)
DAYS = int((np.datetime64(AS_OF) - START).astype(int)) + 1
BOUNDARY_DAYS = 90  # the threshold compared below


# -- data ---------------------------------------------------------------------------------
def generate(n_customers: int, n_transactions: int, seed: int) -> dict[str, pa.Table]:
    """A seeded synthetic company as Arrow tables (canonical columns)."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(np.arange(n_customers).astype(str), 7))
    segments = np.array(["retail", "wholesale", "online", "key"])
    customers = pa.table({
        "customer_id": ids,
        "segment": segments[rng.integers(0, 4, n_customers)],
        "region": np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n_customers)],
    })
    # each customer buys within its own lifetime window, at its own rate
    birth = rng.integers(0, DAYS - 30, n_customers)
    life = rng.exponential(400, n_customers).astype(int) + 30
    weight = rng.gamma(1.0, 1.0, n_customers)
    cust = rng.choice(n_customers, n_transactions, p=weight / weight.sum())
    offset = (rng.random(n_transactions) * life[cust]).astype(int)
    day = np.minimum(birth[cust] + offset, DAYS - 1)
    qty = rng.integers(1, 10, n_transactions).astype(float)
    price = np.round(rng.uniform(5, 50, n_transactions), 2)
    # boundary cases on purpose (one customer in a thousand): a purchase exactly BOUNDARY_DAYS
    # after the previous one (the customer is kept) and another BOUNDARY_DAYS + 1 later (lost,
    # then reactivated), so the comparison below always exercises the boundary
    b = rng.choice(n_customers, max(1, n_customers // 1000), replace=False)
    b0 = rng.integers(0, DAYS - 2 * BOUNDARY_DAYS - 2, len(b))
    cust = np.concatenate([cust, b, b, b])
    day = np.concatenate([day, b0, b0 + BOUNDARY_DAYS, b0 + 2 * BOUNDARY_DAYS + 1])
    qty = np.concatenate([qty, np.ones(3 * len(b))])
    price = np.concatenate([price, np.full(3 * len(b), 10.0)])
    transactions = pa.table({
        "customer_id": ids[cust],
        "occurred_at": pa.array((START + day.astype("timedelta64[D]")).astype("datetime64[D]"), pa.date32()),
        "amount": qty * price,
        "quantity": qty,
    })
    # 10% contractual customers with one to three contracts, some renewed on the day, some not
    cc = rng.choice(n_customers, n_customers // 10, replace=False)
    k = rng.integers(1, 4, len(cc))
    rows_c = np.repeat(cc, k)
    seq = np.concatenate([np.arange(x) for x in k])
    first = birth[rows_c]
    length = rng.integers(180, 400, len(rows_c))
    gap = rng.choice([0, 0, 0, 10, 60], len(rows_c))
    start = first + seq * (length + gap)
    contracts = pa.table({
        "contract_id": np.char.add(np.char.add(ids[rows_c], "-"), seq.astype(str)),
        "customer_id": ids[rows_c],
        "start_at": pa.array((START + start.astype("timedelta64[D]")).astype("datetime64[D]"), pa.date32()),
        "end_at": pa.array((START + (start + length).astype("timedelta64[D]")).astype("datetime64[D]"), pa.date32()),
        "recurring_value": rng.integers(10, 200, len(rows_c)).astype(float) * 100,
        "cancelled_at": pa.nulls(len(rows_c), pa.date32()),
    })
    keep = pa.compute.less_equal(contracts["start_at"], pa.scalar(AS_OF, pa.date32()))
    return {"customers": customers, "transactions": transactions, "contracts": contracts.filter(keep)}


def load(ws: Workspace, data: dict[str, pa.Table]) -> None:
    """Bulk insert (the import path's validation and de-duplication are not what is timed here)."""
    with ws.store.transaction() as cur:
        for name, table in data.items():
            cur.register("bench_arrow", table)
            cols = ", ".join(table.column_names)
            cur.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM bench_arrow")
            cur.unregister("bench_arrow")


# -- the same computations in plain pandas -------------------------------------------------
def pd_quarter(d: pd.Series) -> pd.Series:
    return d.dt.year * 4 + (d.dt.month - 1) // 3


def pd_month(d: pd.Series) -> pd.Series:
    return d.dt.year * 12 + d.dt.month - 1


def pd_spells(tx: pd.DataFrame, contracts: pd.DataFrame, threshold: int, grace: int) -> pd.DataFrame:
    as_of = pd.Timestamp(AS_OF)
    contracts = contracts[contracts.start_at <= as_of]
    contractual = contracts.customer_id.unique()
    p = tx[(tx.occurred_at <= as_of) & (tx.amount > 0) & ~tx.customer_id.isin(contractual)]
    p = p[["customer_id", "occurred_at"]].drop_duplicates().sort_values(["customer_id", "occurred_at"])
    gap = p.groupby("customer_id", observed=True).occurred_at.diff().dt.days
    # the boundary (docs/measure.md): a purchase exactly `threshold` days after the last one
    # keeps the customer; only a longer gap starts a new spell
    p = p.assign(spell_no=(gap.isna() | (gap > threshold)).astype(int))
    p["spell_no"] = p.groupby("customer_id", observed=True).spell_no.cumsum()
    s1 = p.groupby(["customer_id", "spell_no"], observed=True).occurred_at.agg(["min", "max"]).reset_index()
    lost = s1["max"] + pd.Timedelta(days=threshold)
    s1 = pd.DataFrame({"customer_id": s1.customer_id, "spell_no": s1.spell_no, "active_from": s1["min"],
                       "lost_at": lost.where(lost <= as_of)})
    c = contracts.assign(eff_end=contracts.end_at).sort_values(["customer_id", "start_at", "contract_id"])
    c["covered"] = c.groupby("customer_id", observed=True).eff_end.cummax()
    prev = c.groupby("customer_id", observed=True).covered.shift()
    # end_at is the last day covered: a renewal starting by end + 1 + grace continues the spell
    c["spell_no"] = (prev.isna() | (c.start_at > prev + pd.Timedelta(days=grace + 1))).astype(int)
    c["spell_no"] = c.groupby("customer_id", observed=True).spell_no.cumsum()
    s2 = c.groupby(["customer_id", "spell_no"], observed=True).agg(active_from=("start_at", "min"), end=("eff_end", "max"))
    s2 = s2.reset_index()
    # the loss is known once a renewal can no longer start in time: end + grace before the as-of date
    s2["lost_at"] = s2["end"].where(s2["end"] + pd.Timedelta(days=grace) < as_of)
    return pd.concat([s1, s2.drop(columns="end")], ignore_index=True)


def pd_churn_rate(tx, contracts, threshold, grace) -> pd.DataFrame:
    s = pd_spells(tx, contracts, threshold, grace)
    s["ks"], s["kl"] = pd_quarter(s.active_from), pd_quarter(s.lost_at)
    k_last = AS_OF.year * 4 + (AS_OF.month - 1) // 3
    ks = range(int(s.ks.min()), k_last + 1)
    starts = s.groupby("ks").size().reindex(ks, fill_value=0)
    acquired = s[s.spell_no == 1].groupby("ks").size().reindex(ks, fill_value=0)
    react = s[s.spell_no > 1].groupby("ks").size().reindex(ks, fill_value=0)
    lost = s[s.lost_at.notna()]
    losts = lost.groupby("kl").size().reindex(ks, fill_value=0)
    from_start = lost[lost.ks < lost.kl].groupby("kl").size().reindex(ks, fill_value=0)
    at_end = (starts - losts).cumsum()
    out = pd.DataFrame({"customers_at_start": at_end.shift(1, fill_value=0), "customers_lost": from_start,
                        "customers_acquired": acquired, "reactivated": react, "customers_at_end": at_end})
    return out.reset_index(drop=True)


def pd_cohorts(tx, contracts, threshold, grace) -> pd.DataFrame:
    s = pd_spells(tx, contracts, threshold, grace)
    s["ks"], s["kl"] = pd_month(s.active_from), pd_month(s.lost_at)
    s["kc"] = s.groupby("customer_id", observed=True).ks.transform("min")
    ev = pd.concat([s[["kc", "ks"]].rename(columns={"ks": "k"}).assign(n=1),
                    s[s.lost_at.notna()][["kc", "kl"]].rename(columns={"kl": "k"}).assign(n=-1)])
    flows = ev.groupby(["kc", "k"]).n.sum()
    k_last = AS_OF.year * 12 + AS_OF.month - 1
    full = pd.MultiIndex.from_tuples([(kc, k) for kc in flows.index.levels[0] for k in range(kc, k_last + 1)],
                                     names=["kc", "k"])
    retained = flows.reindex(full, fill_value=0).groupby(level="kc").cumsum()
    return retained.reset_index(name="retained")


def pd_price_volume(tx) -> pd.DataFrame:
    t = tx[tx.occurred_at <= pd.Timestamp(AS_OF)]
    t = t.assign(k=pd_quarter(t.occurred_at))
    g = t.groupby("k").agg(revenue=("amount", "sum"), units=("quantity", "sum"), customers=("customer_id", "nunique"))
    prev = g.shift(1)
    n0, n1, u0, u1 = prev.customers, g.customers, prev.units, g.units
    p0 = prev.revenue / u0
    g["customer_effect"] = (n1 - n0) * (u0 / n0) * p0
    g["volume_effect"] = (u1 - n1 * u0 / n0) * p0
    g["price_effect"] = g.revenue - u1 * p0
    return g.reset_index()


# -- the run -------------------------------------------------------------------------------
def timed(label: str, fn, results: dict):
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None, help="workspace folder (default: a temporary one)")
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="measure-bench-"))
    t: dict[str, float] = {}
    data = timed("generate", lambda: generate(args.customers, args.transactions, args.seed), t)
    ws = Workspace.init(folder / "ws")
    timed("load into DuckDB", lambda: load(ws, data), t)
    src = Records.from_store(ws.store)
    churn = ChurnSettings(threshold_days=BOUNDARY_DAYS, grace_days=0)
    n_spells = int(customer_spells(src, churn, AS_OF).count().execute())

    ours = {
        "churn-rate (quarter)": lambda: churn_rate(src, churn, as_of=AS_OF, period="quarter"),
        "cohorts (month)": lambda: cohorts(src, churn, as_of=AS_OF, period="month"),
        "price-volume (quarter)": lambda: price_volume(src, as_of=AS_OF, period="quarter"),
    }
    got = {name: timed(name, fn, t) for name, fn in ours.items()}

    def to_pandas():
        tx = src.transactions.to_pandas()
        co = src.contracts.to_pandas()
        for f in (tx, co):
            for c in f.columns:
                if c.endswith(("_at",)):
                    f[c] = pd.to_datetime(f[c])
        tx["customer_id"] = tx["customer_id"].astype("category")
        return tx, co

    tx, co = timed("pandas: read tables into memory", to_pandas, t)
    theirs = {
        "churn-rate (quarter)": lambda: pd_churn_rate(tx, co, BOUNDARY_DAYS, 0),
        "cohorts (month)": lambda: pd_cohorts(tx, co, BOUNDARY_DAYS, 0),
        "price-volume (quarter)": lambda: pd_price_volume(tx),
    }
    ref = {name: timed("pandas: " + name, fn, t) for name, fn in theirs.items()}

    # same figures?
    same = {
        "churn-rate (quarter)": got["churn-rate (quarter)"][list(ref["churn-rate (quarter)"].columns)]
        .reset_index(drop=True).astype("int64").equals(ref["churn-rate (quarter)"].astype("int64")),
        "cohorts (month)": np.array_equal(got["cohorts (month)"]["retained"].to_numpy(),
                                          ref["cohorts (month)"]["retained"].to_numpy()),
        "price-volume (quarter)": np.allclose(
            got["price-volume (quarter)"][["revenue", "units", "customers"]].to_numpy(float),
            ref["price-volume (quarter)"][["revenue", "units", "customers"]].to_numpy(float)[-len(got["price-volume (quarter)"]):],
        ),
    }
    ws.close()

    print(f"data: {args.customers:,} customers, {args.transactions:,} transactions, "
          f"{data['contracts'].num_rows:,} contracts -> {n_spells:,} spells; as of {AS_OF}")
    print(f"generate {t['generate']:.1f} s · load into DuckDB {t['load into DuckDB']:.1f} s · "
          f"pandas read tables into memory {t['pandas: read tables into memory']:.1f} s (not counted below)")
    print(f"{'figure':<24}{'churnguard (DuckDB)':>20}{'plain pandas':>14}{'pandas / ours':>15}{'same result':>13}")
    for name in ours:
        a, b = t[name], t["pandas: " + name]
        print(f"{name:<24}{a:>18.2f} s{b:>12.2f} s{b / a:>14.1f}x{('yes' if same[name] else 'NO'):>13}")
    differ = [name for name, ok in same.items() if not ok]
    if differ:
        # a stale "yes" must not stand: a difference from the reference fails the run
        raise SystemExit(f"results differ from the plain-pandas reference: {', '.join(differ)}")


if __name__ == "__main__":
    main()
