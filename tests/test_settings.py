"""Settings: every field documented, bad values named with the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from churnguard.errors import ConfigError
from churnguard.settings import Settings, documented_fields, load_settings, render_settings, save_settings


def test_every_setting_has_help_text() -> None:
    fields = documented_fields()
    assert "churn.threshold_days" in fields and "database_url" in fields
    undocumented = [k for k, v in fields.items() if len(v) < 10]
    assert undocumented == []


def test_rendered_settings_round_trip(tmp_path: Path) -> None:
    s = Settings(language="en")
    s.churn.threshold_days = "auto"
    path = tmp_path / "churnguard.toml"
    path.write_text(render_settings(s), encoding="utf-8")
    assert load_settings(path) == s


def test_bad_settings_are_named(tmp_path: Path) -> None:
    path = tmp_path / "churnguard.toml"
    path.write_text('language = "fr"\n[churn]\ngrace_days = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"churnguard.toml: language: .*'fr'.*churn.grace_days"):
        load_settings(path)
    path.write_text("language = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)
    path.write_text('[churn]\nthreshold_dayz = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="threshold_dayz"):
        load_settings(path)


@pytest.mark.parametrize("currency", ['CNY\nX', 'a"b\\c', "tab\there", "nul\x00del\x7f", "人民币\u2028"])
def test_any_text_value_is_saved_so_that_the_file_still_opens(tmp_path: Path, currency: str) -> None:
    """A newline in one text setting (saved from the settings page) made the whole file unreadable."""
    path = tmp_path / "churnguard.toml"
    s = Settings(currency=currency)
    save_settings(path, s)
    assert load_settings(path) == s
    assert load_settings(path).currency == currency


def test_settings_that_cannot_be_saved_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "churnguard.toml"
    save_settings(path, Settings())
    before = path.read_bytes()
    bad = Settings()
    object.__setattr__(bad, "currency", object())  # a value no TOML can hold
    with pytest.raises(ConfigError, match="nothing was changed"):
        save_settings(path, bad)
    assert path.read_bytes() == before
    assert not path.with_suffix(".toml.tmp").exists()


def test_a_settings_file_with_the_replaced_partial_z_still_loads(tmp_path: Path) -> None:
    # detect.partial_z (a level per test) gave way to detect.partial_alpha (one level for a
    # customer's tests together); a workspace written before loads, and is written without it
    text = render_settings(Settings()).replace("[detect]\n", "[detect]\npartial_z = 2.5\n")
    path = tmp_path / "churnguard.toml"
    path.write_text(text, encoding="utf-8")
    s = load_settings(path)
    assert s.detect.partial_alpha == 0.05
    assert "partial_z" not in render_settings(s) and "partial_alpha = 0.05" in render_settings(s)
    with pytest.raises(ConfigError, match="partial_alpha"):
        path.write_text(text.replace("partial_alpha = 0.05", "partial_alpha = 1.5"), encoding="utf-8")
        load_settings(path)
