"""churnguard: customer churn management (客户流失管理).

Measure how many customers and how much revenue a company loses, find its core customers,
detect complete and partial defectors, warn early who is about to leave and why, and drive
and measure retention work.
"""

from churnguard.errors import ChurnguardError

__version__ = "0.1.0"

__all__ = ["ChurnguardError", "__version__"]
