"""Warning-signal evidence never carries a "?" where a figure is missing: the sentence is said
without it (hand-built customers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnguard.compute.detect.signals import RULES
from churnguard.settings import SignalSettings


def test_a_complaint_without_a_category_and_a_chain_without_a_date_are_said_without_them() -> None:
    p = pd.DataFrame({
        "open_complaints": [1, 0, 1], "oldest_open_complaint_days": [40, np.nan, 30],
        "complaints_new": [0, 1, 0], "last_complaint_days": [40, 5, 30],
        "last_complaint_category": [None, np.nan, "delivery"],
        "group_lost_recent": [2, 1, 1], "group_id": ["G1", "G2", "G3"],
        "group_lost_example": [None, "C9", "C8"],
        "group_last_lost_at": [pd.NaT, pd.NaT, pd.Timestamp("2026-05-01")],
    }, index=pd.Index(["C1", "C2", "C3"], name="customer_id"))
    s = SignalSettings()
    for lang in ("en", "zh"):
        fired, complaint = RULES["complaint"](p, s, None, lang)
        fired_chain, chain = RULES["chain"](p, s, None, lang)
        items = [x for x in [*complaint.dropna(), *chain.dropna()]]
        assert len(items) == 6 and all("?" not in x["text"] for x in items)
    assert complaint["C1"]["text"] == "投诉已 40 天未解决" and complaint["C2"]["text"] == "5 天前新投诉"
    assert complaint["C3"]["text"] == "投诉已 30 天未解决（交付）"
    assert chain["C1"]["code"] == chain["C2"]["code"] == "chain_plain" and chain["C3"]["code"] == "chain"
