"""A workspace: a folder with ``churnguard.toml`` and, by default, an embedded DuckDB file."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from churnguard.errors import WorkspaceError
from churnguard.settings import (  # noqa: F401 - WORKSPACE_ENV: where the workspace is named
    SETTINGS_FILE,
    WORKSPACE_ENV,
    Settings,
    default_workspace_dir,
    read_settings,
    save_settings,
)

if TYPE_CHECKING:  # the engine pulls in Ibis: loaded on the first use of the store, not on open
    from churnguard.store.engine import Store


@dataclass
class Workspace:
    """An open workspace: its folder, its settings and (opened on first use) its store."""

    path: Path
    settings: Settings
    _store: Store | None = field(default=None, repr=False)
    #: what is wrong with churnguard.toml when its last good copy is in force (None: the file reads well)
    settings_problem: str | None = None

    @classmethod
    def init(cls, path: Path, *, database_url: str | None = None, language: str | None = None,
             exist_ok: bool = False) -> Workspace:
        """Create a workspace in ``path`` (made if missing) and its tables.

        Refuses a folder that already holds a workspace unless ``exist_ok``.
        """
        path = Path(path)
        settings_path = path / SETTINGS_FILE
        if settings_path.exists() and not exist_ok:
            raise WorkspaceError(f"{path}: already a workspace ({SETTINGS_FILE} exists)")
        values: dict = {}
        if database_url:
            values["database_url"] = database_url
        if language:
            values["language"] = language
        settings = Settings(**values)
        path.mkdir(parents=True, exist_ok=True)
        ws = cls(path, settings)
        ws.store.ensure_tables()  # connect first: a bad URL leaves no half-made workspace
        save_settings(settings_path, settings)
        return ws

    @classmethod
    def open(cls, path: Path | None = None, *, create_tables: bool = True) -> Workspace:
        """Open the workspace in ``path`` (default: ``$CHURNGUARD_WORKSPACE`` or the current folder).

        The workspace is brought to the current schema version first (see
        :mod:`churnguard.store.migrations`; usually two quick queries). ``create_tables=False``
        skips that: for a server that did so when it started and opens the workspace on every
        request.
        """
        path = Path(path) if path is not None else default_workspace_dir()
        settings_path = path / SETTINGS_FILE
        if not settings_path.exists():
            raise WorkspaceError(
                f"{path.resolve()}: not a churnguard workspace (no {SETTINGS_FILE}); "
                f"create one with 'churnguard init {path}' or pass --workspace DIR"
            )
        settings, problem = read_settings(settings_path)
        if problem:
            logging.getLogger("churnguard.settings").warning(
                "%s — using the last good copy (%s.last-good) until the file is fixed", problem, SETTINGS_FILE)
        ws = cls(path, settings, settings_problem=problem)
        if create_tables:
            ws.store.ensure_tables()
        return ws

    @property
    def store(self) -> Store:
        """The workspace's database, connected on first use."""
        if self._store is None:
            from churnguard.store.engine import Store

            self._store = Store(self.settings.database_url, base=self.path)
        return self._store

    def close(self) -> None:
        """Close the database connection."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
