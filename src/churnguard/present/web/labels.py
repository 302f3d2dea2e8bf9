"""What people read for the names the code uses: kinds, tables, roles, settings.

English labels marked with ``N_``; templates show them with ``_(labels.KINDS[kind])``. A test
checks that every kind, table, role and setting has a label here.
"""

from __future__ import annotations

from churnguard.i18n import N_

#: Import kinds (as the CLI and the API take them).
KINDS: dict[str, str] = {
    "customers": N_("Customers"),
    "transactions": N_("Transactions"),
    "contracts": N_("Contracts"),
    "interactions": N_("Interactions"),
    "complaints": N_("Complaints"),
    "surveys": N_("Survey responses"),
    "churn-reasons": N_("Churn reasons"),
    "wallet-estimates": N_("Share-of-wallet estimates"),
}

#: Stored tables of the import kinds (as ``status`` names them).
TABLES: dict[str, str] = {k.replace("-", "_"): v for k, v in KINDS.items()}

ROLES: dict[str, str] = {
    "admin": N_("Administrator"),
    "manager": N_("Manager"),
    "csm": N_("Customer success manager"),
}

#: Every setting by dotted name: a short label (the help text comes from settings.py).
SETTINGS: dict[str, str] = {
    "database_url": N_("Database"),
    "language": N_("Default language"),
    "currency": N_("Currency"),
    "timezone": N_("Time zone"),
    "churn.threshold_days": N_("Churn threshold (days without a purchase)"),
    "churn.auto_percentile": N_("Percentile for the automatic threshold"),
    "churn.auto_fallback_days": N_("Threshold while 'auto' has too little data (days)"),
    "churn.grace_days": N_("Renewal grace period (days)"),
    "churn.value_window_days": N_("Value window (days)"),
    "churn.horizon_days": N_("Prediction horizon (days)"),
    "value.clv_horizon_months": N_("Lifetime value horizon (months)"),
    "value.annual_discount_rate": N_("Annual discount rate"),
    "value.pareto_share": N_("Revenue share of the top customers (80/20)"),
    "web.max_upload_mb": N_("Largest upload (MB)"),
    "web.session_hours": N_("Login lasts (hours)"),
    "web.cache_results": N_("Keep computed figures"),
}

SECTIONS: dict[str, str] = {
    "": N_("General"),
    "churn": N_("Churn definition"),
    "value": N_("Customer value"),
    "web": N_("Web and API"),
}

#: Values of the customer columns churn figures are broken down by, where they are codes.
GROUP_VALUES: dict[str, dict[str, str]] = {
    "customer_type": {"key": N_("key account"), "regular": N_("regular customer")},
    "relationship": {"contractual": N_("contractual"), "non_contractual": N_("non-contractual")},
}
