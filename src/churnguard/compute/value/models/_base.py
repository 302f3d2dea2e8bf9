"""Shared machinery of the customer-value models: input checks, the fitted-state contract and
the optimiser.

Every model keeps the scikit-learn contract: hyperparameters are keyword arguments of
``__init__`` and are stored unchanged, ``fit`` returns ``self``, learned state ends in ``_``
(``params_``, ``log_likelihood_`` and one attribute per parameter such as ``r_``), and asking
for a prediction before ``fit`` raises :class:`~churnguard.errors.NotFittedError`.

Likelihoods are maximised over the logarithm of the (positive) parameters with scipy's
L-BFGS-B. The objective is the *mean* negative log-likelihood per customer (plus the
penalty ``penalizer_coef * sum(params**2)``, as in ``lifetimes``), so that tolerances do not
depend on the number of customers; ``log_likelihood_`` reports the *total* log-likelihood,
which is the figure the papers print (e.g. -9582.4 for BG/NBD on CDNOW).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from churnguard.errors import FitError, InputError, NotFittedError

# Bounds of the log-parameters. A fitted value on one of them means the data pushed a
# parameter to zero or infinity: the model is degenerate for these data and we say so.
_LOG_BOUND = 18.0


def as_float_array(values: object, name: str) -> np.ndarray:
    """Return ``values`` (list, array, pandas Series) as a 1-d float array, or raise InputError."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: cannot be read as numbers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"{name}: expected a 1-d sequence of numbers, got shape {arr.shape}")
    return arr


def _count_msg(n: int, total: int) -> str:
    return f"{n} of {total} row(s)"


def check_rft(
    frequency: object, recency: object, T: object, *, for_fit: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check BTYD inputs ``(frequency, recency, T)`` and return them as float arrays.

    Raises
    ------
    FitError
        When ``for_fit`` and the data break a BTYD convention; the message names the rule
        and counts the offending rows.
    InputError
        The same checks when predicting.
    """
    error = FitError if for_fit else InputError
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    big_t = as_float_array(T, "T")
    n = max(x.size, t_x.size, big_t.size)
    if for_fit and n == 0:
        raise FitError("no customers to fit: frequency, recency and T are empty")
    try:
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    except ValueError:
        raise error(
            f"frequency, recency and T must have the same length; got {x.size}, {t_x.size}, {big_t.size}"
        ) from None
    problems = []
    for name, arr in (("frequency", x), ("recency", t_x), ("T", big_t)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        if bad:
            problems.append(f"{name} is missing or infinite in {_count_msg(bad, n)}")
    if not problems:
        for name, arr in (("frequency", x), ("recency", t_x), ("T", big_t)):
            bad = int(np.count_nonzero(arr < 0))
            if bad:
                problems.append(f"{name} is negative in {_count_msg(bad, n)}")
        bad = int(np.count_nonzero(t_x > big_t))
        if bad:
            problems.append(
                f"recency > T in {_count_msg(bad, n)} (recency is the age at the last repeat purchase)"
            )
        bad = int(np.count_nonzero((x == 0) & (t_x > 0)))
        if bad:
            problems.append(
                f"frequency is 0 but recency > 0 in {_count_msg(bad, n)} "
                "(BTYD convention: recency is 0 for customers without a repeat purchase; "
                "recency is not 'time since last purchase')"
            )
    if problems:
        raise error("cannot use these customers: " + "; ".join(problems))
    return x, t_x, big_t


def aggregate_rows(
    *columns: np.ndarray, weights: np.ndarray | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows of ``columns`` into unique rows with summed ``weights``.

    Summary tables built from daily data repeat the same ``(frequency, recency, T)`` many
    times (every non-repeat customer of one cohort day is one row), so the likelihood is
    evaluated once per distinct row: 1M simulated customers collapse to about 180k rows,
    and one likelihood-and-gradient evaluation drops from 0.54 s to 0.07 s. The rows are
    keyed with hash-based ``pandas.factorize`` (0.16 s for 1M rows) rather than
    ``numpy.unique(axis=0)``, which sorts row views and took 2-5 s.
    """
    key: np.ndarray | None = None
    for col in columns:
        codes, uniques = pd.factorize(col)
        codes = codes.astype(np.int64)
        key = codes if key is None else pd.factorize(key * len(uniques) + codes)[0].astype(np.int64)
    if key is None or key.size == 0:
        return [np.asarray(c, dtype=float) for c in columns], np.ones(0)
    # factorize numbers keys in order of first appearance, so a row is the first of its key
    # exactly where the key exceeds every key before it.
    previous_max = np.maximum.accumulate(key)
    first = np.flatnonzero(np.r_[True, key[1:] > previous_max[:-1]])
    w = np.ones(key.size) if weights is None else weights
    summed = np.bincount(key, weights=w, minlength=first.size)
    return [np.asarray(c, dtype=float)[first] for c in columns], summed


def check_weights(weights: object, n: int) -> np.ndarray | None:
    """Return ``weights`` as a float array of length ``n`` (or None), or raise FitError."""
    if weights is None:
        return None
    w = as_float_array(weights, "weights")
    if w.size != n:
        raise FitError(f"weights must have one value per customer: got {w.size}, expected {n}")
    bad = int(np.count_nonzero(~np.isfinite(w) | (w < 0)))
    if bad:
        raise FitError(f"weights must be finite and >= 0; {_count_msg(bad, n)} are not")
    if not w.sum() > 0:
        raise FitError("weights sum to 0: nothing to fit")
    return w


def minimize_log_params(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray] | float],
    init: Sequence[float],
    names: Sequence[str],
    *,
    jac: bool,
    model: str,
    limit_ok: Callable[[np.ndarray], bool] | None = None,
) -> tuple[np.ndarray, object]:
    """Minimise ``objective`` over log-parameters with L-BFGS-B; return (params, result).

    Raises FitError when the optimum is not finite or a parameter ran to the edge of the
    search space (it wants to be 0 or infinite: the data cannot identify the model) — unless
    ``limit_ok(params)`` says the edge is a limit the model still describes (sBG's alpha and
    beta running off together: one cancellation rate for everyone).
    """
    x0 = np.log(np.asarray(init, dtype=float))
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    # BLAS is pinned to one thread: L-BFGS-B's few-parameter linear algebra gains nothing from
    # threads, and OpenBLAS threads spinning against other work on a 2-core machine made a
    # CDNOW fit take 0.06-0.44 s instead of 0.03 s (measured). threadpoolctl comes with
    # scikit-learn. Trial steps far from the optimum may overflow inside the objective,
    # which maps them to a large finite value; errstate keeps numpy quiet meanwhile.
    with np.errstate(all="ignore"), threadpool_limits(limits=1, user_api="blas"):
        res = minimize(
            objective,
            x0,
            jac=jac,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9, "maxcor": 20},
        )
    if not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
        raise FitError(f"{model}: the fit did not reach a finite likelihood ({res.message})")
    at_edge = [name for name, v in zip(names, res.x, strict=True) if abs(v) >= _LOG_BOUND - 1e-6]
    if at_edge and not (limit_ok is not None and limit_ok(np.exp(res.x))):
        raise FitError(
            f"{model}: parameter(s) {', '.join(at_edge)} ran to 0 or infinity; the data cannot "
            "identify the model (too few repeat buyers, or no sign of drop-out); try "
            "penalizer_coef > 0 (e.g. 0.001)"
        )
    return np.exp(res.x), res


class BaseValueModel:
    """Base of the value models: parameter bookkeeping and the fitted-state check."""

    _param_names: tuple[str, ...] = ()

    def _set_params(self, params: np.ndarray, log_likelihood: float, result: object | None) -> None:
        self.params_ = {name: float(v) for name, v in zip(self._param_names, params, strict=True)}
        for name, v in self.params_.items():
            setattr(self, f"{name}_", v)
        self.log_likelihood_ = float(log_likelihood)
        if result is not None:
            self.n_iter_ = int(getattr(result, "nit", 0))
            self.converged_ = bool(getattr(result, "success", True))

    @classmethod
    def from_params(cls, **params: float):
        """Return a model fitted by hand with the given parameters (for scoring or tests).

        ``log_likelihood_`` is NaN because no data were seen.

        Raises
        ------
        InputError
            A parameter is missing, unknown, or not a positive number.
        """
        names = cls._param_names
        unknown = sorted(set(params) - set(names))
        missing = [n for n in names if n not in params]
        if unknown or missing:
            raise InputError(
                f"{cls.__name__}.from_params needs exactly {list(names)}; missing {missing}, unknown {unknown}"
            )
        values = np.array([float(params[n]) for n in names])
        if not np.all(np.isfinite(values) & (values > 0)):
            raise InputError(f"{cls.__name__} parameters must be positive numbers, got {params!r}")
        model = cls()
        model._set_params(values, float("nan"), None)
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(...) before asking for predictions"
            )

    def _p(self) -> tuple[float, ...]:
        self._check_fitted()
        return tuple(self.params_[n] for n in self._param_names)

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}(fitted: {shown})"
        return f"{type(self).__name__}()"
