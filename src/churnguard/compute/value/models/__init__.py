"""Customer-value models: BG/NBD, Pareto/NBD, Gamma-Gamma and shifted-beta-geometric."""

from churnguard.compute.value.models.bgnbd import BetaGeoModel
from churnguard.compute.value.models.gamma_gamma import GammaGammaModel
from churnguard.compute.value.models.pareto_nbd import ParetoNBDModel
from churnguard.compute.value.models.sbg import ShiftedBetaGeometricModel

__all__ = ["BetaGeoModel", "GammaGammaModel", "ParetoNBDModel", "ShiftedBetaGeometricModel"]
