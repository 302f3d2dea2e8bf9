"""``churnguard model train|score``: a churn model on a user's own labelled customer table.

These use cases need no workspace: the table is a file and the model a folder. The edge says
where the model lives (:func:`default_model_dir` of the workspace folder when it is not given)
and in which language to say the reasons (:func:`folder_language`), so the options carry the
files of the task only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from churnguard.compute.predict import TabularChurnModel
from churnguard.errors import InputError, OptionError
from churnguard.i18n import LANGUAGES
from churnguard.service.jsonable import rows_of
from churnguard.service.scoring import Step, scorer_rows
from churnguard.settings import SETTINGS_FILE, Settings, load_settings
from churnguard.store.workspace import default_workspace_dir
from churnguard.vocab import inert_text


def read_table(path: Path, encoding: str | None, sheet: str | None) -> pd.DataFrame:
    """A CSV/Excel/Parquet table as a DataFrame (refused when it has no rows)."""
    from churnguard.ingest import read_file
    from churnguard.ingest.readers import LINE

    raw = read_file(Path(path), encoding=encoding, sheet=sheet)
    frame = raw.table.drop_columns([LINE]).to_pandas()
    if frame.empty:
        raise InputError(f"{path}: the table has no rows")
    return frame


def _folder(workspace: Path | None) -> Path:
    return Path(workspace) if workspace is not None else default_workspace_dir()


def folder_language(workspace: Path | None) -> str:
    """The workspace's language when the folder is one, else the default language."""
    settings = _folder(workspace) / SETTINGS_FILE
    return load_settings(settings).language if settings.exists() else Settings().language


def default_model_dir(workspace: Path | None) -> Path:
    """Where a table model lives: ``models/table`` in the workspace folder (or the current folder)."""
    return _folder(workspace) / "models" / "table"


@dataclass
class TrainTableOptions:
    """``churnguard model train``: a model on a user's own labelled customer table, saved in ``model_dir``."""

    table: Path
    target: str
    model_dir: Path
    id_column: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    folds: int = 5
    threads: int = 2
    seed: int = 0
    positive: str | None = None  # the target value meaning churned, when not yes/no, 1/0, 是/否 …

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise OptionError("folds", f"must be at least 2 (got {self.folds})")
        if self.threads < 1:
            raise OptionError("threads", f"must be at least 1 (got {self.threads})")


@dataclass
class TrainTableResult:
    """Cross-validated figures of the model and the baseline, and where the model was saved."""

    report: dict[str, Any]
    model_dir: Path

    def to_dict(self) -> dict[str, Any]:
        """``{"n_rows", "positive_rate", "model": {"roc_auc", "pr_auc", …}, "baseline": {…}, "folds",
        "features", "id_column", "dropped", "model_dir"}``."""
        data = scorer_rows({"all": {k: self.report.get(k) for k in ("model", "baseline")}})
        return {"data": data, "count": len(data), **self.report, "model_dir": str(self.model_dir)}


def train_table(opts: TrainTableOptions, step: Step | None = None) -> TrainTableResult:
    """Cross-validate and fit a churn model on a CSV/Excel/Parquet table with a churn column; save it."""
    say = step or (lambda _m: None)
    frame = read_table(opts.table, opts.encoding, opts.sheet)
    model = TabularChurnModel(n_jobs=opts.threads, random_state=opts.seed)
    say(f"{opts.folds}-fold cross-validation on {len(frame):,} rows")
    report = model.cross_validate(frame, opts.target, opts.id_column, folds=opts.folds, positive=opts.positive)
    say("fitting on every row")
    model.fit(frame, opts.target, opts.id_column, positive=opts.positive)
    model.save(opts.model_dir)
    return TrainTableResult(report, opts.model_dir)


@dataclass
class ScoreTableOptions:
    """``churnguard model score``: score a table with the model ``model train`` saved in
    ``model_dir``; reasons in ``lang`` (``zh`` or ``en``); with ``output`` the scores are written there too."""

    table: Path
    model_dir: Path
    lang: str
    encoding: str | None = None
    sheet: str | None = None
    output: Path | None = None
    top: int = 3

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise OptionError("lang", f"{self.lang!r}: choose {' or '.join(LANGUAGES)}")
        if self.top < 0:
            raise OptionError("top", f"must be at least 0 (got {self.top})")


@dataclass
class ScoreTableResult:
    """One row per input row: id, probability, reasons."""

    frame: pd.DataFrame
    model_dir: Path
    output: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"data": [{"id", "probability", "reasons": [{"column", "code", "text", "values", "contribution"}]}],
        "count", "model_dir", "output"}``."""
        rows = rows_of(self.frame)
        for r in rows:
            r["probability"] = float(r["probability"])
        return {"data": rows, "count": len(rows), "model_dir": str(self.model_dir),
                "output": None if self.output is None else str(self.output)}


def score_table(opts: ScoreTableOptions) -> ScoreTableResult:
    """Probability and top reasons of every row of a table, from a saved table model.

    With ``output`` the scores are also written as CSV (UTF-8 with BOM, so Excel opens it):
    ``id, probability, reasons`` with the reasons joined by "; ".
    """
    model = TabularChurnModel.load(opts.model_dir)
    frame = read_table(opts.table, opts.encoding, opts.sheet)
    scored = model.score(frame, top=opts.top, language=opts.lang)
    scored = scored.reset_index(drop=True)
    if opts.output is not None:
        flat = scored.assign(reasons=scored["reasons"].map(lambda r: "; ".join(i["text"] for i in r)))
        # the user's ids and texts come back out: text a spreadsheet would run as a formula is inert
        flat = flat.apply(lambda col: col.map(inert_text) if col.dtype == object else col)
        out = Path(opts.output)
        tmp = out.with_name(out.name + ".tmp")
        flat.to_csv(tmp, index=False, encoding="utf-8-sig")
        tmp.replace(out)
    return ScoreTableResult(scored, opts.model_dir, opts.output)
