"""What the customer lists (worklist, core customers, defectors) share: one page of a stored
list, the not-computed state, and whether a row's customer page may be opened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from churnguard.errors import NotComputedError
from churnguard.present.web.paging import PER_PAGE, Pager


def one_page(fetch: Callable[[int, int], tuple[Any, int]], page: int) -> Any:
    """``fetch(offset, limit) -> (result, total)`` for the page ``page`` (kept within the pages there are).

    Returns ``(result, pager)``, or None when the run has not stored the list yet.
    """
    try:
        result, total = fetch((max(page, 1) - 1) * PER_PAGE, PER_PAGE)
        pager = Pager(page, total)
        if pager.current != page:  # past the last page: show the last one
            result, total = fetch(pager.offset, PER_PAGE)
            pager = Pager(pager.current, total)
    except NotComputedError:
        return None
    return result, pager


def can_open(own: str | None) -> Callable[[dict[str, Any]], bool]:
    """``can_open(row)``: whether the reader may open the customer page of a row (its ``csm``)."""
    return lambda row: own is None or row.get("csm") == own
