"""The pages. Each module is one page (or a few close ones): a ``router`` and a ``NAV`` entry.

Adding a page
-------------
1. Write the service function that computes what the page shows (it returns a result object
   with ``to_dict()``; the CLI's ``--json`` and the API use the same function).
2. Add ``pages/<name>.py`` with ``router = APIRouter()``, one ``@router.get("/<name>",
   name="<name>")`` route that takes its dependencies (``ws: WorkspaceDep``, ``user: AnyUser``
   or a role such as ``ManagerUser``, ``scope: ScopeDep`` for customer lists), calls the
   service and returns ``render(request, "<name>.html", {...})``; and
   ``NAV = NavItem("<name>", N_("Label"), roles=(), order=…)``.
3. Add ``templates/<name>.html`` extending ``base.html``: a chart is a figure from
   ``web/charts.py`` shown with the ``_chart.html`` partial (and ``_chart_scripts.html`` in the
   ``scripts`` block); a result that is not computed yet (the service raises because its
   snapshot is missing) shows ``_not_computed.html``; ``json_twin`` links the API route.
4. Add the module to :data:`PAGES` below, its JSON twin to ``present/api`` and the new
   messages to the catalogs (``make messages``, then translate in ``zh/…/churnguard.po``).
"""

from __future__ import annotations

from churnguard.present.web.pages import (
    at_risk,
    auth,
    churn,
    cohorts,
    complaints_page,
    core,
    customer,
    customers,
    data,
    defectors,
    investigations,
    listen,
    overview,
    price_volume,
    reasons,
    retention,
    settings_page,
)

#: Page modules, in the order their routes are added.
PAGES = (auth, overview, churn, cohorts, retention, price_volume, at_risk, core, defectors, reasons, investigations,
         listen, complaints_page, customers, customer, data, settings_page)
