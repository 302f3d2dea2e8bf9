"""Pages of long tables: ``?page=N`` (from 1), a fixed number of rows per page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

PER_PAGE = 50


@dataclass(frozen=True)
class Pager:
    """Which rows of ``total`` the page ``page`` shows, and the links to its neighbours."""

    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def current(self) -> int:
        """``page``, kept within 1 … pages."""
        return min(max(self.page, 1), self.pages)

    @property
    def offset(self) -> int:
        """Index of the first row shown."""
        return (self.current - 1) * self.per_page

    @property
    def first_row(self) -> int:
        """Number (from 1) of the first row shown; 0 when there is none."""
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        """Number of the last row shown."""
        return min(self.offset + self.per_page, self.total)

    def rows(self, rows: Sequence[Any]) -> Sequence[Any]:
        """The rows of this page out of all ``rows``."""
        return rows[self.offset:self.offset + self.per_page]

    def link(self, request: Request, page: int) -> str:
        """This address with ``page`` set (other query parameters kept)."""
        params = dict(request.query_params)
        params["page"] = str(page)
        root = request.scope.get("root_path", "")
        return root + request.url.path + "?" + "&".join(
            f"{k}={v}" for k, v in _encoded(params).items())


def _encoded(params: dict[str, str]) -> dict[str, str]:
    from urllib.parse import quote

    return {quote(k, safe=""): quote(v, safe="") for k, v in params.items()}
