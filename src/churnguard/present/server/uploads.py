"""An uploaded file through the same import as the CLI's (one function for the page and the API)."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from fastapi import UploadFile

from churnguard.errors import InputError
from churnguard.schema import table_for_kind
from churnguard.service import audit
from churnguard.service.imports import ImportOptions, ImportSummary, import_data
from churnguard.service.workspace import Workspace

#: Longest upload name kept, in UTF-8 bytes: file systems allow 255 bytes per name (not characters;
#: a Chinese character takes three), and the name is stored in a temporary folder as it is.
MAX_NAME_BYTES = 200


def safe_filename(name: str | None) -> str:
    """The last part of an uploaded file's name, without control characters (``..`` and paths go).

    A long name keeps its end (the extension tells the reader apart), cut to
    :data:`MAX_NAME_BYTES` bytes of UTF-8 and never inside a character.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    tail = base.encode("utf-8")[-MAX_NAME_BYTES:]
    return tail.decode("utf-8", errors="ignore").lstrip(".")  # a cut character's bytes at the start go


def import_upload(ws: Workspace, kind: str, upload: UploadFile | None, *, encoding: str | None = None,
                  sheet: str | None = None, dry_run: bool = False, actor: str | None = None,
                  address: str | None = None) -> ImportSummary:
    """Import ``upload`` as ``kind``: all or nothing, errors named with the upload's own file name.

    Raises :class:`InputError` for an unknown kind, a missing or empty file, or a file that
    cannot be read; returns the summary (``.ok`` False with row errors when rows are rejected).
    """
    table_for_kind(kind)  # an unknown kind is refused before the file is even stored
    name = safe_filename(upload.filename if upload is not None else None)
    if upload is None or not name:
        raise InputError("no file was sent; choose a CSV, Excel or Parquet file")
    with tempfile.TemporaryDirectory(prefix="churnguard-upload-") as tmp:
        path = Path(tmp) / name
        upload.file.seek(0)
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, length=1 << 20)
        if path.stat().st_size == 0:
            raise InputError(f"{name}: the file is empty")
        opts = ImportOptions(kind=kind, file=path, file_name=name, encoding=encoding or None,
                             sheet=sheet or None, dry_run=dry_run)
        try:
            with audit.acting_as(actor or audit.current_actor(), address):  # the audit log's who
                return import_data(ws, opts)
        except InputError as exc:  # readers name the file by its path: show the upload's name
            raise InputError(str(exc).replace(str(path), name)) from None
