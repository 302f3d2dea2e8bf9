"""Churn reasons suggested from free text: complaint texts, survey comments, interview notes.

A linear classifier over character n-grams (TF-IDF of 1–3 characters within word
boundaries, then a multinomial logistic regression), trained on the workspace's own recorded
reasons and the notes written with them. Why this and not a word model or a large language
model (see docs/reasons-from-text.md):

- **Chinese needs no word segmenter.** Characters and their pairs (价格, 涨价, 促销) carry the
  meaning; a segmenter (jieba) adds a dictionary download and its own errors on trade words.
  The same features read English (``price``, ``rebat``).
- **No download, fast, deterministic.** Nothing leaves the machine; fitting a few thousand
  notes takes well under a second on two cores; the same data and seed give the same model.
- **The company's own words.** It learns how *this* company's staff write reasons down, and
  says how sure it is: below ``reasons.min_confidence`` it abstains rather than guess.

Pure: it takes texts and labels and returns suggestions; the service reads and stores.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

import ibis
import numpy as np
import pandas as pd

from churnguard.errors import FitError
from churnguard.i18n import N_, Message
from churnguard.vocab import CHURN_REASONS

#: fewest labelled texts, and fewest distinct reasons among them, to train on
MIN_TEXTS = 20
MIN_REASONS = 2
#: the ``source`` of churn-reason rows this classifier writes
INFERRED = "inferred"
#: where a text came from
TEXT_SOURCES = ("notes", "complaint", "survey")


def normalise(text: str) -> str:
    """Text as the features see it: full-width forms folded (ＡＢＣ１２３，→ ABC123,), lower case,
    runs of white space as one space.

    >>> normalise("  Ｐｒｉｃｅ  太高！ ")
    'price 太高!'
    """
    return " ".join(unicodedata.normalize("NFKC", str(text)).lower().split())


@dataclass
class ReasonTextModel:
    """A fitted text → churn reason classifier.

    Attributes
    ----------
    reasons : list of str
        The reasons it can suggest (those seen in training), in the model's order.
    trained_on : int
        How many labelled texts it learned from.
    seed : int
        The seed of the fit (the solver is deterministic; the seed fixes it anyway).
    """

    reasons: list[str]
    trained_on: int
    seed: int
    _vectorizer: object = field(repr=False, default=None)
    _model: object = field(repr=False, default=None)

    @classmethod
    def fit(cls, texts: list[str] | pd.Series, reasons: list[str] | pd.Series, *, seed: int = 0,
            ngram_range: tuple[int, int] = (1, 3), c: float = 100.0) -> ReasonTextModel:
        """Learn from ``texts`` labelled with ``reasons`` (keys of ``vocab.CHURN_REASONS``).

        Raises :class:`~churnguard.errors.FitError` with fewer than :data:`MIN_TEXTS` usable
        texts or fewer than :data:`MIN_REASONS` reasons among them.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        frame = pd.DataFrame({"text": list(texts), "reason": list(reasons)})
        frame = frame[frame["text"].notna() & frame["reason"].isin(list(CHURN_REASONS))]
        frame = frame[frame["text"].astype(str).str.strip() != ""]
        n, k = len(frame), frame["reason"].nunique()
        if n < MIN_TEXTS or k < MIN_REASONS:
            raise FitError(Message(N_("too little to learn reasons from text: %(n)s recorded reasons with notes "
                                      "across %(k)s reasons (at least %(min_n)s texts and %(min_k)s reasons "
                                      "are needed); record interview notes with the reasons first"),
                                   n=n, k=k, min_n=MIN_TEXTS, min_k=MIN_REASONS))
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True, min_df=1,
                              preprocessor=normalise, dtype=np.float64)
        x = vec.fit_transform(frame["text"].astype(str))
        # newton-cg: the same fit as lbfgs here, in a few Newton steps (0.7 s instead of 4-5 s on 800 notes)
        model = LogisticRegression(C=c, solver="newton-cg", max_iter=2000, random_state=seed)
        model.fit(x, frame["reason"].to_numpy())
        return cls(list(model.classes_), n, seed, vec, model)

    def predict(self, texts: list[str] | pd.Series, min_confidence: float = 0.0) -> pd.DataFrame:
        """``reason`` (None below ``min_confidence``: it abstains), ``confidence`` (the
        probability of the most likely reason) and ``best`` (that reason, even when abstaining)
        for each text, in order."""
        texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
        if not texts:
            return pd.DataFrame({"reason": pd.Series([], dtype=object), "confidence": pd.Series([], dtype=float),
                                 "best": pd.Series([], dtype=object)})
        proba = self._model.predict_proba(self._vectorizer.transform(texts))
        top = proba.argmax(axis=1)
        conf = proba[np.arange(len(texts)), top]
        best = np.array(self.reasons, dtype=object)[top]
        reason = np.where(conf >= min_confidence, best, None)
        return pd.DataFrame({"reason": reason, "confidence": np.round(conf, 4), "best": best})


def training_texts(churn_reasons: pd.DataFrame) -> pd.DataFrame:
    """Labelled texts from recorded churn reasons: ``text`` (the notes) and ``reason`` of every row
    that is not itself inferred, has notes and a known reason.

    ``churn_reasons``: rows of the churn-reasons table (as known at the date).
    """
    cr = churn_reasons
    keep = (cr["source"].fillna("").astype(str) != INFERRED) & cr["notes"].notna() & cr["reason"].isin(
        list(CHURN_REASONS))
    out = cr.loc[keep, ["customer_id", "notes", "reason"]].rename(columns={"notes": "text"})
    out = out[out["text"].astype(str).str.strip() != ""]
    return out.sort_values(["customer_id", "reason", "text"], kind="stable").reset_index(drop=True)


def texts_as_of(records, as_of: date, customers: list[str] | None = None) -> pd.DataFrame:
    """The free text known at ``as_of``: ``customer_id, source (notes|complaint|survey), text, at``.

    Complaint texts (opened by the date), survey comments with a satisfaction of 3 or less or none
    (answered by the date) and the notes
    of churn-reason rows that are not inferred (recorded by the date); only ``customers`` when
    given. Nothing dated after ``as_of`` is read.
    """
    r = records.known_at(as_of)
    q = r.complaints.filter(r.complaints.text.notnull())
    q = q.select("customer_id", source=ibis.literal("complaint"), text=q.text, at=q.opened_at)
    # a comment given with "satisfied" or "very satisfied" praises; it explains no departure
    # ("服务很好" would read as a service reason)
    s = r.surveys
    s = s.filter(s.comment.notnull() & (s.satisfaction.isnull() | (s.satisfaction <= 3)))
    s = s.select("customer_id", source=ibis.literal("survey"), text=s.comment, at=s.answered_at)
    c = r.churn_reasons
    c = c.filter(c.notes.notnull() & (c.source.isnull() | (c.source != INFERRED)))
    c = c.select("customer_id", source=ibis.literal("notes"), text=c.notes, at=c.recorded_at)
    parts = []
    ids = None
    if customers is not None:  # a table to join, not a list in the SQL: defectors can be many
        ids = ibis.memtable(pd.DataFrame({"customer_id": pd.Series(list(customers), dtype=object).astype(str)}),
                            schema={"customer_id": "string"})
    for t in (c, q, s):
        if ids is not None:
            t = t.semi_join(ids, t.customer_id == ids.customer_id)
        parts.append(t.to_pandas())
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["customer_id", "source", "text", "at"])
    out = out[out["text"].astype(str).str.strip() != ""]
    out["at"] = pd.to_datetime(out["at"])
    return out.sort_values(["customer_id", "at", "source", "text"], kind="stable").reset_index(drop=True)


def suggest(model: ReasonTextModel, texts: pd.DataFrame, min_confidence: float) -> pd.DataFrame:
    """One suggestion per customer from its texts (``customer_id, source, text, at``).

    Each text is classified; the customer's suggestion is its most confident text's reason (on
    a tie, the newer text, then the text itself), so the text it read can be shown with it.
    Returns ``customer_id, reason (None: abstained), confidence, best, source, text, at,
    texts`` (how many texts the customer has), one row per customer, in id order.
    """
    cols = ["customer_id", "reason", "confidence", "best", "source", "text", "at", "texts"]
    if texts.empty:
        return pd.DataFrame(columns=cols)
    pred = model.predict(texts["text"], min_confidence)
    frame = pd.concat([texts.reset_index(drop=True), pred], axis=1)
    frame["texts"] = frame.groupby("customer_id")["text"].transform("size")
    frame = frame.sort_values(["customer_id", "confidence", "at", "text"], ascending=[True, False, False, True],
                              kind="stable")
    return frame.drop_duplicates("customer_id")[cols].reset_index(drop=True)
