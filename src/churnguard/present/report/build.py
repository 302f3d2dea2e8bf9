"""Gather the report's figures once and write them as HTML or Excel (atomically)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from churnguard.errors import ChurnguardError, InputError
from churnguard.i18n import LANGUAGES, Translator
from churnguard.service import results
from churnguard.store import Workspace

FORMATS = (".html", ".xlsx")

#: The report's figures: (key, figure name, options). Quarterly, so a report stays short.
FIGURES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("overview", "overview", {}),
    ("churn", "churn-rate", {"period": "quarter", "basis": "customers"}),
    ("segments", "churn-rate", {"period": "quarter", "basis": "customers", "by": "segment"}),
    ("retention", "retention", {"period": "quarter", "basis": "value"}),
    ("cohorts", "cohorts", {"period": "quarter", "basis": "customers"}),
    ("price_volume", "price-volume", {"period": "quarter"}),
)


@dataclass
class ReportOptions:
    """What to write.

    Attributes
    ----------
    out : Path
        ``….html`` or ``….xlsx``.
    language : {"zh", "en"}, optional
        Default: the workspace's ``language``.
    workspace : Path, optional
        Default: ``$CHURNGUARD_WORKSPACE`` or the current folder.
    """

    out: Path
    language: str | None = None
    workspace: Path | None = None


@dataclass
class ReportResult:
    """What was written: ``{"out", "format", "language", "as_of", "figures", "bytes"}``."""

    out: Path
    format: str
    language: str
    as_of: str | None
    figures: list[str]
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``churnguard report --json``."""
        data = [{"figure": f} for f in self.figures]
        return {"data": data, "count": len(data), "out": str(self.out), "format": self.format, "language": self.language, "as_of": self.as_of,
                "figures": self.figures, "bytes": self.bytes}


@dataclass
class ReportData:
    """The figures of a report (stored JSON), with the reader's translator."""

    tr: Translator
    workspace: str
    currency: str
    generated_at: datetime
    figures: dict[str, dict[str, Any] | None]
    problems: dict[str, str]

    @property
    def overview(self) -> dict[str, Any]:
        """The overview figure."""
        return self.figures["overview"] or {}


def gather(ws: Workspace, tr: Translator) -> ReportData:
    """Read (or compute and store) every figure of :data:`FIGURES`."""
    from churnguard.i18n import message_of, translate_message

    version = results.data_version(ws) if ws.settings.web.cache_results else None
    figures: dict[str, dict[str, Any] | None] = {}
    problems: dict[str, str] = {}
    for key, name, options in FIGURES:
        try:
            figures[key] = results.figure(ws, name, options, use_cache=ws.settings.web.cache_results,
                                          version=version).data
        except ChurnguardError as exc:  # e.g. nothing dated yet: the report says so
            figures[key] = None
            problems[key] = translate_message(tr, message_of(exc))
    return ReportData(tr, str(ws.path.resolve()), ws.settings.currency, datetime.now(UTC), figures, problems)


def write_atomically(out: Path, write: Callable[[Path], None]) -> int:
    """Call ``write(temp)`` on a temporary file beside ``out``, then rename it to ``out``.

    A reader sees the old file or the whole new one; a failure leaves ``out`` as it was and
    no temporary file behind. Returns the size written.
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: the folder {out.parent} does not exist")
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}-", suffix=out.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        size = tmp.stat().st_size
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return size


def write_report(opts: ReportOptions) -> ReportResult:
    """Write the report to ``opts.out`` (HTML or Excel by its suffix)."""
    out = Path(opts.out)
    fmt = out.suffix.lower()
    if fmt not in FORMATS:
        raise InputError(f"--out {out}: write a .html or a .xlsx file (got {out.suffix or 'no suffix'!r})")
    if opts.language is not None and opts.language not in LANGUAGES:
        raise InputError(f"--lang {opts.language!r}: choose zh or en")
    with Workspace.open(opts.workspace) as ws:
        tr = Translator(opts.language or ws.settings.language, ws.settings.timezone)
        data = gather(ws, tr)
    if fmt == ".html":
        from churnguard.present.report.html import write_html as writer
    else:
        from churnguard.present.report.excel import write_excel as writer
    size = write_atomically(out, lambda tmp: writer(data, tmp))
    return ReportResult(out, fmt[1:], tr.language, data.overview.get("as_of"),
                        [k for k, v in data.figures.items() if v is not None], size)
