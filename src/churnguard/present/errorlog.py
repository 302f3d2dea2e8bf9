"""Where the full trace of an unexpected error goes, so that the user sees one line and not a traceback.

Errors a user can cause are :class:`~churnguard.errors.ChurnguardError` and get their own
message. Anything else is a fault of the program; the CLI, the API and the pages then say in
one line what failed and write the full trace to ``logs/churnguard.log`` in the workspace
folder (rotated: :data:`MAX_BYTES` per file, :data:`BACKUPS` old files kept), where the person
who reports the fault can find it. Without a usable workspace folder (none yet, or not
writable) the trace goes to ``churnguard/logs`` in the user's cache folder, else the system's
temporary folder; the one-line message always says which file it is.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import tempfile
import threading
import traceback
from pathlib import Path

from churnguard.settings import SETTINGS_FILE, default_workspace_dir

LOG_FOLDER = "logs"
LOG_FILE = "churnguard.log"
#: size of one log file before it is rotated, and how many old files are kept
MAX_BYTES = 2_000_000
BACKUPS = 3

_lock = threading.Lock()


class _Handler(logging.handlers.RotatingFileHandler):
    """Rotating file handler that lets a failed write raise (the next folder is tried) instead
    of printing its own trace on stderr."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        raise  # re-raise the error being handled


def _fallback_folders() -> list[Path]:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [Path(cache) / "churnguard" / LOG_FOLDER, Path(tempfile.gettempdir()) / "churnguard" / LOG_FOLDER]


def log_folders(workspace: Path | None) -> list[Path]:
    """The folders tried for the log, in order: the workspace's ``logs`` (when the folder is a
    workspace), then the fallbacks."""
    folder = (Path(workspace) if workspace is not None else default_workspace_dir()).absolute()
    first = [folder / LOG_FOLDER] if (folder / SETTINGS_FILE).is_file() else []
    return first + _fallback_folders()


def write_trace(exc: BaseException, what: str, workspace: Path | None = None) -> Path | None:
    """Append ``what`` failed and the full trace of ``exc`` to the log; return the file written.

    Parameters
    ----------
    exc : BaseException
        The unexpected error (with its traceback).
    what : str
        What was being done: ``"churnguard run"``, ``"GET /api/at-risk"``.
    workspace : Path, optional
        The workspace folder (default: ``$CHURNGUARD_WORKSPACE``, else the current folder).

    Returns
    -------
    Path or None
        The log file, or None when no folder could be written.
    """
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    record = logging.LogRecord("churnguard", logging.ERROR, __file__, 0, "%s failed\n%s", (what, trace.rstrip()),
                               None)
    for folder in log_folders(workspace):
        path = folder / LOG_FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with _lock:
                handler = _Handler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                               encoding="utf-8")
                try:
                    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
                    handler.emit(record)
                finally:
                    handler.close()
            if path.is_file():
                return path
        except OSError:
            continue
    return None


def log_events(workspace: Path | None) -> Path | None:
    """Write the warnings of the ``churnguard`` loggers (locked logins, lifted locks) to the
    workspace's log from now on, in this process; return the file (None: no folder could be
    written). Calling it again for the same file adds nothing."""
    root = logging.getLogger("churnguard")
    for folder in log_folders(workspace):
        path = (folder / LOG_FILE).absolute()
        with _lock:
            if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
                return path
            try:
                folder.mkdir(parents=True, exist_ok=True)
                handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                               encoding="utf-8")
            except OSError:
                continue
            handler.setLevel(logging.WARNING)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            root.addHandler(handler)
            if root.level == logging.NOTSET or root.level > logging.WARNING:
                root.setLevel(logging.WARNING)
            return path
    return None


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``TypeName: message`` on one line, cut at ``limit`` characters."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"
