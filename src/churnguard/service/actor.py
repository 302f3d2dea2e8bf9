"""Who is acting: the actor the audit log records (light to import: the CLI sets it at start).

:mod:`churnguard.service.audit` re-exports these names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_ACTOR: ContextVar[str] = ContextVar("churnguard_actor", default="unknown")
_ADDRESS: ContextVar[str | None] = ContextVar("churnguard_address", default=None)


@contextlib.contextmanager
def acting_as(actor: str, address: str | None = None) -> Iterator[None]:
    """Within the block, events are recorded as done by ``actor`` (from ``address``)."""
    a, b = _ACTOR.set(actor), _ADDRESS.set(address)
    try:
        yield
    finally:
        _ACTOR.reset(a)
        _ADDRESS.reset(b)


def set_actor(actor: str) -> None:
    """Record every later event of this process (or task) as done by ``actor`` — the CLI says
    who it runs as once, at its start."""
    _ACTOR.set(actor)


def current_actor() -> str:
    """Who is acting now (``unknown`` outside :func:`acting_as`)."""
    return _ACTOR.get()


__all__ = ["acting_as", "current_actor", "set_actor"]
