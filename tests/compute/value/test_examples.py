"""The docstring examples of the value models run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "models.bgnbd",
        "models.pareto_nbd",
        "models.gamma_gamma",
        "models.sbg",
        "models.simulation",
        "rfm",
        "pareto",
    ],
)
def test_docstring_examples(name):
    module = importlib.import_module(f"churnguard.compute.value.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_public_api():
    import churnguard.compute.value as value

    assert set(value.__all__) == {
        "BetaGeoModel",
        "ParetoNBDModel",
        "GammaGammaModel",
        "ShiftedBetaGeometricModel",
    }
    for cls_name in value.__all__:
        model = getattr(value, cls_name)()
        assert "not fitted" not in repr(model) and cls_name in repr(model)
