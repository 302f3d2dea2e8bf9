"""The one way into a workspace: each edge (a CLI command, an API route, a page) opens one
:class:`Context` and hands it to the use cases it calls.

A use case is ``fn(ctx, opts) -> Result``: ``ctx`` says *where* (workspace, settings, store,
language, the date of knowledge), ``opts`` says *what* (filters, sizes) and carries no paths.
Nothing below the edge opens a workspace::

    with open_context(path, as_of=date(2026, 6, 30), lang="zh") as ctx:
        result = defectors(ctx, DefectorOptions(kind="partial"))

The as-of date is resolved once, on first use: the given date, else the last date in the data
(:attr:`Context.as_of_source` says which, so the edge can say it in its output).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store pulls in Ibis: loaded when a context is opened, not when imported
    from churnguard.i18n import Translator
    from churnguard.settings import Settings
    from churnguard.store import Records, Store, Workspace

#: where the as-of date came from
AS_OF_GIVEN = "given"
AS_OF_LAST_DATE = "last date in the data"


@dataclass
class Context:
    """An open workspace as one edge sees it.

    Attributes
    ----------
    workspace : Workspace
        The open workspace (its folder, settings and store).
    language : {"zh", "en"}
        The reader's language (:attr:`translator` says words, numbers and dates in it, in the
        workspace's time zone; made on first use: a command that prints no words skips it).
    as_of_given : date, optional
        The date of knowledge the caller named (``--as-of``, ``?as_of=``); None: the last date
        in the data, looked up on first use of :attr:`as_of`.
    records_url : str, optional
        Read the records from this URL instead of the workspace's database
        (``spark+parquet:///DIR``: Parquet files read by Spark); results are still the
        workspace's.
    """

    workspace: Workspace
    language: str
    as_of_given: date | None = None
    records_url: str | None = None
    _as_of: tuple[date, str] | None = field(default=None, repr=False)
    _records: Records | None = field(default=None, repr=False)
    _translator: Translator | None = field(default=None, repr=False)

    @property
    def translator(self) -> Translator:
        """Words, numbers and dates in the reader's language and the workspace's time zone."""
        if self._translator is None:
            from churnguard.i18n import Translator

            self._translator = Translator(self.language, self.settings.timezone)
        return self._translator

    @property
    def path(self) -> Path:
        """The workspace's folder."""
        return self.workspace.path

    @property
    def settings(self) -> Settings:
        """The workspace's settings (the last good copy while churnguard.toml is broken)."""
        return self.workspace.settings

    @property
    def store(self) -> Store:
        """The workspace's database, connected on first use."""
        return self.workspace.store

    def records(self) -> Records:
        """The stored records (every record kind, as Ibis tables; cut them with
        ``known_at(ctx.as_of)``): the workspace's database, or :attr:`records_url`."""
        if self._records is None:
            from churnguard.store.records import Records, records_from_url

            self._records = (records_from_url(self.records_url, base=self.path) if self.records_url
                             else Records.from_store(self.store))
        return self._records

    @property
    def as_of(self) -> date:
        """The date of knowledge: the given one, else the last date in the data."""
        return self._resolve()[0]

    @property
    def as_of_source(self) -> str:
        """``given`` or ``last date in the data``."""
        return self._resolve()[1]

    def with_as_of(self, as_of: date | None) -> Context:
        """The same workspace seen as of another date (``None``: the last date in the data);
        this very context when the date is its own, so the date is looked up once."""
        if as_of == self.as_of_given:
            return self
        return Context(self.workspace, self.language, as_of, self.records_url, _records=self._records,
                       _translator=self._translator)

    def _resolve(self) -> tuple[date, str]:
        if self._as_of is None:
            if self.records_url is not None:  # the records are elsewhere: their last date
                from churnguard.errors import InputError

                last = self.records().last_date() if self.as_of_given is None else self.as_of_given
                if last is None:
                    raise InputError(f"{self.records_url}: no purchases or contracts yet")
                self._as_of = (last, AS_OF_GIVEN if self.as_of_given is not None else AS_OF_LAST_DATE)
            else:
                from churnguard.service.common import resolve_as_of

                self._as_of = resolve_as_of(self.store, self.as_of_given)
        return self._as_of

    def close(self) -> None:
        """Close the workspace's database connection (and records read from elsewhere)."""
        if self._records is not None and self.records_url is not None:
            self._records.close()
        self._records = None
        self.workspace.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def context_of(workspace: Workspace, *, as_of: date | None = None, lang: str | None = None) -> Context:
    """A context over a workspace that is already open (the server opens one per request)."""
    from churnguard.i18n import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        from churnguard.errors import OptionError

        raise OptionError("lang", f"choose {' or '.join(LANGUAGES)} (got {lang!r})")
    return Context(workspace, lang or workspace.settings.language, as_of)


def open_context(path: Path | None = None, *, as_of: date | None = None, lang: str | None = None,
                 create_tables: bool = True, records_url: str | None = None) -> Context:
    """Open the workspace in ``path`` (default: ``$CHURNGUARD_WORKSPACE``, else the current
    folder) as a :class:`Context`; use it in a ``with`` block so the database is let go.

    Parameters
    ----------
    as_of : date, optional
        The date of knowledge; default the last date in the data.
    lang : {"zh", "en"}, optional
        The reader's language; default the workspace's.
    create_tables : bool
        False skips bringing the tables up to date (the server did it when it started).
    records_url : str, optional
        Read the records from there (``spark+parquet:///DIR``); only the settings of ``path``
        are used (the defaults when it is not a workspace), and its database is not opened.
    """
    from churnguard.settings import SETTINGS_FILE, Settings, default_workspace_dir, load_settings
    from churnguard.store import Workspace

    folder = Path(path) if path is not None else default_workspace_dir()
    if records_url is not None:  # only the settings of the workspace (if any) are used
        settings_file = folder / SETTINGS_FILE
        ws = Workspace(folder, load_settings(settings_file) if settings_file.exists() else Settings())
    else:
        ws = Workspace.open(folder, create_tables=create_tables)
    ctx = context_of(ws, as_of=as_of, lang=lang)
    ctx.records_url = records_url
    return ctx


def init_context(path: Path, *, database_url: str | None = None, language: str | None = None) -> Context:
    """Create a workspace in ``path`` and open it as a :class:`Context`."""
    from churnguard.store import Workspace

    return context_of(Workspace.init(Path(path), database_url=database_url, language=language))
