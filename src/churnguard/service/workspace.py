"""Use cases about the workspace: create it, report what it holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic

from churnguard.errors import InputError, SettingsError
from churnguard.i18n import N_, Message
from churnguard.schema import DATE_COLUMN, IMPORTS, KINDS
from churnguard.service import audit
from churnguard.service.common import TableResult
from churnguard.service.context import Context
from churnguard.service.workspace_status import Status
from churnguard.settings import SETTINGS_FILE, Settings, documented_fields, load_settings, save_settings
from churnguard.store import Workspace
from churnguard.store.engine import describe_url

#: Settings that only churnguard.toml changes: a wrong database URL typed into a web page
#: would lock everyone out of the page that could put it right.
# a table of values (churn.threshold_by_segment) is edited in the file, not in a one-line form field
FILE_ONLY_SETTINGS = ("database_url", "churn.threshold_by_segment")


def init_workspace(path: Path, *, database_url: str | None = None, language: str | None = None) -> Workspace:
    """Create a workspace in ``path``."""
    return Workspace.init(Path(path), database_url=database_url, language=language)


def safe_url(ws: Workspace) -> str:
    """The workspace's database URL without its password."""
    return describe_url(ws.settings.database_url)


def status(ctx: Context) -> Status:
    """Rows per table, date range and last import of every importable table."""
    return status_of(ctx.workspace)


def status_of(ws: Workspace) -> Status:
    """:func:`status` of a workspace that is already open."""
    store = ws.store
    imports = store.table(IMPORTS.name)
    last = (
        imports.group_by("kind")
        .aggregate(last_import=imports.imported_at.max())
        .to_pandas()
        .set_index("kind")["last_import"]
    )
    tables: dict[str, dict[str, Any]] = {}
    for kind, table in KINDS.items():
        t = store.table(table.name)
        col = DATE_COLUMN[table.name]
        row = t.aggregate(rows=t.count(), date_from=t[col].min(), date_to=t[col].max()).to_pandas().iloc[0]
        info: dict[str, Any] = {"rows": int(row["rows"])}
        for key in ("date_from", "date_to"):
            info[key] = None if pd.isna(row[key]) else pd.Timestamp(row[key]).date().isoformat()
        info["last_import"] = (
            pd.Timestamp(last[kind]).isoformat(sep=" ") if kind in last.index else None
        )
        tables[table.name] = info
    return Status(str(ws.path.resolve()), safe_url(ws), tables)


def recent_imports(ws: Workspace, *, limit: int = 20, kind: str | None = None) -> TableResult:
    """The import log, newest first: ``{data: [{import_id, kind, file, …}], count}``.

    Parameters
    ----------
    limit : int
        At most this many imports (1–1000).
    kind : str, optional
        Only imports of this kind (``customers``, ``transactions`` …).
    """
    if not 1 <= limit <= 1000:
        raise InputError(f"limit must be from 1 to 1000 (got {limit})")
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    t = ws.store.table(IMPORTS.name)
    if kind is not None:
        t = t.filter(t.kind == kind)
    cols = ["import_id", "kind", "file", "encoding", "rows_read", "rows_imported", "rows_unchanged", "imported_at"]
    frame = t.select(cols).order_by([t.imported_at.desc(), t.import_id]).limit(limit).to_pandas()
    frame["imported_at"] = [None if pd.isna(v) else pd.Timestamp(v).isoformat(sep=" ") for v in frame["imported_at"]]
    return TableResult(frame)


@dataclass
class ImportsOptions:
    """Options of the stored ``imports`` figure (:func:`recent_imports`)."""

    limit: int = 20
    kind: str | None = None


def editable_settings() -> dict[str, str]:
    """Dotted name -> help of every setting the web page may change."""
    return {k: v for k, v in documented_fields().items() if k not in FILE_ONLY_SETTINGS}


def update_settings(ctx: Context, changes: Mapping[str, Any]) -> Settings:
    """Change settings of the context's workspace by dotted name; validate all, then save atomically.

    Nothing is written when any value is refused: :class:`SettingsError` names each setting and
    what is wrong with it.

    Examples
    --------
    >>> import tempfile
    >>> from churnguard.service.context import init_context
    >>> from churnguard.service.workspace import update_settings
    >>> with tempfile.TemporaryDirectory() as tmp, init_context(Path(tmp) / "shop") as ctx:
    ...     update_settings(ctx, {"language": "en", "churn.threshold_days": "120"}).churn.threshold_days
    120
    """
    settings_path = ctx.path / SETTINGS_FILE
    current = load_settings(settings_path).model_dump()
    allowed = editable_settings()
    problems: dict[str, str] = {}
    for key, value in changes.items():
        if key not in allowed:
            problems[key] = (
                Message(N_("only churnguard.toml changes this setting")) if key in FILE_ONLY_SETTINGS
                else Message(N_("no such setting"))
            )
            continue
        *parents, leaf = key.split(".")
        section = current
        for part in parents:
            section = section[part]
        section[leaf] = value
    if problems:
        raise SettingsError(problems)
    try:
        settings = Settings.model_validate(current)
    except pydantic.ValidationError as exc:
        by_key: dict[str, list[dict]] = {}
        for e in exc.errors():
            # keep the setting's own name: a union (threshold_days: int | 'auto') adds a tag per member
            key = ".".join(str(p) for p in e["loc"] if isinstance(p, str) and p in _names(current, e["loc"]))
            by_key.setdefault(key or "settings", []).append(e)
        raise SettingsError({k: _problem(errs) for k, errs in by_key.items()}) from None
    save_settings(settings_path, settings)
    ctx.workspace.settings = settings  # what follows in this context sees them
    audit.record(ctx.workspace, "settings_changed", None, {k: str(v) for k, v in sorted(changes.items())})
    return settings


def _problem(errors: list[dict]) -> Message:
    """One message for the pydantic errors of one setting, in words a person acts on."""
    types = {e["type"] for e in errors}
    value = repr(errors[0].get("input"))
    ctx = {k: v for e in errors for k, v in (e.get("ctx") or {}).items()}
    if "literal_error" in types and types & {"int_parsing", "int_type", "int_from_float"}:
        return Message(N_("must be a whole number or one of %(choices)s (got %(value)s)"),
                       choices=ctx.get("expected", ""), value=value)
    first = errors[0]["type"]
    if first in ("int_parsing", "int_type", "int_from_float"):
        return Message(N_("must be a whole number (got %(value)s)"), value=value)
    if first in ("float_parsing", "float_type"):
        return Message(N_("must be a number (got %(value)s)"), value=value)
    if first == "literal_error":
        return Message(N_("must be one of %(choices)s (got %(value)s)"), choices=ctx.get("expected", ""), value=value)
    limits = {
        "greater_than": (N_("must be more than %(limit)s (got %(value)s)"), "gt"),
        "greater_than_equal": (N_("must be at least %(limit)s (got %(value)s)"), "ge"),
        "less_than": (N_("must be less than %(limit)s (got %(value)s)"), "lt"),
        "less_than_equal": (N_("must be at most %(limit)s (got %(value)s)"), "le"),
    }
    if first in limits:
        msgid, bound = limits[first]
        return Message(msgid, limit=ctx.get(bound, ""), value=value)
    return Message(N_("%(reason)s (got %(value)s)"), reason=errors[0]["msg"], value=value)


def _names(values: dict, loc: tuple) -> set[str]:
    """The setting names along a pydantic error location (drops union-member tags such as 'int')."""
    names: set[str] = set()
    node: Any = values
    for part in loc:
        if isinstance(node, dict) and part in node:
            names.add(part)
            node = node[part]
    return names
