"""How well reasons are read from free text, on sentences the classifier never saw.

The simulator writes interview notes, complaints and survey comments from templates (an
opening, a cause phrasing, an ending; :mod:`churnguard.simulate.texts`). Scoring a classifier
on texts of the templates it learned from would only measure recall, so every split here is
*grouped by template*: the model learns from the notes of some reason templates and is tested on
texts whose reason phrasing comes from the others. Reported, for docs/benchmarks.md:

1. interview notes, three folds by template id (id mod 3): accuracy on the texts it answers,
   against the recorded reason (what the note says) and against the simulator's true reason
   (interviews are truthful 70% of the time), and coverage (share not abstained), at several
   confidence thresholds (0.6 is the default ``reasons.min_confidence``); by language too;
2. the defectors nobody interviewed, read from their complaints and survey comments (what
   ``churnguard suggest-reasons`` does), cross-fitted by template parity, against the truth;
3. baselines: always the most frequent recorded reason; matching the reason's label words
   (vocab.py, both languages) in the text;
4. weak labels: adding the complaints and comments of interviewed customers, labelled with
   their recorded reason, to the training texts (kept only if it helps);
5. the time to fit and to read.

    PYTHONPATH=src python bench/bench_reason_text.py --customers 20000 --seed 42
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

from churnguard.compute.learn.text import ReasonTextModel, suggest
from churnguard.simulate import simulate
from churnguard.simulate import texts as simtexts
from churnguard.vocab import CHURN_REASON_ALIASES, CHURN_REASONS

THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8)


def keyword_reason(text: str) -> str | None:
    """The reason whose label (or alias) appears in ``text``; None when none or several do."""
    low = str(text).lower()
    words = {**{t.en.split(" (")[0]: k for k, t in CHURN_REASONS.items()}, **CHURN_REASON_ALIASES}
    found = {k for w, k in words.items() if w and w.lower() in low}
    return found.pop() if len(found) == 1 else None


def scores(best: np.ndarray, conf: np.ndarray, said: np.ndarray, true: np.ndarray) -> list[dict]:
    out = []
    for t in THRESHOLDS:
        a = conf >= t
        out.append({"threshold": t, "coverage": round(float(a.mean()), 3),
                    "accuracy_recorded": round(float((best[a] == said[a]).mean()), 3) if a.any() else None,
                    "accuracy_true": round(float((best[a] == true[a]).mean()), 3) if a.any() else None,
                    "answered": int(a.sum())})
    return out


def texts_of(sim) -> pd.DataFrame:
    q, s = sim.tables["complaints"], sim.tables["surveys"]
    s = s[s["satisfaction"] <= 3]  # as suggest-reasons reads them: praise explains no departure
    return pd.concat([
        pd.DataFrame({"customer_id": q["customer_id"], "source": "complaint", "text": q["text"], "at": q["opened_at"]}),
        pd.DataFrame({"customer_id": s["customer_id"], "source": "survey", "text": s["comment"],
                      "at": s["answered_at"]}),
    ]).dropna(subset=["text"]).astype({"customer_id": str, "text": str}).reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    load = os.getloadavg()
    sim = simulate(customers=args.customers, months=args.months, seed=args.seed)
    truth = sim.truth.set_index("customer_id")
    cr = sim.tables["churn-reasons"].astype({"customer_id": str})
    info = [simtexts.template_of(t) for t in cr["notes"]]
    cr = cr.assign(tid=[i[3] for i in info], lang=[i[2] for i in info],
                   true=truth.loc[cr["customer_id"], "churn_reason"].to_numpy())
    report: dict = {"customers": args.customers, "months": args.months, "seed": args.seed,
                    "load_average_at_start": [round(x, 2) for x in load], "interview_notes": len(cr),
                    "templates": {"reasons": len(CHURN_REASONS),
                                  "zh_per_reason": {k: len(v) for k, v in simtexts.PHRASINGS["interview"][0].causes.items()},
                                  "en_per_reason": {k: len(v) for k, v in simtexts.PHRASINGS["interview"][1].causes.items()}}}
    everything = texts_of(sim)
    weak_all = everything.merge(cr[["customer_id", "reason"]], on="customer_id")

    # 1. interview notes, three folds grouped by template id
    folds, fits, reads, by_lang, kw = [], [], [], [], []
    for k in range(3):
        test = (cr["tid"] % 3 == k).to_numpy()
        train, held = cr[~test], cr[test]
        t0 = time.perf_counter()
        m = ReasonTextModel.fit(train["notes"], train["reason"])
        fits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        p = m.predict(held["notes"])
        reads.append((time.perf_counter() - t0) / max(len(held), 1))
        best, conf = p["best"].to_numpy(), p["confidence"].to_numpy()
        folds.append({"fold": k, "train": int(len(train)), "test": int(len(held)),
                      "baseline_most_frequent": round(float((held["reason"] == train["reason"].mode()[0]).mean()), 3),
                      "scores": scores(best, conf, held["reason"].to_numpy(), held["true"].to_numpy())})
        for lang in ("zh", "en"):
            sel = (held["lang"] == lang).to_numpy() & (conf >= 0.6)
            by_lang.append({"fold": k, "language": lang, "coverage": round(float(sel.sum() / max((held["lang"] == lang).sum(), 1)), 3),
                            "accuracy_recorded": round(float((best[sel] == held["reason"].to_numpy()[sel]).mean()), 3)})
        guess = held["notes"].map(keyword_reason)
        answered = guess.notna().to_numpy()
        kw.append({"fold": k, "coverage": round(float(answered.mean()), 3),
                   "accuracy_recorded": round(float((guess[answered] == held["reason"][answered]).mean()), 3)
                   if answered.any() else None})
    report["notes_by_template_fold"] = folds
    report["notes_by_language_at_0.6"] = by_lang
    report["keyword_baseline_on_notes"] = kw
    report["seconds_to_fit"] = round(float(np.mean(fits)), 3)
    report["ms_to_read_one_text"] = round(float(np.mean(reads)) * 1000, 3)

    # 2. and 4. defectors nobody interviewed, cross-fitted by template parity; with and without weak labels
    churners = truth.index[truth["churn_kind"] != "none"].difference(cr["customer_id"])
    texts = everything[everything["customer_id"].isin(churners)].reset_index(drop=True)
    held_fold = texts["text"].map(lambda t: (f := simtexts.reason_template_in(t)) is not None and f[2] % 2).astype(int)
    weak_fold = weak_all["text"].map(lambda t: (f := simtexts.reason_template_in(t)) is not None and f[2] % 2)
    for weak in (False, True):
        picked = []
        for k in (0, 1):
            train = cr[cr["tid"] % 2 != k]
            x, y = list(train["notes"]), list(train["reason"])
            if weak:  # texts whose reason phrasing is of the held-out parity are left out of training
                w = weak_all[(weak_fold != k).to_numpy() | weak_all["text"].map(
                    lambda t: simtexts.reason_template_in(t) is None).to_numpy()]
                x, y = x + list(w["text"]), y + list(w["reason"])
            m = ReasonTextModel.fit(x, y)
            picked.append(suggest(m, texts[held_fold.to_numpy() == k], 0.0))
        best = pd.concat(picked).sort_values(["customer_id", "confidence"], ascending=[True, False])
        best = best.drop_duplicates("customer_id")
        true = truth.loc[best["customer_id"], "churn_reason"].to_numpy()
        key = "uninterviewed_defectors_weak_labels" if weak else "uninterviewed_defectors"
        report[key] = {"defectors": int(len(churners)), "with_text": int(len(best)),
                       "texts_with_a_reason_phrase": round(float(texts["text"].map(
                           lambda t: simtexts.reason_template_in(t) is not None).mean()), 3),
                       "scores": [{k2: v for k2, v in s.items() if k2 != "accuracy_recorded"}
                                  for s in scores(best["best"].to_numpy(), best["confidence"].to_numpy(), true, true)]}
    report["uninterviewed_defectors"]["baseline_most_frequent_recorded"] = round(float(
        (truth.loc[churners, "churn_reason"] == cr["reason"].mode()[0]).mean()), 3)
    report["weak_labels_added"] = int(len(weak_all))
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
