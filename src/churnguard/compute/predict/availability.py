"""Which feature families the stored records can feed, and which are left out for want of data.

A workspace may hold any subset of the eight record kinds: most companies start from a
transactions file alone. A family whose records are missing (no interactions, no contracts,
customers without a segment) would give the model columns that are blank or zero for every
customer: nothing to learn, and in the logistic baseline an empty category column that
scikit-learn cannot encode. Such families are left out of the model, and the run says which
and what they need, so the user knows what importing another file would add.

A *source* is a table (``"interactions"``: it must have rows) or a column of one
(``"customers.segment"``: some row must have a value). A feature is kept when every source it
needs is present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: what each family needs (families not named here need only the transactions)
FAMILY_NEEDS: dict[str, tuple[str, ...]] = {
    "recency": ("transactions",),
    "frequency": ("transactions",),
    "spend": ("transactions",),
    "breadth": ("transactions.category",),
    "wallet": ("wallet_estimates",),
    "contact": ("interactions",),
    "unsubscribe": ("interactions",),
    "relationship": ("contracts",),
    "contract": ("contracts",),
    "complaint": ("complaints",),
    "satisfaction": ("surveys",),
    "service_region": ("complaints", "customers.region"),
    "price": ("transactions.product",),
    "chain": ("customers.group_id",),
    "payment": ("transactions.due_at",),
    "returns": ("transactions",),
    "tenure": (),  # the first of acquisition, purchase and contract: any record will do
    "value": ("transactions",),
}

#: features whose needs differ from their family's
FEATURE_NEEDS: dict[str, tuple[str, ...]] = {
    "recurring_value": ("contracts",),
    "value_12m": (),  # purchases of the last year plus recurring value: either will do
    "customer_type": ("customers.customer_type",),
    "segment": ("customers.segment",),
    "region": ("customers.region",),
    "sig_spend_trend": ("transactions",),
}

#: every source :func:`present_sources` looks at
SOURCES: tuple[str, ...] = tuple(sorted(
    {s for needs in (*FAMILY_NEEDS.values(), *FEATURE_NEEDS.values()) for s in needs}
))


def needs_of(feature: str, family: str) -> tuple[str, ...]:
    """The sources ``feature`` (of ``family``) needs."""
    if feature in FEATURE_NEEDS:
        return FEATURE_NEEDS[feature]
    return FAMILY_NEEDS.get(family, ("transactions",))


def present_sources(records: Any, sources: Iterable[str] = SOURCES) -> set[str]:
    """The sources among ``sources`` that hold data in ``records`` (one small query per table).

    Parameters
    ----------
    records : churnguard.compute.detect.Records
        The records as known at a date (tables as Ibis expressions).
    sources : iterable of str
        ``"table"`` or ``"table.column"``.

    Returns
    -------
    set of str
    """
    by_table: dict[str, set[str]] = {}
    for s in sources:
        table, _, column = s.partition(".")
        by_table.setdefault(table, set())
        if column:
            by_table[table].add(column)
    found: set[str] = set()
    for table, columns in sorted(by_table.items()):
        t = getattr(records, table)
        aggs = {"n": t.count()}
        for c in sorted(columns):
            aggs[f"c_{c}"] = t[c].count()
        row = t.aggregate(**aggs).to_pandas().iloc[0]
        if int(row["n"] or 0) > 0:
            found.add(table)
        for c in columns:
            if int(row[f"c_{c}"] or 0) > 0:
                found.add(f"{table}.{c}")
    return found


def split_features(features: Mapping[str, str], present: set[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """The features the data can feed, and what is left out.

    Parameters
    ----------
    features : mapping of str to str
        Feature name to family, in column order (:data:`~churnguard.compute.predict.FEATURES`).
    present : set of str
        Sources that hold data (:func:`present_sources`).

    Returns
    -------
    kept : list of str
        Features to train on, in their order.
    left_out : list of dict
        One item per family with features left out: ``{"family", "needs": [source, …],
        "features": [name, …]}``, in the order the families first appear; ``needs`` lists the
        missing sources only.

    Examples
    --------
    >>> kept, out = split_features({"orders_90d": "frequency", "contacts_90d": "contact"}, {"transactions"})
    >>> kept
    ['orders_90d']
    >>> out
    [{'family': 'contact', 'needs': ['interactions'], 'features': ['contacts_90d']}]
    """
    kept: list[str] = []
    left: dict[str, dict[str, Any]] = {}
    for feature, family in features.items():
        missing = [s for s in needs_of(feature, family) if s not in present]
        if not missing:
            kept.append(feature)
            continue
        item = left.setdefault(family, {"family": family, "needs": [], "features": []})
        item["needs"].extend(s for s in missing if s not in item["needs"])
        item["features"].append(feature)
    return kept, list(left.values())


def describe_left_out(left_out: list[dict[str, Any]]) -> str:
    """One line for people: ``contact (needs interactions), complaint (needs complaints)``."""
    return ", ".join(f"{i['family']} (needs {' + '.join(i['needs'])})" for i in left_out)
