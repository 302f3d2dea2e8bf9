"""Babel extraction of messages that no ``_()`` call shows: they are made at run time.

- the help text of every setting (``Field(description=…)`` in :mod:`churnguard.settings`);
- the reasons validation gives for a bad value (:mod:`churnguard.ingest.checks`).

It lives in the service layer because it reads the layers below (settings, ingest); the
message catalog itself (:mod:`churnguard.i18n`) sits under them all.

``babel.cfg`` maps this file to :func:`extract_runtime`, so ``pybabel extract`` (``make
messages``) puts these messages into the catalog template like any other, and the catalog
test finds a missing translation of a new setting or reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel


def runtime_messages() -> list[str]:
    """The messages, in a stable order, without duplicates."""
    from churnguard.ingest import checks
    from churnguard.schema import KINDS
    from churnguard.settings import Settings, documented_fields

    out: list[str] = []
    out += [v for v in documented_fields().values() if v]
    for info in Settings.model_fields.values():  # each section's docstring heads it on the page
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and ann.__doc__:
            out.append(ann.__doc__.strip().splitlines()[0])
    out += [checks.DATE_HELP, checks.AMOUNT_HELP]
    for table in KINDS.values():
        out += checks.check_reasons(table)
    seen: set[str] = set()
    return [m for m in out if m and not (m in seen or seen.add(m))]


def extract_runtime(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Babel extraction method: yield ``(lineno, funcname, message, comments)`` per message."""
    for i, message in enumerate(runtime_messages(), start=1):
        yield i, "_", message, ["made at run time; see churnguard/service/messages.py"]
