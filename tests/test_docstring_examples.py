"""The docstring examples of the users, settings, language and feature-availability modules run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["churnguard.i18n", "churnguard.service.users", "churnguard.service.workspace",
                                  "churnguard.compute.predict.availability", "churnguard.store.records",
                                  "churnguard.simulate.texts", "churnguard.compute.learn.text",
                                  "churnguard.store.reason_suggestions"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
