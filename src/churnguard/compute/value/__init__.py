"""Customer value: purchase, spend and retention models and customer lifetime value.

Non-contractual purchasing: :class:`BetaGeoModel` (BG/NBD) and :class:`ParetoNBDModel`
(Pareto/NBD) give P(alive) and expected purchases; :class:`GammaGammaModel` gives expected
spend per transaction and discounted CLV. Contractual retention:
:class:`ShiftedBetaGeometricModel` (sBG) gives survival, retention rates and DERL.
"""

from churnguard.compute.value.models import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
)

__all__ = ["BetaGeoModel", "GammaGammaModel", "ParetoNBDModel", "ShiftedBetaGeometricModel"]
