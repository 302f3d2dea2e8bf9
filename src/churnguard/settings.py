"""The one typed settings object, read from a workspace's ``churnguard.toml``.

Every field has a default and help text (``description``); ``churnguard init`` writes them
all out with their help as comments. Nothing here is built at import time: callers load
settings from a workspace and pass them on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from churnguard.errors import ConfigError

SETTINGS_FILE = "churnguard.toml"
DEFAULT_DATABASE_URL = "duckdb:///churnguard.duckdb"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ChurnSettings(_Section):
    """How churn is defined."""

    threshold_days: int | Literal["auto"] = Field(
        "auto",
        description=(
            "non-contractual: a customer is lost when its gap since the last purchase reaches "
            "this many days; 'auto' = the auto_percentile of its segment's inter-purchase gaps"
        ),
    )
    auto_percentile: float = Field(
        0.95, gt=0, lt=1, description="percentile of inter-purchase gaps used when threshold_days = 'auto'"
    )
    auto_fallback_days: int = Field(
        90, gt=0, description="threshold used with 'auto' while no customer has bought twice yet"
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


class WebSettings(_Section):
    """The web pages and the REST API (churnguard serve)."""

    max_upload_mb: int = Field(
        200, gt=0, le=10_000, description="largest file the web page and the API accept for an import, in MB"
    )
    session_hours: int = Field(
        12, gt=0, le=24 * 90, description="hours a web login lasts (read when the server starts)"
    )
    cache_results: bool = Field(
        True,
        description=(
            "keep computed figures in the workspace (.cache/results) and show them again until an import, "
            "a 'churnguard run' or a setting changes them; false computes every page afresh (slow on large data)"
        ),
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


def save_settings(path: Path, settings: Settings) -> None:
    """Write ``settings`` to ``path`` atomically: a reader sees the old file or the new, never half."""
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(render_settings(settings), encoding="utf-8")
    tmp.replace(path)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


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
