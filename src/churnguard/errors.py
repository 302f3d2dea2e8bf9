"""The one exception tree of churnguard.

Every error a user can cause is a :class:`ChurnguardError`; only the edges (CLI exit
code, API status) translate it. Messages say what went wrong, where, and how to fix it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class ChurnguardError(Exception):
    """Base of every error churnguard raises on purpose."""

    exit_code = 1


class ConfigError(ChurnguardError):
    """A setting or workspace file is wrong or missing."""

    exit_code = 2


class WorkspaceError(ChurnguardError):
    """The workspace folder or its database cannot be used."""

    exit_code = 2


class InputError(ChurnguardError):
    """A file, query or argument given by the user cannot be read as asked."""

    exit_code = 2


class OptionError(InputError):
    """An option of a use case is out of its range or not one of its choices.

    The options objects check their own values (once, when made); each edge names the option
    in its own words: ``--top`` on the command line, ``top`` in the API.

    Attributes
    ----------
    field : str
        The option's field name in the options object (``top``, ``as_of``).
    problem : str
        What is wrong, without the option's name (``must be from 1 to 1000 (got 0)``).
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def for_cli(self) -> str:
        """The message with the option as typed on the command line (``--top: …``)."""
        return f"--{self.field.replace('_', '-')}: {self.problem}"


@dataclass(frozen=True)
class RowError:
    """One bad value in an input: where it is and why it was rejected."""

    file: str
    line: int
    column: str
    value: str | None
    reason: str

    def to_dict(self) -> dict:
        """Return the error as a plain dict (the JSON shape)."""
        return asdict(self)

    def __str__(self) -> str:
        shown = "" if self.value is None else f" value {self.value!r}:"
        return f"{self.file}:{self.line}: column {self.column!r}:{shown} {self.reason}"


class ValidationError(InputError):
    """Rows of an input were rejected; nothing was imported.

    Attributes
    ----------
    errors : list of RowError
        The first errors found (at most ``limit``), in file order.
    error_count : int
        How many bad values there are in all.
    """

    def __init__(self, file: str, errors: list[RowError], error_count: int):
        self.file = file
        self.errors = errors
        self.error_count = error_count
        shown = "\n".join(f"  {e}" for e in errors)
        more = error_count - len(errors)
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(
            f"{file}: {error_count} bad value(s); nothing was imported.\n{shown}{tail}"
        )


class SettingsError(InputError):
    """Changed settings were refused; nothing was saved.

    Attributes
    ----------
    problems : dict of str to str
        Dotted setting name -> what is wrong with the value given.
    """

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("settings not saved: " + "; ".join(f"{k}: {v}" for k, v in problems.items()))


class NotFoundError(ChurnguardError):
    """A record asked for by its key (a customer id) does not exist, or is not the asker's to see."""


class NotComputedError(ChurnguardError):
    """A stored result (a snapshot of ``churnguard run``) asked for does not exist yet."""


class NotFittedError(ChurnguardError):
    """A model was asked to predict before it was fitted."""


class FitError(ChurnguardError):
    """The data cannot support the fit that was asked for."""
