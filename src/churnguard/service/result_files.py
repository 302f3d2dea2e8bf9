"""The files that hold stored figures (``.cache/results/VERSION/KEY.json``): a line of JSON
about the figure, then its JSON. Written atomically, bounded in size (see
:mod:`churnguard.service.results` for when a figure is stored and read).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Stored:
    """A figure as stored: its JSON text (what the API sends) and when it was computed."""

    name: str
    body: bytes
    computed_at: str
    seconds: float
    cached: bool
    version: str
    _data: Any = field(default=None, repr=False)

    @property
    def data(self) -> Any:
        """The figure as JSON data (dates as ``YYYY-MM-DD`` text)."""
        if self._data is None:
            self._data = json.loads(self.body)
        return self._data

    def to_dict(self) -> Any:
        """The figure's JSON (the same as the CLI's ``--json``)."""
        return self.data



def read_stored(path: Path, name: str, version: str) -> Stored | None:
    """The figure stored in ``path`` (None: not there, or damaged), marked as read just now."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        meta = json.loads(head)
    except ValueError:  # a damaged file is computed again
        return None
    with contextlib.suppress(OSError):  # read now: the last to go when the store is bounded
        os.utime(path)
    return Stored(name, body, meta["computed_at"], meta["seconds"], True, version)


def write_stored(path: Path, stored: Stored) -> None:
    """Write atomically (temp file + rename): a reader sees the whole figure or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps({"name": stored.name, "computed_at": stored.computed_at, "seconds": stored.seconds})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(meta.encode() + b"\n" + stored.body)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    for old in path.parent.parent.iterdir():  # figures of older data versions
        if old.is_dir() and old.name != path.parent.name:
            shutil.rmtree(old, ignore_errors=True)


def bound(folder: Path, max_bytes: int, keep: Path | None = None) -> int:
    """Remove the figures of ``folder`` read longest ago until the rest fit in ``max_bytes``
    (``keep``, the one just written, stays); return how many went.

    Every distinct set of options is a figure of its own (a page asked for each date range
    makes a file), so without a bound the store grows as long as people click. A figure read
    is marked (:func:`read_stored` touches it), so what the pages open with stays.
    """
    files = []
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name.endswith(".json") and not entry.name.startswith(".tmp-"):
            st = entry.stat()
            files.append((st.st_mtime, entry.name, st.st_size, Path(entry.path)))
    total = sum(f[2] for f in files)
    removed = 0
    for _, _, size, path in sorted(files):  # oldest first; the name breaks ties
        if total <= max_bytes:
            break
        if keep is not None and path == keep:
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
        total -= size
    return removed
