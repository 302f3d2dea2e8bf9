"""What a report shows, gathered once for both formats: the stored figures of :data:`FIGURES`
with the reader's translator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from churnguard.errors import ChurnguardError
from churnguard.i18n import Translator
from churnguard.service import results
from churnguard.service.context import Context

#: The report's figures: (key, figure name, options). Quarterly, so a report stays short.
FIGURES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("overview", "overview", {}),
    ("churn", "churn-rate", {"period": "quarter", "basis": "customers"}),
    ("segments", "churn-rate", {"period": "quarter", "basis": "customers", "by": "segment"}),
    ("retention", "retention", {"period": "quarter", "basis": "value"}),
    ("cohorts", "cohorts", {"period": "quarter", "basis": "customers"}),
    ("price_volume", "price-volume", {"period": "quarter"}),
)



@dataclass
class ReportData:
    """The figures of a report (stored JSON), with the reader's translator."""

    tr: Translator
    workspace: str
    currency: str
    generated_at: datetime
    figures: dict[str, dict[str, Any] | None]
    problems: dict[str, str]

    @property
    def overview(self) -> dict[str, Any]:
        """The overview figure."""
        return self.figures["overview"] or {}


def gather(ctx: Context) -> ReportData:
    """Read (or compute and store) every figure of :data:`FIGURES`."""
    from churnguard.i18n import message_of, translate_message

    ws, tr = ctx.workspace, ctx.translator

    version = results.data_version(ws) if ws.settings.web.cache_results else None
    figures: dict[str, dict[str, Any] | None] = {}
    problems: dict[str, str] = {}
    for key, name, options in FIGURES:
        try:
            figures[key] = results.figure(ctx, name, options, use_cache=ws.settings.web.cache_results,
                                          version=version).data
        except ChurnguardError as exc:  # e.g. nothing dated yet: the report says so
            figures[key] = None
            problems[key] = translate_message(tr, message_of(exc))
    return ReportData(tr, str(ws.path.resolve()), ws.settings.currency, datetime.now(UTC), figures, problems)
