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
    "churn.return_share": N_("Automatic threshold: largest share of the lost who come back"),
    "churn.return_window_days": N_("Automatic threshold: return window (days)"),
    "churn.threshold_min_customers": N_("Automatic threshold: fewest customers for a segment's own curve"),
    "churn.threshold_by_segment": N_("Threshold per segment (days; overrides the learned one)"),
    "churn.auto_percentile": N_("Percentile for the automatic threshold"),
    "churn.auto_fallback_days": N_("Threshold while 'auto' has too little data (days)"),
    "churn.grace_days": N_("Renewal grace period (days)"),
    "churn.value_window_days": N_("Value window (days)"),
    "churn.horizon_days": N_("Prediction horizon (days)"),
    "value.clv_horizon_months": N_("Lifetime value horizon (months)"),
    "value.annual_discount_rate": N_("Annual discount rate"),
    "value.pareto_share": N_("Revenue share of the top customers (80/20)"),
    "value.core_min_tenure_days": N_("Core customers: shortest tenure (days)"),
    "value.core_min_active_quarters": N_("Core customers: fewest active quarters of the last four"),
    "value.core_min_on_time_share": N_("Core customers: lowest share paid on time"),
    "web.max_upload_mb": N_("Largest upload (MB)"),
    "web.session_hours": N_("Login lasts (hours)"),
    "web.session_idle_minutes": N_("Login ends when idle for (minutes)"),
    "web.secure_cookie": N_("Login cookie over HTTPS only"),
    "web.login_free_tries": N_("Wrong passwords before a lock"),
    "web.login_lockout_max_minutes": N_("Longest lock after wrong passwords (minutes)"),
    "web.trusted_proxies": N_("Trusted reverse proxies"),
    "web.cache_max_mb": N_("Largest size of the stored figures (MB)"),
    "detect.p_alive_below": N_("Complete defector: P(alive) below"),
    "detect.partial_recent_days": N_("Partial defection: recent window (days)"),
    "detect.partial_baseline_days": N_("Partial defection: baseline window (days)"),
    "detect.partial_alpha": N_("Partial defection: false-alarm level"),
    "detect.partial_min_drop": N_("Partial defection: smallest drop"),
    "detect.partial_recorded_days": N_("Partial defection: recorded by your team within (days)"),
    "detect.partial_min_orders": N_("Partial defection: fewest purchase days"),
    "signals.contact_drop": N_("Signal: contact frequency dropped"),
    "signals.contact_drop_days": N_("Contact drop: recent window (days)"),
    "signals.contact_drop_ratio": N_("Contact drop: highest share of the usual rate"),
    "signals.contact_drop_min_usual": N_("Contact drop: fewest usual contacts"),
    "signals.renewal_silence": N_("Signal: no renewal inquiry"),
    "signals.renewal_window_days": N_("Renewal silence: contract ends within (days)"),
    "signals.renewal_inquiry_days": N_("Renewal silence: inquiry counts within (days)"),
    "signals.unsubscribed": N_("Signal: unsubscribed"),
    "signals.unsubscribed_days": N_("Unsubscribed: within (days)"),
    "signals.complaint": N_("Signal: new or unresolved complaint"),
    "signals.complaint_new_days": N_("Complaint: new within (days)"),
    "signals.complaint_open_days": N_("Complaint: open for at least (days)"),
    "signals.satisfaction": N_("Signal: satisfaction fell or is low"),
    "signals.satisfaction_low": N_("Satisfaction: low at or below"),
    "signals.satisfaction_drop": N_("Satisfaction: fall of at least (levels)"),
    "signals.satisfaction_days": N_("Satisfaction: answers within (days)"),
    "signals.spend_trend": N_("Signal: spend or frequency trending down"),
    "signals.spend_trend_days": N_("Spend trend: recent window (days)"),
    "signals.spend_trend_z": N_("Spend trend: standard errors below baseline"),
    "signals.spend_trend_min_drop": N_("Spend trend: smallest drop"),
    "signals.chain": N_("Signal: a related customer churned"),
    "signals.chain_days": N_("Chain: member lost within (days)"),
    "signals.price_exposure": N_("Signal: price rise for a price-sensitive customer"),
    "signals.price_rise_min": N_("Price exposure: smallest price rise"),
    "signals.price_units_drop": N_("Price exposure: smallest drop in units per line"),
    "model.observation_dates": N_("Model: past observation dates"),
    "model.observation_spacing_days": N_("Model: days between observation dates"),
    "model.max_training_rows": N_("Model: most training rows"),
    "model.trees": N_("Model: trees"),
    "model.learning_rate": N_("Model: learning rate"),
    "model.num_leaves": N_("Model: leaves per tree"),
    "model.threads": N_("Model: threads"),
    "model.seed": N_("Model: random seed"),
    "model.reasons": N_("Model: reasons per customer"),
    "model.reasons_for": N_("Model: customers given reasons"),
    "web.cache_results": N_("Keep computed figures"),
    "reasons.min_confidence": N_("Reasons from text: least confidence"),
    "act.capacity": N_("Customers per person in a list"),
    "investigate.partial_sample": N_("Investigation: share of partial defectors interviewed"),
    "investigate.first_review_at": N_("Investigation: first review at share done"),
    "investigate.second_review_at": N_("Investigation: second review at share done"),
    "survey.cooldown_days": N_("Survey: days before a customer is asked again"),
    "survey.horizon_days": N_("Survey report: churn horizon in days"),
    "listen.complaint_share": N_("Share of dissatisfied customers who complain"),
    "listen.word_of_mouth": N_("People a dissatisfied customer tells"),
}

SECTIONS: dict[str, str] = {
    "": N_("General"),
    "churn": N_("Churn definition"),
    "value": N_("Customer value"),
    "web": N_("Web and API"),
    "detect": N_("Defectors"),
    "signals": N_("Warning signals"),
    "model": N_("Churn model"),
    "reasons": N_("Churn reasons"),
    "act": N_("Lists and assignment"),
    "investigate": N_("Defector investigations"),
    "survey": N_("Satisfaction surveys"),
    "listen": N_("Complaints and word of mouth"),
}

#: Values of the customer columns churn figures are broken down by, where they are codes.
GROUP_VALUES: dict[str, dict[str, str]] = {
    "customer_type": {"key": N_("key account"), "regular": N_("regular customer")},
    "relationship": {"contractual": N_("contractual"), "non_contractual": N_("non-contractual")},
}

#: Warning-signal rules (the ``signals`` of a run), as a manager reads them.
SIGNALS: dict[str, str] = {
    "contact_drop": N_("Contact frequency dropped"),
    "renewal_silence": N_("Contract ends soon, no renewal inquiry"),
    "unsubscribed": N_("Unsubscribed"),
    "complaint": N_("New or unresolved complaint"),
    "satisfaction": N_("Satisfaction fell or is low"),
    "spend_trend": N_("Spend or purchase frequency falling"),
    "chain": N_("A related customer churned"),
    "price_exposure": N_("Price rise for a price-sensitive customer"),
}

#: Kinds of defector.
DEFECTOR_KINDS: dict[str, str] = {
    "complete": N_("Complete defector"),
    "partial": N_("Partial defector"),
}

#: The rules that made a customer a defector.
DEFECTOR_RULES: dict[str, str] = {
    "contract_ended": N_("contract ended without renewal"),
    "contract_cancelled": N_("contract cancelled"),
    "inactive": N_("no purchase past the churn threshold"),
    "p_alive": N_("low probability still a customer"),
    "share_of_wallet": N_("share of wallet fell"),
    "spend": N_("spend fell"),
    "frequency": N_("buys less often"),
    "breadth": N_("stopped buying a product category"),
    "recorded": N_("recorded by your team"),
}

#: The eight RFM segments.
RFM_SEGMENTS: dict[str, str] = {
    "important_value": N_("Important value"),
    "important_development": N_("Important development"),
    "important_retention": N_("Important retention"),
    "important_winback": N_("Important win-back"),
    "general_value": N_("General value"),
    "general_development": N_("General development"),
    "general_retention": N_("General retention"),
    "general_winback": N_("General win-back"),
}

#: Where a customer's expected value comes from.
VALUE_SOURCES: dict[str, str] = {
    "clv": N_("12-month lifetime value plus yearly recurring value"),
    "trailing_12m_revenue": N_("revenue of the last 12 months"),
}

#: Records on a customer's timeline.
TIMELINE_KINDS: dict[str, str] = {
    "purchase": N_("Purchase"),
    "contract": N_("Contract"),
    "interaction": N_("Contact"),
    "complaint": N_("Complaint"),
    "survey": N_("Survey"),
}

#: Kinds of interaction (the importer's codes).
INTERACTION_KINDS: dict[str, str] = {
    "visit": N_("visit"),
    "call": N_("call"),
    "message": N_("message"),
    "email_open": N_("email opened"),
    "social_like": N_("social media like"),
    "renewal_inquiry": N_("renewal inquiry"),
    "unsubscribe": N_("unsubscribe"),
}

#: Channels of an interaction (the simulator's and common codes; others are shown as they are).
CHANNELS: dict[str, str] = {
    "email": N_("email"),
    "phone": N_("phone"),
    "wechat": N_("WeChat"),
    "weibo": N_("Weibo"),
    "sms": N_("text message"),
    "offline": N_("in person"),
}

#: Complaint categories and severities (common codes; a company's own words are shown as they are).
COMPLAINT_CATEGORIES: dict[str, str] = {
    "delivery": N_("delivery"),
    "quality": N_("quality"),
    "billing": N_("billing"),
    "service": N_("service"),
    "outage": N_("outage"),
    "price": N_("price"),
}
SEVERITIES: dict[str, str] = {"low": N_("low"), "medium": N_("medium"), "high": N_("high")}

#: Direction of an interaction.
DIRECTIONS: dict[str, str] = {"inbound": N_("from the customer"), "outbound": N_("from us")}

#: Contract states of the value table.
CONTRACT_STATUS: dict[str, str] = {
    "active": N_("running"),
    "pending": N_("starts later"),
    "ended": N_("ended"),
}

#: The five satisfaction levels.
SATISFACTION: dict[int, str] = {
    5: N_("very satisfied"),
    4: N_("satisfied"),
    3: N_("neutral"),
    2: N_("somewhat dissatisfied"),
    1: N_("very dissatisfied"),
}

#: Feature families of the churn model (``features_left_out`` names them).
FEATURE_FAMILIES: dict[str, str] = {
    "recency": N_("days since the last purchase"),
    "frequency": N_("purchase frequency"),
    "spend": N_("spend"),
    "breadth": N_("breadth of categories bought"),
    "wallet": N_("share of wallet"),
    "contact": N_("contacts"),
    "unsubscribe": N_("unsubscribes"),
    "relationship": N_("contract or not"),
    "contract": N_("contract end and renewal"),
    "complaint": N_("complaints"),
    "satisfaction": N_("satisfaction"),
    "service_region": N_("service problems in the region"),
    "price": N_("prices paid"),
    "chain": N_("related customers"),
    "payment": N_("late payments"),
    "returns": N_("returns"),
    "tenure": N_("tenure"),
    "value": N_("value"),
    "profile": N_("segment, region and customer type"),
}

#: Churn reasons (``vocab.CHURN_REASONS`` keys, and the bucket of defectors without one).
CHURN_REASONS: dict[str, str] = {
    "price": N_("price"),
    "product": N_("product"),
    "service": N_("service"),
    "promotion": N_("promotion (a rival's offer)"),
    "market": N_("market (left the market)"),
    "technology": N_("technology (switched to a substitute)"),
    "business_change": N_("business contraction/expansion"),
    "closure": N_("closure"),
    "other": N_("other"),
    "not_recorded": N_("not recorded"),
}

#: Whether the company controls a reason.
CONTROL_CLASSES: dict[str, str] = {
    "controllable": N_("controllable"),
    "uncontrollable": N_("uncontrollable"),
    "unknown": N_("unknown"),
}

#: Customer columns whose values are codes, by column.
CODES: dict[str, dict] = {
    **GROUP_VALUES,
    "signal": SIGNALS,
    "defector_kind": DEFECTOR_KINDS,
    "defector_rule": DEFECTOR_RULES,
    "rfm_segment": RFM_SEGMENTS,
    "value_source": VALUE_SOURCES,
    "timeline": TIMELINE_KINDS,
    "interaction": INTERACTION_KINDS,
    "direction": DIRECTIONS,
    "channel": CHANNELS,
    "complaint_category": COMPLAINT_CATEGORIES,
    "severity": SEVERITIES,
    "contract_status": CONTRACT_STATUS,
    "satisfaction": SATISFACTION,
    "feature_family": FEATURE_FAMILIES,
    "table": TABLES,
    "churn_reason": CHURN_REASONS,
    "control_class": CONTROL_CLASSES,
}
