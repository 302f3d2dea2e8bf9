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
