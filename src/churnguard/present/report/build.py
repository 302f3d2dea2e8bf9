"""Gather the report's figures once and write them as HTML or Excel (atomically)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churnguard.errors import InputError, OptionError
from churnguard.present.report.data import gather
from churnguard.present.report.excel import write_excel
from churnguard.present.report.html import write_html
from churnguard.service.context import Context

FORMATS = (".html", ".xlsx")


@dataclass
class ReportOptions:
    """What to write.

    Attributes
    ----------
    out : Path
        ``….html`` or ``….xlsx``; the language is the context's.
    """

    out: Path

    def __post_init__(self) -> None:
        suffix = Path(self.out).suffix
        if suffix.lower() not in FORMATS:
            raise OptionError("out", f"{self.out}: write a .html or a .xlsx file (got {suffix or 'no suffix'!r})")


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


def write_report(ctx: Context, opts: ReportOptions) -> ReportResult:
    """Write the report of the workspace in ``ctx`` to ``opts.out`` (HTML or Excel by its
    suffix), in the context's language."""
    out = Path(opts.out)
    fmt = out.suffix.lower()
    tr = ctx.translator
    data = gather(ctx)
    writer = write_html if fmt == ".html" else write_excel
    size = write_atomically(out, lambda tmp: writer(data, tmp))
    return ReportResult(out, fmt[1:], tr.language, data.overview.get("as_of"),
                        [k for k, v in data.figures.items() if v is not None], size)
