"""Reasons suggested from free text for the defectors whose reason nobody recorded.

``churnguard suggest-reasons [--save]``: a character n-gram classifier
(:mod:`churnguard.compute.learn.text`) is trained on the workspace's own recorded reasons and
their interview notes as of the date, then reads the complaint texts, survey comments and
notes of each complete or partial defector without a recorded reason (nothing dated after the
date) and suggests a reason with its confidence, abstaining below ``reasons.min_confidence``.
With ``save`` the suggestions become churn-reason rows with ``source = inferred`` (never over
a recorded reason, never twice; :mod:`churnguard.store.reason_suggestions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from churnguard.compute.learn.text import ReasonTextModel, suggest, texts_as_of, training_texts
from churnguard.errors import FitError, NotComputedError, OptionError
from churnguard.i18n import message_of, translate_message
from churnguard.service.context import Context
from churnguard.service.jsonable import rows_of
from churnguard.vocab import CHURN_REASONS

#: how a shown text is cut (the stored row keeps it whole)
SHOWN_CHARS = 60
#: the classifier, as the result says it
METHOD = "TF-IDF of character 1-3-grams + logistic regression (seed 0)"
COLUMNS = ("customer_id", "name", "kind", "reason", "reason_label", "controllable", "confidence", "source", "text",
           "text_at", "texts", "csm")


@dataclass(frozen=True)
class SuggestOptions:
    """What to suggest: at most ``limit`` rows listed (every suggestion is saved with ``save``),
    one ``csm``'s defectors only, reason labels in ``language`` (default: the context's)."""

    save: bool = False
    limit: int | None = None
    csm: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise OptionError("limit", f"must be at least 1 (got {self.limit})")
        if self.language is not None and self.language not in ("zh", "en"):
            raise OptionError("lang", f"choose zh or en (got {self.language!r})")


@dataclass
class SuggestResult:
    """Suggested reasons as of a date; ``to_dict()`` is the ``--json`` and API shape."""

    as_of: date
    as_of_source: str
    frame: pd.DataFrame
    trained_on: dict[str, Any]
    abstained: int
    min_confidence: float
    candidates: int
    with_text: int
    saved: int | None = None
    message: str | None = None
    suggested: int = 0
    defectors_source: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The suggestions listed."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """``{"as_of", "as_of_source", "data": [{customer_id, name, kind, reason, reason_label,
        controllable, confidence, source, text, text_at, texts, csm}], "count", "trained_on": {"texts",
        "reasons"}, "suggested", "abstained", "min_confidence", "candidates", "with_text", "saved",
        "message", "method", "defectors_source"}``: ``candidates`` are the defectors without a
        recorded reason, ``with_text`` those of them with any text, ``suggested`` those given a
        reason (``count`` of them are listed), ``abstained`` those the classifier was not sure
        enough about; ``saved`` (with ``--save``) how many rows were new."""
        rows = rows_of(self.frame)
        return {"as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source, "data": rows, "count": len(rows),
                "trained_on": self.trained_on, "suggested": self.suggested, "abstained": self.abstained,
                "min_confidence": self.min_confidence,
                "candidates": self.candidates, "with_text": self.with_text, "saved": self.saved,
                "message": self.message, "method": METHOD, "defectors_source": self.defectors_source}


def _defectors(ctx: Context) -> tuple[pd.DataFrame, str]:
    """Every complete and partial defector as of ``ctx.as_of``: the stored run of that date, else
    computed now. Returns ``customer_id, name, kind, csm`` and where they came from."""
    from churnguard.service import detect

    dated = ctx.with_as_of(ctx.as_of)
    try:
        result = detect.stored_defectors(dated, detect.DefectorOptions())
        source = detect.STORED_SOURCE
    except NotComputedError:
        result = detect.defectors(dated, detect.DefectorOptions())
        source = "computed"
    frame = result.frame
    cols = ["customer_id", "name", "kind", "csm"]
    return frame.reindex(columns=cols).astype({"customer_id": str}), source


def _shorten(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def suggest_reasons(ctx: Context, opts: SuggestOptions) -> SuggestResult:
    """Suggest (and with ``opts.save`` store) the reasons of the defectors as of ``ctx.as_of``
    that have none recorded (see the module docstring).

    Too few recorded reasons with notes to learn from is no error: the result has no rows and
    a ``message`` saying what is missing (and no defector is looked for: ``candidates`` is 0).
    """
    as_of = ctx.as_of
    language = opts.language or ctx.language
    min_conf = float(ctx.settings.reasons.min_confidence)
    records = ctx.records().known_at(as_of)
    cr = records.churn_reasons.to_pandas()
    cr["customer_id"] = cr["customer_id"].astype(str)
    labelled = training_texts(cr)
    trained_on = {"texts": int(len(labelled)), "reasons": sorted(labelled["reason"].unique().tolist())}

    empty = pd.DataFrame(columns=list(COLUMNS))
    try:
        model = ReasonTextModel.fit(labelled["text"], labelled["reason"], seed=0)
    except FitError as exc:  # said before any defector is looked for: nothing to read them with
        return SuggestResult(as_of, ctx.as_of_source, empty, trained_on, 0, min_conf, 0, 0, 0 if opts.save else None,
                             translate_message(ctx.translator, message_of(exc)))

    defectors, source = _defectors(ctx)
    if opts.csm is not None:
        defectors = defectors[defectors["csm"] == opts.csm]
    inferred = cr["source"].fillna("").astype(str) == "inferred"
    recorded = set(cr.loc[~inferred, "customer_id"])
    candidates = defectors[~defectors["customer_id"].isin(recorded)].reset_index(drop=True)

    def result(frame: pd.DataFrame, abstained: int, with_text: int, saved: int | None = None,
               suggested: int = 0) -> SuggestResult:
        return SuggestResult(as_of, ctx.as_of_source, frame, trained_on, abstained, min_conf, int(len(candidates)),
                             with_text, saved, None, suggested, source)

    texts = texts_as_of(ctx.records(), as_of, candidates["customer_id"].tolist())
    picked = suggest(model, texts, min_conf)
    answered = picked[picked["reason"].notna()].copy()
    answered = answered.merge(candidates, on="customer_id", how="left")
    answered = answered.sort_values(["confidence", "customer_id"], ascending=[False, True], kind="stable")
    saved = None
    if opts.save:
        from churnguard.store.reason_suggestions import insert_inferred

        saved = insert_inferred(ctx.store, as_of, [
            {"customer_id": r.customer_id, "reason": r.reason, "kind": r.kind, "notes": r.text,
             "confidence": r.confidence} for r in answered.itertuples()])
        if saved:
            from churnguard.service import audit

            audit.record(ctx.workspace, "reasons_inferred", None, {"as_of": as_of, "saved": saved})
    shown = answered if opts.limit is None else answered.head(opts.limit)
    frame = pd.DataFrame({
        "customer_id": shown["customer_id"].to_numpy(),
        "name": shown["name"].to_numpy(),
        "kind": shown["kind"].to_numpy(),
        "reason": shown["reason"].to_numpy(),
        "reason_label": [CHURN_REASONS[r].label(language) for r in shown["reason"]],
        "controllable": [CHURN_REASONS[r].controllable for r in shown["reason"]],
        "confidence": shown["confidence"].astype(float).to_numpy(),
        "source": shown["source"].to_numpy(),
        "text": [_shorten(t) for t in shown["text"]],
        "text_at": pd.to_datetime(shown["at"]).to_numpy(),
        "texts": shown["texts"].astype(int).to_numpy(),
        "csm": shown["csm"].to_numpy(),
    }, columns=list(COLUMNS))
    return result(frame, int(picked["reason"].isna().sum()), int(len(picked)), saved, suggested=int(len(answered)))
