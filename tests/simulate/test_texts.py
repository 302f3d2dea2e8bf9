"""The simulator's free text: every text comes from a known template, about 70% are Chinese, and
only a leaving customer's complaints and comments say a reason — its own."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from churnguard.simulate import texts

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_interview_note_comes_from_a_template_of_its_reason(sim):
    cr = sim.tables["churn-reasons"]
    found = [texts.template_of(t) for t in cr["notes"]]
    assert all(f is not None and f[0] == "interview" for f in found)
    assert [f[1] for f in found] == cr["reason"].tolist()
    ids = pd.Series([(f[1], f[2], f[3]) for f in found])
    assert ids.nunique() > 60  # many templates in use, in both languages
    assert {f[2] for f in found} == {"zh", "en"}


def test_each_reason_has_many_phrasings_in_both_languages():
    zh, en = texts.PHRASINGS["interview"]
    for key in zh.causes:
        assert len(texts._variants("interview", 0, key)[0]) >= 14, key
        assert len(texts._variants("interview", 1, key)[0]) >= 12, key


def test_about_seventy_percent_are_chinese(sim):
    all_texts = pd.concat([sim.tables["complaints"]["text"], sim.tables["surveys"]["comment"].dropna(),
                           sim.tables["churn-reasons"]["notes"]])
    zh = all_texts.map(lambda t: bool(CJK.search(t))).mean()
    assert 0.65 < zh < 0.75, zh


def test_only_leaving_customers_say_why_and_it_is_their_reason(sim):
    h = sim.hidden.set_index("customer_id")
    t = sim.truth.set_index("customer_id")
    q, s = sim.tables["complaints"], sim.tables["surveys"].dropna(subset=["comment"])
    written = pd.concat([pd.DataFrame({"customer_id": q["customer_id"], "text": q["text"]}),
                         pd.DataFrame({"customer_id": s["customer_id"], "text": s["comment"]})])
    # a base text (a complaint, a comment) alone is a template sentence; with a reason added it is not
    with_reason = written[written["text"].map(lambda x: texts.template_of(x) is None)]
    assert len(with_reason) > 20
    said = with_reason["text"].map(texts.reason_template_in)
    assert said.notna().all()
    who = with_reason["customer_id"].to_numpy()
    # the reason decided on (complete), else the partial defection's (the truth's reason)
    expected = np.where(h.loc[who, "decided_reason"].notna(), h.loc[who, "decided_reason"], t.loc[who, "churn_reason"])
    assert (said.map(lambda f: f[0]).to_numpy() == expected).all()
    stayed = t.index[(t["churn_kind"] == "none") & h["decided_at"].isna()]
    assert not set(with_reason["customer_id"]) & set(stayed)
