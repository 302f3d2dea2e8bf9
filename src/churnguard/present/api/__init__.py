"""The REST API under ``/api``: bearer-token auth, JSON in and out, one error shape.

Each module is one resource with a ``router``; :data:`ROUTERS` lists them. The JSON of each
route is the ``to_dict()`` of the same service result the CLI prints with ``--json``.
"""

from __future__ import annotations

from churnguard.present.api import (
    customers,
    docs,
    imports,
    investigations,
    listen,
    measure,
    reason_suggestions,
    status,
    users,
)

#: Resource modules, in the order their routes are added.
ROUTERS = (status, imports, measure, customers, reason_suggestions, investigations, listen, users, docs)
