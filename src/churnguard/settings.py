"""The one typed settings object, read from a workspace's ``churnguard.toml``.

Every field has a default and help text (``description``); ``churnguard init`` writes them
all out with their help as comments. Nothing here is built at import time: callers load
settings from a workspace and pass them on.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from churnguard.errors import ConfigError

SETTINGS_FILE = "churnguard.toml"
#: the environment variable naming the workspace folder when --workspace is not given
WORKSPACE_ENV = "CHURNGUARD_WORKSPACE"


def default_workspace_dir() -> Path:
    """``$CHURNGUARD_WORKSPACE`` when set, else the current folder."""
    return Path(os.environ.get(WORKSPACE_ENV) or ".")

DEFAULT_DATABASE_URL = "duckdb:///churnguard.duckdb"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ChurnSettings(_Section):
    """How churn is defined."""

    threshold_days: int | Literal["auto"] = Field(
        "auto",
        description=(
            "non-contractual: a customer is lost when its gap since the last purchase reaches "
            "this many days; 'auto' = learned per segment from the return curve: the shortest gap "
            "after which at most return_share of the customers who were once inactive that long bought again"
        ),
    )
    return_share: float = Field(
        0.10,
        gt=0,
        lt=1,
        description=(
            "'auto' threshold: at most this share of the customers once inactive for the threshold "
            "may buy again afterwards (the churn-rate warns when reactivations exceed twice this share of losses)"
        ),
    )
    return_window_days: int | Literal["auto"] = Field(
        "auto",
        description=(
            "'auto' threshold: a return counts when the next purchase comes within this many days of "
            "reaching the gap; 'auto' = a year, or a third of the history when that is shorter"
        ),
    )
    threshold_min_customers: int = Field(
        300,
        ge=1,
        description="'auto' threshold: a segment with fewer non-contractual customers than this uses the overall return curve",
    )
    threshold_by_segment: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "'auto' threshold: days for named segments that override the learned ones, "
            "e.g. {retail = 120, wholesale = 240}"
        ),
    )
    auto_percentile: float = Field(
        0.95,
        gt=0,
        lt=1,
        description=(
            "'auto' threshold, too little history for a return curve: the threshold is this percentile "
            "of the gaps between purchases, but at least auto_fallback_days"
        ),
    )
    auto_fallback_days: int = Field(
        90, gt=0, description="'auto' threshold, too little history for a return curve: the least threshold in days"
    )
    grace_days: int = Field(
        0, ge=0, description="contractual: days after a contract ends within which a renewal still counts"
    )
    value_window_days: int = Field(
        365, gt=0, description="trailing window of revenue that makes a customer's value (non-contractual)"
    )
    horizon_days: int = Field(90, gt=0, description="prediction horizon: lost within this many days")


class ValueSettings(_Section):
    """Customer value models."""

    clv_horizon_months: int = Field(12, gt=0, description="horizon of customer lifetime value")
    annual_discount_rate: float = Field(0.10, ge=0, lt=1, description="yearly discount rate for CLV")
    pareto_share: float = Field(0.80, gt=0, lt=1, description="share of revenue that marks the top of the 80/20 curve")
    core_min_tenure_days: int = Field(
        365, ge=0, description="core customers (核心客户) have been customers for at least this many days"
    )
    core_min_active_quarters: int = Field(
        3, ge=0, le=4, description="core customers bought in at least this many of the last four 91-day quarters"
    )
    core_min_on_time_share: float = Field(
        0.90,
        ge=0,
        le=1,
        description="core customers paid at least this share of their due invoices on time (when due dates are known)",
    )


class WebSettings(_Section):
    """The web pages and the REST API (churnguard serve)."""

    max_upload_mb: int = Field(
        200, gt=0, le=10_000, description="largest file the web page and the API accept for an import, in MB"
    )
    session_hours: int = Field(
        12, gt=0, le=24 * 90, description="hours a web login lasts at most, however busy"
    )
    session_idle_minutes: int = Field(
        120, gt=0, le=24 * 60 * 90,
        description="a web login ends after this many minutes without a request (and after session_hours in any case)",
    )
    secure_cookie: bool = Field(
        False,
        description=(
            "send the login cookie over HTTPS only: set true when the server is reached through a TLS proxy "
            "(read when the server starts)"
        ),
    )
    login_free_tries: int = Field(
        5, ge=1, le=100,
        description="wrong passwords allowed for one user name or one address before each further one locks it",
    )
    login_lockout_max_minutes: int = Field(
        15, ge=1, le=24 * 60,
        description=(
            "the longest lock after wrong passwords (the lock doubles from 1 second with each wrong try past "
            "login_free_tries); 'churnguard user unlock' lifts it"
        ),
    )
    trusted_proxies: str = Field(
        "",
        description=(
            "addresses or networks of reverse proxies, comma-separated (e.g. \"127.0.0.1, 10.0.0.0/8\"): only a "
            "request from one of them has its client address read from X-Forwarded-For (read when the server starts)"
        ),
    )
    cache_max_mb: float = Field(
        500, gt=0, le=1_000_000,
        description=(
            "largest size of the stored figures (.cache/results), in MB: past it the figures read longest ago "
            "are removed (they are computed again when asked for)"
        ),
    )
    cache_results: bool = Field(
        True,
        description=(
            "keep computed figures in the workspace (.cache/results) and show them again until an import, "
            "a 'churnguard run' or a setting changes them; false computes every page afresh (slow on large data)"
        ),
    )


    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        proxy_networks(value)  # raises ValueError naming the bad item (the error names this setting)
        return value


def proxy_networks(text: str) -> list[Any]:
    """The networks of ``web.trusted_proxies`` (``"127.0.0.1, 10.0.0.0/8"``).

    >>> [str(n) for n in proxy_networks("127.0.0.1, 10.0.0.0/8")]
    ['127.0.0.1/32', '10.0.0.0/8']
    """
    import ipaddress

    out = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: {item!r} is not an address or network") from None
    return out


class DetectSettings(_Section):
    """Complete and partial defectors (部分跳槽/完全跳槽)."""

    p_alive_below: float = Field(
        0.05,
        ge=0,
        lt=1,
        description=(
            "non-contractual: also a complete defector when the BG/NBD probability of being alive "
            "is below this (0 switches the rule off)"
        ),
    )
    partial_recent_days: int = Field(
        180, gt=0, description="partial defection: the recent window compared with the customer's own baseline"
    )
    partial_baseline_days: int = Field(
        365, gt=0, description="partial defection: the baseline window just before the recent window"
    )
    partial_alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description=(
            "partial defection: the chance that a customer whose buying did not change is listed; its "
            "tests of spend or share of wallet, frequency and dropped categories are judged together "
            "at this level (Holm)"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _replaced_settings(cls, data: Any) -> Any:
        # partial_z (a per-test level) was replaced by partial_alpha (one level for a customer's
        # tests together); a settings file that still has it loads, and is written without it
        if isinstance(data, dict) and "partial_z" in data:
            data = {k: v for k, v in data.items() if k != "partial_z"}
        return data
    partial_min_drop: float = Field(
        0.3,
        ge=0,
        lt=1,
        description="partial defection: and by at least this share of the baseline (0.3 = 30 percent lower)",
    )
    partial_min_orders: int = Field(
        4,
        ge=1,
        description=(
            "partial defection: judge only customers with at least this many purchase days in the two "
            "windows together (fewer cannot show a change)"
        ),
    )
    partial_recorded_days: int = Field(
        365,
        ge=0,
        description=(
            "partial defection: also a partial defector when your team recorded a partial defection "
            "(a churn-reasons row of kind partial) within this many days (0 switches the rule off)"
        ),
    )


class SignalSettings(_Section):
    """Early-warning rules (预警信号): each can be switched off and tuned."""

    contact_drop: bool = Field(True, description="warn when contact frequency dropped sharply")
    contact_drop_days: int = Field(60, gt=0, description="contact drop: the recent window in days")
    contact_drop_ratio: float = Field(
        0.4, gt=0, lt=1, description="contact drop: recent contacts at most this share of the usual rate"
    )
    contact_drop_min_usual: float = Field(
        3.0, gt=0, description="contact drop: judge only customers usually contacted at least this often per window"
    )
    renewal_silence: bool = Field(
        True, description="warn when a contract ends soon and the customer has not asked about renewing"
    )
    renewal_window_days: int = Field(30, gt=0, description="renewal silence: the contract ends within this many days")
    renewal_inquiry_days: int = Field(
        120, gt=0, description="renewal silence: a renewal inquiry within this many days before counts"
    )
    unsubscribed: bool = Field(True, description="warn when the customer unsubscribed")
    unsubscribed_days: int = Field(180, gt=0, description="unsubscribed: within this many days")
    complaint: bool = Field(True, description="warn on a new complaint or one still unresolved")
    complaint_new_days: int = Field(30, gt=0, description="complaint: opened within this many days counts as new")
    complaint_open_days: int = Field(
        7, ge=0, description="complaint: unresolved for at least this many days counts as open"
    )
    satisfaction: bool = Field(True, description="warn when survey satisfaction fell or is low")
    satisfaction_low: int = Field(2, ge=1, le=5, description="satisfaction: an answer at or below this level is low")
    satisfaction_drop: int = Field(
        2, ge=1, le=4, description="satisfaction: a fall of at least this many levels from the previous answer"
    )
    satisfaction_days: int = Field(365, gt=0, description="satisfaction: only answers within this many days count")
    spend_trend: bool = Field(True, description="warn when spend or purchase frequency trends down")
    spend_trend_days: int = Field(90, gt=0, description="spend trend: the recent window compared with the year before it")
    spend_trend_z: float = Field(
        2.0, gt=0, description="spend trend: standard errors below the customer's own seasonally adjusted baseline"
    )
    spend_trend_min_drop: float = Field(0.4, ge=0, lt=1, description="spend trend: and at least this share lower")
    chain: bool = Field(True, description="warn when a related customer (same group) just churned (连锁跳槽)")
    chain_days: int = Field(90, gt=0, description="chain: a group member was lost within this many days")
    price_exposure: bool = Field(
        True, description="warn when prices a price-sensitive customer pays rose (its units per line fell)"
    )
    price_rise_min: float = Field(
        0.05, gt=0, description="price exposure: prices paid rose by at least this share (recent 180 days vs the year before)"
    )
    price_units_drop: float = Field(
        0.1, gt=0, lt=1, description="price exposure: and units per order line fell by at least this share"
    )


class ModelSettings(_Section):
    """The churn prediction model."""

    observation_dates: int = Field(
        8, ge=1, le=60, description="training: number of past observation dates (labels need a full horizon after each)"
    )
    observation_spacing_days: int = Field(30, gt=0, description="training: days between observation dates")
    max_training_rows: int = Field(
        200_000, gt=1000, description="training: sample customers when the training set would be larger than this"
    )
    trees: int = Field(150, gt=0, description="gradient boosting: number of trees")
    learning_rate: float = Field(0.05, gt=0, le=1, description="gradient boosting: learning rate")
    num_leaves: int = Field(15, gt=1, description="gradient boosting: leaves per tree")
    threads: int = Field(2, ge=1, description="threads for model fitting and scoring")
    seed: int = Field(0, description="random seed of sampling and model fitting")
    reasons: int = Field(3, ge=1, le=10, description="top reasons reported per customer")
    reasons_for: int = Field(
        20_000,
        ge=0,
        description=(
            "reasons are worked out for this many customers with the highest value at risk (all when fewer; "
            "per-feature contributions cost about half a millisecond a customer)"
        ),
    )


class ReasonSettings(_Section):
    """Why customers leave: the reason table and reasons suggested from free text."""

    min_confidence: float = Field(
        0.6,
        ge=0,
        le=1,
        description=(
            "a reason suggested from free text (complaints, interview notes, survey comments) is kept only "
            "at this confidence or above; below it the classifier abstains"
        ),
    )


class ActSettings(_Section):
    """Who works which customers: lists assigned to customer success managers."""

    capacity: int = Field(
        30,
        ge=1,
        description=(
            "customers one person is given in one list (a worklist, an investigation's interviews): the "
            "customer's own CSM first, then round robin among those with room"
        ),
    )


class InvestigateSettings(_Section):
    """Defector investigations (跳槽客户调查): whom to interview and when to review."""

    partial_sample: float = Field(
        0.2, ge=0, le=1, description="share of the period's partial defectors drawn at random for an interview"
    )
    first_review_at: float = Field(
        0.25, gt=0, le=1, description="the first review of an investigation falls due when this share of its interviews is done"
    )
    second_review_at: float = Field(
        0.75, gt=0, le=1, description="the second review falls due when this share of its interviews is done"
    )


class SurveySettings(_Section):
    """Satisfaction surveys (满意度调查)."""

    cooldown_days: int = Field(
        180, ge=0, description="a survey sample leaves out customers sent or answering a survey within this many days"
    )
    horizon_days: int = Field(
        365, gt=0, description="survey report: churn within this many days after an answer, by satisfaction level"
    )


class ListenSettings(_Section):
    """Estimates of what complaints do not show (each labelled an estimate wherever it appears)."""

    complaint_share: float = Field(
        0.04,
        gt=0,
        le=1,
        description="share of dissatisfied customers who complain (the rest are the silent majority)",
    )
    word_of_mouth: float = Field(
        25, ge=0, description="people one dissatisfied customer tells about it (word of mouth)"
    )


class Settings(_Section):
    """All settings of a workspace."""

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="where the data lives: duckdb:///FILE (relative to the workspace) or postgresql://user@host:port/db",
    )
    language: Literal["zh", "en"] = Field("zh", description="language of pages, reports and messages: zh or en")
    currency: str = Field("CNY", description="currency of amounts (ISO 4217 code)")
    timezone: str = Field("Asia/Shanghai", description="time zone of dates in the data")
    churn: ChurnSettings = Field(default_factory=ChurnSettings)
    value: ValueSettings = Field(default_factory=ValueSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    signals: SignalSettings = Field(default_factory=SignalSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    reasons: ReasonSettings = Field(default_factory=ReasonSettings)
    act: ActSettings = Field(default_factory=ActSettings)
    investigate: InvestigateSettings = Field(default_factory=InvestigateSettings)
    survey: SurveySettings = Field(default_factory=SurveySettings)
    listen: ListenSettings = Field(default_factory=ListenSettings)


def load_settings(path: Path) -> Settings:
    """Read settings from ``path`` (a ``churnguard.toml``), naming the file in any error."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no settings file; run 'churnguard init {path.parent}' first") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def last_good_path(path: Path) -> Path:
    """Where the last settings file that read well is kept: ``churnguard.toml.last-good``."""
    return path.with_name(path.name + ".last-good")


def read_settings(path: Path) -> tuple[Settings, str | None]:
    """The settings of ``path`` and ``None``; or, when the file is broken (edited by hand) and a
    last good copy exists, that copy's settings and what is wrong with the file — so a typo does
    not take the workspace down, and an admin is told. A file that reads well becomes the last
    good copy."""
    good = last_good_path(path)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        if not good.is_file():
            raise
        try:
            return load_settings(good), str(exc)
        except ConfigError:
            raise exc from None
    try:
        # pages open the workspace on every request: two stat calls, and the file is copied only
        # when it changed after the copy was made
        if not good.is_file() or good.stat().st_mtime_ns < path.stat().st_mtime_ns:
            tmp = good.with_name(good.name + ".tmp")
            tmp.write_bytes(path.read_bytes())
            tmp.replace(good)
    except OSError:  # a read-only folder: no copy, the settings still hold
        pass
    return settings, None


def save_settings(path: Path, settings: Settings) -> None:
    """Write ``settings`` to ``path`` atomically: a reader sees the old file or the new, never half.

    The text is read back and validated before it replaces the file, so a value that would not
    survive the round trip changes nothing and raises :class:`ConfigError`.
    """
    text = render_settings(settings)
    try:
        again = Settings.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: these settings cannot be saved ({exc}); nothing was changed") from None
    if again != settings:
        raise ConfigError(f"{path}: these settings do not read back as saved; nothing was changed")
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isascii() and key.replace("_", "").replace("-", "").isalnum() \
        else _toml_value(key)


def _toml_value(value: object) -> str:
    if isinstance(value, dict):  # an inline table: {retail = 120, "零售" = 90}
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):  # an array: [0.25, 0.75]
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # JSON's string escapes (\n, \t, \uXXXX, \", \\) are all valid TOML basic-string escapes;
    # escaping only quotes and backslashes let a newline in a value break the whole file
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def render_settings(settings: Settings) -> str:
    """Return ``settings`` as TOML with every field's help as a comment above it."""
    lines = ["# churnguard workspace settings; every field is documented above its value.", ""]

    def emit(model: BaseModel) -> None:
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                continue
            lines.append(f"# {info.description}")
            lines.append(f"{name} = {_toml_value(value)}")

    emit(settings)
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            lines += ["", f"[{name}]", f"# {info.description or type(value).__doc__}"]
            emit(value)
    return "\n".join(lines) + "\n"


def documented_fields(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, str]:
    """Return every setting's dotted name and help text (used by docs and tests)."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(documented_fields(ann, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = info.description or ""
    return out
