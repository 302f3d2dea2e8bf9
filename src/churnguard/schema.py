"""Table definitions: the one place that says what the store holds.

Each importable *kind* (``customers``, ``transactions`` …) maps to one table. Every table
has a ``record_key`` column: the natural key where the data has one (``customer_id``,
``contract_id``, ``complaint_id``, ``customer_id|period_start``), otherwise a hash of the
row's parsed content and its occurrence number in the file, so importing the same file
twice changes nothing.

Column types are Ibis type names, so the same definitions create tables on DuckDB,
PostgreSQL or any engine Ibis speaks.

A new table or column here also needs a migration (``churnguard.store.migrations``): that is
how existing workspaces get it, and a test checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Ibis is loaded when a schema is asked for, not when the tables are named
    import ibis.expr.schema as sch


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Parameters
    ----------
    name : str
        The canonical name (the vocabulary of DESIGN.md).
    type : str
        ``string``, ``date``, ``float64``, ``int64`` or ``boolean``.
    required : bool
        Whether an import must carry a value in every row.
    help : str
        What the column means, for people.
    """

    name: str
    type: str
    required: bool = False
    help: str = ""
    #: added after rows of the table were first imported: the row's content hash (its record key
    #: when it has no natural key) counts it only when set, so a file imported before the column
    #: existed gets the same keys again and is not stored twice
    later: bool = False


@dataclass(frozen=True)
class Table:
    """One stored table and, for importable kinds, how rows are keyed."""

    name: str
    kind: str | None
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = ()
    # columns that, when a later file leaves them blank, keep their stored value
    fill_in: bool = False
    extra: tuple[Column, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        """Canonical column names of the data, in order (without bookkeeping columns)."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ibis_schema(self) -> sch.Schema:
        """Return the stored schema: ``record_key``, the data columns, then extras."""
        cols = [("record_key", "string")]
        cols += [(c.name, c.type) for c in self.columns]
        cols += [(c.name, c.type) for c in self.extra]
        import ibis

        return ibis.schema(cols)


def _c(name: str, type_: str = "string", required: bool = False, help: str = "", later: bool = False) -> Column:
    return Column(name, type_, required, help, later)


CUSTOMERS = Table(
    "customers",
    "customers",
    (
        _c("customer_id", required=True, help="the buying account's id"),
        _c("name"),
        _c("segment"),
        _c("region"),
        _c("customer_type", help="key or regular"),
        _c("acquired_at", "date"),
        _c("birthday", "date"),
        _c("group_id", help="customers in one group are related (chain defection)"),
        _c("csm", help="customer success manager"),
        _c("email"),
        _c("phone"),
    ),
    natural_key=("customer_id",),
    fill_in=True,
    extra=(_c("first_seen_at", "date", help="first date the customer appeared in any record"),),
)

TRANSACTIONS = Table(
    "transactions",
    "transactions",
    (
        _c("customer_id", required=True),
        _c("occurred_at", "date", True, "date of the purchase"),
        _c("amount", "float64", True, "money received; negative for a return"),
        _c("quantity", "float64"),
        _c("unit_price", "float64"),
        _c("cost", "float64"),
        _c("product"),
        _c("category"),
        _c("order_id"),
        _c("due_at", "date", help="payment due date"),
        _c("paid_at", "date", help="date paid"),
    ),
)

CONTRACTS = Table(
    "contracts",
    "contracts",
    (
        _c("contract_id", required=True),
        _c("customer_id", required=True),
        _c("start_at", "date", True),
        _c("end_at", "date", True),
        _c("recurring_value", "float64", True, "value per year of the contract"),
        _c("renewed_from", help="contract_id this one renews"),
        _c("cancelled_at", "date"),
    ),
    natural_key=("contract_id",),
)

INTERACTIONS = Table(
    "interactions",
    "interactions",
    (
        _c("customer_id", required=True),
        _c("occurred_at", "date", True),
        _c(
            "kind",
            required=True,
            help="visit, call, message, email_open, social_like, renewal_inquiry, unsubscribe …",
        ),
        _c("channel"),
        _c("direction", help="inbound or outbound"),
    ),
)

COMPLAINTS = Table(
    "complaints",
    "complaints",
    (
        _c("complaint_id"),
        _c("customer_id", required=True),
        _c("opened_at", "date", True),
        _c("category"),
        _c("severity"),
        _c("text"),
        _c("resolved_at", "date"),
        _c("resolution"),
    ),
    natural_key=("complaint_id",),
)

SURVEYS = Table(
    "surveys",
    "surveys",
    (
        _c("customer_id", required=True),
        _c("answered_at", "date", True),
        _c("satisfaction", "int64", True, "1 very dissatisfied … 5 very satisfied"),
        _c("nps", "int64", help="0–10"),
        _c("comment"),
    ),
)

CHURN_REASONS = Table(
    "churn_reasons",
    "churn-reasons",
    (
        _c("customer_id", required=True),
        _c("recorded_at", "date", True),
        _c("reason", required=True, help="price, product, service, promotion, market, …"),
        _c("kind", help="complete or partial"),
        _c("competitor"),
        _c("notes"),
        _c("source", help="interview, survey or inferred"),
        _c("secondary_reason", help="a second reason, from the same list", later=True),
        _c("recoverable", "boolean", help="whether the customer could be won back (yes/no)", later=True),
        _c("attempts", "int64", help="tries it took to reach the customer for the interview", later=True),
        _c("confidence", "float64", help="0–1: how sure a reason suggested from text is (source inferred)",
           later=True),
    ),
)

WALLET_ESTIMATES = Table(
    "wallet_estimates",
    "wallet-estimates",
    (
        _c("customer_id", required=True),
        _c("period_start", "date", True),
        _c("estimated_total_spend", "float64", True, "what the customer spends in all, with us and rivals"),
    ),
    natural_key=("customer_id", "period_start"),
)

IMPORTS = Table(
    "imports",
    None,
    (
        _c("import_id"),
        _c("kind"),
        _c("file"),
        _c("encoding"),
        _c("rows_read", "int64"),
        _c("rows_imported", "int64"),
        _c("rows_unchanged", "int64"),
        _c("imported_at", "timestamp"),
    ),
)

TRUTH = Table(
    "truth",
    None,
    (
        _c("customer_id"),
        _c("churned", "boolean", help="left completely within the simulated span"),
        _c("churned_at", "date"),
        _c("churn_kind", help="complete, partial or none"),
        _c("partial_from", "date", help="start of a partial defection"),
        _c("churn_reason", help="the mechanism that caused it"),
        _c("acquired_at", "date"),
        _c("contractual", "boolean"),
        _c("price_sensitive", "boolean"),
        _c("satisfaction", "float64", help="hidden satisfaction at the end, 1–5"),
    ),
)

USERS = Table(
    "users",
    None,
    (
        _c("user_id", help="the login name"),
        _c("role", help="admin, manager or csm"),
        _c("password_hash", help="scrypt hash with its salt and cost; never the password"),
        _c("csm_name", help="the value of customers.csm that is this user (CSMs see their own customers)"),
        _c("language", help="zh or en; empty = follow the browser"),
        _c("created_at", "timestamp"),
        _c("disabled_at", "timestamp", help="set: the user can no longer sign in, and its tokens do not work"),
    ),
    natural_key=("user_id",),
)

API_TOKENS = Table(
    "api_tokens",
    None,
    (
        _c("token_hash", help="SHA-256 of the token; the token itself is shown once and never stored"),
        _c("user_id"),
        _c("created_at", "timestamp"),
        _c("expires_at", "timestamp", help="empty: does not expire"),
        _c("last_used_at", "timestamp"),
    ),
    natural_key=("token_hash",),
)

SESSIONS = Table(
    "sessions",
    None,
    (
        _c("session_hash", help="SHA-256 of the session id the login cookie carries"),
        _c("user_id"),
        _c("created_at", "timestamp", help="the sign-in (web.session_hours counts from here)"),
        _c("last_seen_at", "timestamp", help="the latest request (web.session_idle_minutes counts from here)"),
    ),
    natural_key=("session_hash",),
)

LOGIN_FAILURES = Table(
    "login_failures",
    None,
    (
        _c("subject", help="'user:NAME' or 'address:IP' that gave wrong passwords"),
        _c("failures", "int64", help="wrong passwords in a row (forgotten after a quiet spell)"),
        _c("last_failure_at", "timestamp"),
        _c("locked_until", "timestamp", help="no password is checked for the subject before this (UTC)"),
    ),
    natural_key=("subject",),
)

AUDIT_LOG = Table(
    "audit_log",
    None,
    (
        _c("event_id"),
        _c("at", "timestamp", help="when (UTC)"),
        _c("actor", help="who: 'web:NAME' for a signed-in user, 'cli:NAME' for the system user at a terminal"),
        _c("action", help="sign_in, sign_in_failed, sign_in_locked, sign_out, import, settings_changed, user_added …"),
        _c("subject", help="what it was done to: a user name, an import kind …"),
        _c("details", help="JSON: the file and rows of an import, the settings changed …"),
        _c("address", help="the client address of a web request"),
    ),
    natural_key=("event_id",),
)

INVESTIGATIONS = Table(
    "investigations",
    None,
    (
        _c("investigation_id", help="e.g. 2026-Q3 (a period investigated twice: 2026-Q3-2)"),
        _c("period", help="the period whose defectors are interviewed: 2026-Q3, 2026-07, 2026"),
        _c("period_start", "date"),
        _c("period_end", "date"),
        _c("as_of", "date", help="the date the defectors were found as of"),
        _c("partial_sample", "float64", help="share of the partial defectors drawn"),
        _c("seed", "int64"),
        _c("status", help="open or closed"),
        _c("created_at", "timestamp"),
        _c("created_by"),
    ),
    natural_key=("investigation_id",),
)

INTERVIEWS = Table(
    "interviews",
    None,
    (
        _c("investigation_id"),
        _c("customer_id"),
        _c("position", "int64", help="order in the investigation: largest lost value first"),
        _c("kind", help="complete or partial"),
        _c("lost_value", "float64", help="trailing-12-month revenue or recurring value at the loss"),
        _c("interviewer", help="who talks to the customer (its CSM, else round robin within act.capacity)"),
        _c("status", help="pending or done"),
        _c("done_at", "date"),
        _c("reason"),
        _c("secondary_reason"),
        _c("competitor"),
        _c("recoverable", "boolean"),
        _c("attempts", "int64"),
        _c("notes"),
        _c("reviewed_reason", help="the reason a review settled on, where it differs from the stated one"),
    ),
    natural_key=("investigation_id", "customer_id"),
)

INVESTIGATION_REVIEWS = Table(
    "investigation_reviews",
    None,
    (
        _c("review_id"),
        _c("investigation_id"),
        _c("milestone", "float64", help="the share of interviews done that made it due (0.25, 0.75)"),
        _c("reviewed_at", "timestamp"),
        _c("reviewer"),
        _c("notes"),
    ),
    natural_key=("review_id",),
)

IMPROVEMENT_ACTIONS = Table(
    "improvement_actions",
    None,
    (
        _c("action_id"),
        _c("investigation_id"),
        _c("reason", help="the churn reason the action answers"),
        _c("action", help="what is changed"),
        _c("owner"),
        _c("due_at", "date"),
        _c("starts_at", "date", help="from when the change applies: churn before and after is compared here"),
        _c("created_at", "timestamp"),
        _c("done_at", "date"),
    ),
    natural_key=("action_id",),
)

SURVEY_SENDS = Table(
    "survey_sends",
    None,
    (
        _c("sample_id", help="one drawn sample"),
        _c("customer_id"),
        _c("sent_at", "date"),
        _c("stratum", help="the value of the stratifying column (segment …), empty when not stratified"),
        _c("seed", "int64"),
    ),
    natural_key=("sample_id", "customer_id"),
)

#: Importable tables by the KIND the CLI takes.
KINDS: dict[str, Table] = {
    t.kind: t
    for t in (
        CUSTOMERS,
        TRANSACTIONS,
        CONTRACTS,
        INTERACTIONS,
        COMPLAINTS,
        SURVEYS,
        CHURN_REASONS,
        WALLET_ESTIMATES,
    )
    if t.kind
}

#: Every table, by name.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (*KINDS.values(), IMPORTS, TRUTH, USERS, API_TOKENS, SESSIONS, LOGIN_FAILURES, AUDIT_LOG,
              INVESTIGATIONS, INTERVIEWS, INVESTIGATION_REVIEWS, IMPROVEMENT_ACTIONS, SURVEY_SENDS)
}

#: Where each dated kind keeps its date (first seen / date range in ``status``).
DATE_COLUMN: dict[str, str] = {
    "transactions": "occurred_at",
    "contracts": "start_at",
    "interactions": "occurred_at",
    "complaints": "opened_at",
    "surveys": "answered_at",
    "churn_reasons": "recorded_at",
    "wallet_estimates": "period_start",
    "customers": "first_seen_at",
}


def table_for_kind(kind: str) -> Table:
    """Return the table that KIND imports into, with a clear error for an unknown kind."""
    from churnguard.errors import InputError

    try:
        return KINDS[kind]
    except KeyError:
        raise InputError(
            f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}"
        ) from None
