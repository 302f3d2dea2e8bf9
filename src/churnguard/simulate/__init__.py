"""A seeded, vectorised company simulator with known ground truth.

>>> from churnguard.simulate import simulate
>>> sim = simulate(customers=500, months=24, seed=42)

See :func:`simulate` and :class:`Simulation`; the mechanisms are described in
``docs/simulator.md``.
"""

from churnguard.simulate.company import DEFAULT_END, Params
from churnguard.simulate.core import Simulation, simulate

__all__ = ["DEFAULT_END", "Params", "Simulation", "simulate"]
