"""The navigation: one entry per page, shown to the roles that may open it."""

from __future__ import annotations

from dataclasses import dataclass

from churnguard.service.users import User


@dataclass(frozen=True)
class NavItem:
    """A link in the page header.

    Parameters
    ----------
    endpoint : str
        The route name of the page (``url(endpoint)`` builds its address).
    label : str
        English label, marked with ``N_`` and translated when shown.
    roles : tuple of str
        Roles that see the link besides admin; empty: every signed-in user.
    order : int
        Position from the left.
    """

    endpoint: str
    label: str
    roles: tuple[str, ...] = ()
    order: int = 100

    def visible(self, user: User | None) -> bool:
        """Whether ``user`` sees this link."""
        return user is not None and (not self.roles or user.has_role(*self.roles))
