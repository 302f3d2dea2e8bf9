"""What defectors have in common: each attribute and behaviour of a period's defectors against
the customers who stayed, measured at the START of the period.

Measuring at the start is what keeps the comparison honest: a defector's spend falls as it
leaves, so its spend at the end of the period would "explain" its leaving with its leaving. At
the start both groups were customers, and what differed then is what could have warned.

Categorical attributes (segment, region, customer type, CSM) are compared as shares of each
group (one row per value), behaviours as means. Each row has both groups' figures, the
difference (defectors minus stayed) with its 95% interval (Newcombe for shares, Welch for
means), and the standardised difference that ranks the rows (Austin 2009: the difference in
units of the groups' pooled spread, comparable between a share and a mean of days or money).

Pure: frames in, a frame out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard.compute.detect.signals import price_change
from churnguard.compute.learn.proportions import newcombe, smd_mean, smd_proportion, welch
from churnguard.i18n import N_

#: the categorical attributes, compared as shares of each value
CATEGORICAL: tuple[str, ...] = ("segment", "region", "customer_type", "csm")
#: the behaviours, compared as means (what each measures is in :func:`behaviours`)
NUMERIC: tuple[str, ...] = ("tenure_days", "spend_365d", "spend_trend", "contacts_365d", "complaints_365d",
                            "satisfaction", "price_exposure")
#: how each attribute reads (English, marked for the catalog)
ATTRIBUTE_LABELS: dict[str, str] = {
    "segment": N_("Segment"),
    "region": N_("Region"),
    "customer_type": N_("Customer type"),
    "csm": N_("Customer success manager"),
    "tenure_days": N_("Tenure (days)"),
    "spend_365d": N_("Spend, last 12 months"),
    "spend_trend": N_("Spend trend (last 6 months vs the 6 before, −1 … +1)"),
    "contacts_365d": N_("Contacts per year"),
    "complaints_365d": N_("Complaints per year"),
    "satisfaction": N_("Latest satisfaction (1–5)"),
    "price_exposure": N_("Price exposure (rise of the prices paid)"),
}
COLUMNS = ("attribute", "value", "defectors", "stayed", "difference", "ci", "standardised", "defectors_n",
           "stayed_n")


def behaviours(profile: pd.DataFrame) -> pd.DataFrame:
    """The behaviours of each customer from its profile (:func:`~churnguard.compute.detect.profile.customer_profile`):

    - ``tenure_days``: days a customer since acquired (else its first purchase or contract);
    - ``spend_365d``: spend in the last 365 days (spend level);
    - ``spend_trend``: the last 180 days' spend against the 185 before them, as a symmetric change
      ``(recent - before) / (recent + before)`` from −1 (stopped) to +1 (new): a plain ratio
      explodes for a customer that bought little before (None without spend in the year);
    - ``contacts_365d``: routine contacts in the last 365 days (contacts per year);
    - ``complaints_365d``: complaints opened in the last 365 days;
    - ``satisfaction``: the latest survey answer, 1–5 (None when never asked);
    - ``price_exposure``: the rise of the prices it pays against each product's usual price,
      recent window vs baseline (as the ``price_exposure`` warning signal measures it).
    """
    p = profile
    tenure = p.get("acquired_days")
    for alt in ("first_purchase_days", "first_contract_days"):
        if alt in p:
            tenure = p[alt] if tenure is None else tenure.fillna(p[alt])
    recent = p["spend_180d"]
    before = p["spend_365d"] - recent
    both = recent + before
    trend = (recent - before) / both.where(both > 0)
    out = pd.DataFrame({
        "tenure_days": tenure,
        "spend_365d": p["spend_365d"],
        "spend_trend": trend,
        "contacts_365d": p["contacts_365d"],
        "complaints_365d": p["complaints_365d"],
        "satisfaction": p.get("last_satisfaction", pd.Series(np.nan, index=p.index)),
        "price_exposure": price_change(p)["price_rise"] if {"paid_r", "ref_r", "paid_b", "ref_b", "qty_r", "lines_r",
                                                            "qty_b", "lines_b"} <= set(p.columns)
        else pd.Series(np.nan, index=p.index),
    }, index=p.index)
    return out.astype("float64").replace([np.inf, -np.inf], np.nan)


def compare(profile: pd.DataFrame, defectors: pd.Index, stayed: pd.Index) -> pd.DataFrame:
    """One row per attribute value and behaviour (:data:`COLUMNS`), the largest standardised
    difference first (then by attribute and value).

    ``profile``: the profile at the period's start, indexed by customer; ``defectors`` and
    ``stayed``: the customer ids of the two groups (both must be in the profile).
    """
    d = profile.reindex(defectors)
    s = profile.reindex(stayed)
    n1, n2 = len(d), len(s)
    rows = []
    for col in CATEGORICAL:
        if col not in profile:
            continue
        dv = d[col].astype(object).where(d[col].notna(), None)
        sv = s[col].astype(object).where(s[col].notna(), None)
        values = sorted({v for v in pd.concat([dv, sv]).unique() if v is not None}, key=str)
        for v in values:
            k1, k2 = int((dv == v).sum()), int((sv == v).sum())
            p1, p2 = (k1 / n1 if n1 else None), (k2 / n2 if n2 else None)
            low, high = newcombe(k1, n1, k2, n2)
            rows.append({"attribute": col, "value": v, "defectors": p1, "stayed": p2,
                         "difference": None if p1 is None or p2 is None else p1 - p2, "ci": [low, high],
                         "standardised": smd_proportion(p1, p2) if p1 is not None and p2 is not None else 0.0,
                         "defectors_n": n1, "stayed_n": n2})
    bd, bs = behaviours(d), behaviours(s)
    for col in NUMERIC:
        a, b = bd[col].dropna().to_numpy(), bs[col].dropna().to_numpy()
        m1 = float(a.mean()) if len(a) else None
        m2 = float(b.mean()) if len(b) else None
        low, high = welch(a, b)
        rows.append({"attribute": col, "value": None, "defectors": m1, "stayed": m2,
                     "difference": None if m1 is None or m2 is None else m1 - m2, "ci": [low, high],
                     "standardised": smd_mean(a, b), "defectors_n": len(a), "stayed_n": len(b)})
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    if out.empty:
        return out
    order = out.assign(_size=-out["standardised"].abs(), _value=out["value"].map(lambda v: "" if v is None else str(v)))
    order = order.sort_values(["_size", "attribute", "_value"], kind="stable")
    return out.loc[order.index].reset_index(drop=True)
