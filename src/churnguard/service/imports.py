"""Import use case: one source of one kind into the workspace, atomic and idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from churnguard.errors import InputError, RowError
from churnguard.ingest import (  # noqa: F401 - MAX_ERRORS_SHOWN: how many bad values an import lists
    MAX_ERRORS_SHOWN,
    RawData,
    from_arrow,
    read_file,
    read_mapping_file,
    read_query,
    resolve_mapping,
    validate,
)
from churnguard.ingest.readers import Progress
from churnguard.schema import table_for_kind
from churnguard.service import audit
from churnguard.store import Workspace, load_rows


@dataclass
class ImportOptions:
    """What to import and how.

    Exactly one of ``file``, ``query`` (with ``source``) or ``frame`` is given.
    """

    kind: str
    file: Path | None = None
    query: str | None = None
    source: str | None = None
    frame: pa.Table | None = None
    frame_name: str = "data frame"
    file_name: str | None = None  # name to report instead of the file's path (an upload's own name)
    mapping_file: Path | None = None
    encoding: str | None = None
    sheet: str | None = None
    dry_run: bool = False


@dataclass
class ImportSummary:
    """What an import read, wrote and rejected (the ``--json`` shape)."""

    kind: str
    file: str
    encoding: str | None
    mapping: dict[str, str]
    rows_read: int
    rows_imported: int
    rows_unchanged: int
    error_count: int
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Whether nothing was rejected."""
        return self.error_count == 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``churnguard import --json``: ``data`` lists the bad values shown
        (``errors``; ``error_count`` has them all), ``count`` them."""
        errors = [e.to_dict() for e in self.errors]
        return {
            "data": errors,
            "count": len(errors),
            "kind": self.kind,
            "file": self.file,
            "encoding": self.encoding,
            "mapping": self.mapping,
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_unchanged": self.rows_unchanged,
            "error_count": self.error_count,
            "errors": errors,
            "dry_run": self.dry_run,
        }


def read_source(opts: ImportOptions, progress: Progress | None = None) -> RawData:
    """Read the source named by ``opts``."""
    given = [x is not None for x in (opts.file, opts.query, opts.frame)]
    if sum(given) != 1:
        raise InputError("give exactly one of a FILE or --query (with --source)")
    if opts.query is not None:
        if not opts.source:
            raise InputError("--query needs --source URL, the database to run it on")
        return read_query(opts.source, opts.query)
    if opts.frame is not None:
        return from_arrow(opts.frame_name, opts.frame)
    assert opts.file is not None
    return read_file(opts.file, encoding=opts.encoding, sheet=opts.sheet, progress=progress)


def import_data(ws: Workspace, opts: ImportOptions, progress: Progress | None = None,
                on_wait: Callable[[], None] | None = None) -> ImportSummary:
    """Read, validate and (unless a dry run) load one source. Nothing is written on any error.

    Returns the summary; ``summary.ok`` is False when rows were rejected (then nothing was
    imported). Unreadable sources and unusable mappings raise :class:`InputError`.
    """
    table = table_for_kind(opts.kind)
    raw = read_source(opts, progress)
    if opts.file_name:
        raw.name = opts.file_name
    overrides = read_mapping_file(opts.mapping_file) if opts.mapping_file else None
    mapping = resolve_mapping(raw.headers, table, overrides, source=raw.name)
    checked = validate(raw, table, mapping)
    summary = ImportSummary(
        kind=opts.kind,
        file=raw.name,
        encoding=raw.encoding,
        mapping=mapping,
        rows_read=checked.rows_read,
        rows_imported=0,
        rows_unchanged=0,
        error_count=checked.error_count,
        errors=checked.errors,
        dry_run=opts.dry_run,
    )
    if not summary.ok:
        return summary
    assert checked.data is not None
    result = load_rows(
        ws.store, table, checked.data, kind=opts.kind, file=raw.name, encoding=raw.encoding,
        rows_read=checked.rows_read, dry_run=opts.dry_run, on_wait=on_wait,
    )
    summary.rows_imported = result.rows_imported
    summary.rows_unchanged = result.rows_unchanged
    if not opts.dry_run:
        audit.record(ws, "import", opts.kind, {"file": raw.name, "rows_read": checked.rows_read,
                                               "rows_imported": result.rows_imported,
                                               "rows_unchanged": result.rows_unchanged})
    return summary
