"""churnguard: customer churn management (客户流失管理).

Measure how many customers and how much revenue a company loses, find its core customers,
detect complete and partial defectors, warn early who is about to leave and why, and drive
and measure retention work.
"""

import os

# OpenMP threads (LightGBM, scikit-learn) spin while they wait for work by default. On a shared
# two-core machine that spinning starves the threads doing the work: fitting the churn model
# took three times longer with two threads than with one. Waiting passively costs nothing when
# the cores are idle. Set before any OpenMP library loads; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from churnguard.errors import ChurnguardError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["ChurnguardError", "__version__"]
