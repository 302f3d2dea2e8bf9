"""One JSON form of every result, for the CLI's ``--json`` and the API alike."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _default(o: Any) -> Any:
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    # NaN/inf are not JSON: they become null
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def jsonable(obj: Any) -> Any:
    """``obj`` (a result with ``to_dict()``, or plain data) as JSON-ready lists, dicts and scalars."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    return _clean(json.loads(json.dumps(obj, default=_default)))


def to_json(obj: Any) -> str:
    """``obj`` as indented JSON text (UTF-8 characters kept as they are)."""
    return json.dumps(jsonable(obj), ensure_ascii=False, indent=2)


def rows_of(frame: Any, *, days: bool = True) -> list[dict[str, Any]]:
    """A DataFrame's rows as JSON-ready dicts: the one conversion of every result's ``data``.

    A missing value (NaN, NaT, None) and an infinite number become None; with ``days`` a date
    or time reads as its day (``2026-09-30``), else it is kept as it is (a time of day matters:
    an import's or an event's).
    """
    if len(frame) <= _SMALL:  # cell by cell: pandas' whole-frame conversions cost ~5 ms each
        rows = frame.to_dict(orient="records")
        for row in rows:
            for k, v in row.items():
                if v is not None:
                    row[k] = None if v is _nat() else _cell(v, days)
        return rows
    import numpy as np
    import pandas as pd

    f = frame.copy(deep=False)
    for col in f.columns:
        s = f[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if days:
                f[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s):
            f[col] = s.where(np.isfinite(s))
        elif s.dtype == object:
            f[col] = s.map(lambda v: _cell(v, days))
    return f.astype(object).where(f.notna(), None).to_dict(orient="records")


_SMALL = 256


def _nat() -> Any:
    import pandas as pd

    return pd.NaT


def _cell(v: Any, days: bool) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, datetime):  # a pandas Timestamp too; NaT is one and has no day
        if v != v:
            return None
        return v.date().isoformat() if days else v
    return v
