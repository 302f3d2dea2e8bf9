"""Database URLs of a workspace: which engine, which file, and how to show them without a password.

Light on purpose (no database library): the command line's quick paths read it too.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from churnguard.errors import WorkspaceError


def describe_url(url: str) -> str:
    """Return ``url`` without any password, for messages and logs."""
    p = urlparse(url)
    if p.password:
        netloc = p.netloc.replace(f":{p.password}@", ":***@")
        return p._replace(netloc=netloc).geturl()
    return url


def dialect_of(url: str) -> str | None:
    """``duckdb``, ``postgres`` or None (a scheme churnguard does not speak)."""
    return {"duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres"}.get(
        urlparse(url).scheme.split("+")[0]
    )


def duckdb_file(url: str, base: Path | None = None) -> Path | None:
    """The DuckDB file a ``duckdb://`` URL names (relative paths from ``base``); None: in memory."""
    parsed = urlparse(url)
    path = unquote(parsed.netloc + parsed.path)
    if path.startswith("/") and not parsed.netloc and url.startswith("duckdb:///"):
        path = path[1:] if not url.startswith("duckdb:////") else path
    if path in ("", ":memory:"):
        return None
    p = Path(path)
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def postgres_params(url: str) -> dict:
    """Connection parameters of a ``postgresql://`` URL (defaults: 127.0.0.1:5432, user and database postgres)."""
    parsed = urlparse(url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password) if parsed.password else None,
        "database": (parsed.path or "/postgres").lstrip("/") or "postgres",
    }


def open_error(url: str, exc: BaseException) -> WorkspaceError:
    """The error for a database that would not open: the driver's own words (refused, no such
    database …), and who to stop when another process holds a DuckDB file."""
    hint = ""
    if "lock" in str(exc).lower():
        hint = (" — another churnguard process (for example 'churnguard serve') has the DuckDB "
                "file open; stop it first, or keep the workspace on PostgreSQL for shared use")
    return WorkspaceError(f"cannot open database {describe_url(url)}: {exc}{hint}")
