r"""Shifted-beta-geometric (sBG) model of contract retention.

Fader, P. S. & Hardie, B. G. S. (2007). How to Project Customer Retention. *Journal of
Interactive Marketing* 21(1), 76-90.

Fader, P. S. & Hardie, B. G. S. (2010). Customer-Base Valuation in a Contractual Setting:
The Perils of Ignoring Heterogeneity. *Marketing Science* 29(1), 85-93.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, hyp2f1

from churnguard.compute.value.models._base import BaseValueModel, as_float_array, minimize_log_params
from churnguard.errors import FitError, InputError


def _check_periods(t, name: str = "t") -> np.ndarray:
    arr = as_float_array(t, name)
    bad = int(np.count_nonzero(~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))))
    if bad:
        raise InputError(f"{name} must be whole numbers of periods >= 0; {bad} value(s) are not")
    return arr


def _geometric_limit(params: np.ndarray) -> bool:
    """Whether alpha and beta ran off together: where customers do not differ in their chance to
    cancel, the likelihood keeps rising along alpha + beta -> infinity at a fixed
    alpha / (alpha + beta), the one cancellation rate, which the data do identify (how far the
    optimiser walks before stopping depends on the SciPy release)."""
    return bool(np.min(params) > 10.0 and np.sum(params) > 1e4)


class ShiftedBetaGeometricModel(BaseValueModel):
    r"""sBG model: each customer renews with a constant probability, heterogeneous across customers.

    At the end of each period a customer cancels with probability :math:`\theta`, fixed for
    the customer; across customers :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`
    (Fader & Hardie 2007). With :math:`T` the period in which the customer cancels,

    .. math::

        P(T=t) = \frac{B(\alpha+1, \beta+t-1)}{B(\alpha,\beta)}, \qquad
        S(t) = P(T>t) = \frac{B(\alpha, \beta+t)}{B(\alpha,\beta)}, \qquad
        r_t = \frac{S(t)}{S(t-1)} = \frac{\beta+t-1}{\alpha+\beta+t-1}.

    A cohort of :math:`n_0` customers with :math:`n_t` still active after period
    :math:`t = 1..k` has log-likelihood
    :math:`\sum_{t=1}^{k} (n_{t-1}-n_t)\ln P(T=t) + n_k \ln S(k)`, maximised over
    :math:`\ln\alpha, \ln\beta` with its analytic gradient.

    Parameters
    ----------
    initial_params : dict, optional
        Starting values for ``alpha`` and ``beta`` (default 1, 1).

    Attributes
    ----------
    params_ : dict
        ``{"alpha", "beta"}``; also ``alpha_``, ``beta_``.
    log_likelihood_ : float

    Examples
    --------
    >>> from churnguard.compute.value import ShiftedBetaGeometricModel
    >>> m = ShiftedBetaGeometricModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.alpha_, 3), round(m.beta_, 3)
    (0.704, 1.182)
    """

    _param_names = ("alpha", "beta")

    def __init__(self, initial_params: dict | None = None):
        self.initial_params = initial_params

    def fit(self, alive_counts) -> ShiftedBetaGeometricModel:
        """Estimate ``alpha, beta`` from one cohort's active customers per period.

        Parameters
        ----------
        alive_counts : array_like
            Customers active at the start (``n_0 > 0``) and after each later period; must
            not increase.

        Returns
        -------
        ShiftedBetaGeometricModel
            ``self``, fitted.

        Raises
        ------
        FitError
            Fewer than two counts, negative or missing counts, a count that increases, or no
            customer ever lost (then retention is 100% and the model is degenerate).
        """
        try:
            n = as_float_array(alive_counts, "alive_counts")
        except InputError as exc:
            raise FitError(str(exc)) from None
        if n.size < 2:
            raise FitError(
                f"alive_counts needs the initial cohort size and at least one later count; got {n.size} value(s)"
            )
        bad = int(np.count_nonzero(~np.isfinite(n) | (n < 0)))
        if bad:
            raise FitError(f"alive_counts must be finite and >= 0; {bad} of {n.size} value(s) are not")
        if n[0] <= 0:
            raise FitError(f"alive_counts[0] (the cohort size) must be > 0, got {n[0]:g}")
        rising = int(np.count_nonzero(np.diff(n) > 0))
        if rising:
            raise FitError(
                f"alive_counts must not increase (customers leave a cohort, none join); "
                f"{rising} period(s) show an increase"
            )
        lost = -np.diff(n)
        if lost.sum() == 0:
            raise FitError(
                "no customer was lost in any period: retention is 100% and alpha/beta cannot be estimated"
            )
        if n[-1] == 0 and np.count_nonzero(lost) == 1:
            raise FitError("the whole cohort was lost in one period: alpha/beta cannot be estimated")
        censored = np.zeros(n.size)
        censored[-1] = n[-1]
        return self._fit_counts(lost, censored)

    def fit_life_table(self, lost, censored) -> ShiftedBetaGeometricModel:
        r"""Estimate ``alpha, beta`` from customers lost per period and customers still observed.

        This pools cohorts of different ages, as contracts give them: a customer who signed
        last month has had no chance to renew yet, one who signed five years ago has had
        five. Each customer either cancelled in period :math:`t` (contributes
        :math:`\ln P(T=t)`) or is still active (or awaiting a renewal decision) after
        renewing :math:`j` times (contributes :math:`\ln S(j)`, right-censored), so

        .. math::

            \ell = \sum_{t\ge 1} \text{lost}_t \ln P(T=t) + \sum_{j\ge 0} \text{censored}_j \ln S(j).

        One cohort's ``alive_counts`` of :meth:`fit` is the case ``lost = -diff(n)`` and
        ``censored = [0, …, 0, n_k]``.

        Parameters
        ----------
        lost : array_like
            ``lost[t - 1]``: customers who cancelled in period ``t`` (did not renew at its end).
        censored : array_like
            ``censored[j]``: customers still active after ``j`` renewals (``j = 0, 1, …``).

        Returns
        -------
        ShiftedBetaGeometricModel
            ``self``, fitted.

        Raises
        ------
        FitError
            Negative or missing counts, nobody lost, or nothing observed beyond the first
            period (then the spread of cancellation probabilities cannot be told).

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel().fit_life_table([369, 163, 86, 56, 37, 27, 21],
        ...                                                [0, 0, 0, 0, 0, 0, 0, 241])
        >>> round(m.alpha_, 3), round(m.beta_, 3)
        (0.704, 1.182)
        """
        try:
            lost_arr = as_float_array(lost, "lost")
            cens = as_float_array(censored, "censored")
        except InputError as exc:
            raise FitError(str(exc)) from None
        for name, arr in (("lost", lost_arr), ("censored", cens)):
            bad = int(np.count_nonzero(~np.isfinite(arr) | (arr < 0)))
            if bad:
                raise FitError(f"{name} must be finite and >= 0; {bad} of {arr.size} value(s) are not")
        if lost_arr.sum() == 0:
            raise FitError(
                "no customer was lost in any period: retention is 100% and alpha/beta cannot be estimated"
            )
        beyond_first = lost_arr[1:].sum() + cens[1:].sum()
        if beyond_first == 0:
            raise FitError(
                "no customer was observed beyond the first period (nobody has renewed yet): "
                "alpha/beta cannot be estimated"
            )
        return self._fit_counts(lost_arr, cens)

    def _fit_counts(self, lost: np.ndarray, censored: np.ndarray) -> ShiftedBetaGeometricModel:
        t = np.arange(1, lost.size + 1, dtype=float)
        j = np.arange(censored.size, dtype=float)
        total = lost.sum() + censored.sum()

        def objective(log_params):
            alpha, beta = np.exp(log_params)
            b0 = betaln(alpha, beta)
            log_pt = betaln(alpha + 1.0, beta + t - 1.0) - b0
            log_sj = betaln(alpha, beta + j) - b0
            ll = lost @ log_pt + censored @ log_sj
            psi_ab = digamma(alpha + beta)
            # d/dalpha, d/dbeta of log B(alpha+1, beta+t-1) - log B(alpha, beta), and of log S(j)
            psi_end = digamma(alpha + beta + t)
            d_pt_a = digamma(alpha + 1.0) - psi_end - digamma(alpha) + psi_ab
            d_pt_b = digamma(beta + t - 1.0) - psi_end - digamma(beta) + psi_ab
            psi_endj = digamma(alpha + beta + j)
            d_sj_a = psi_ab - psi_endj
            d_sj_b = digamma(beta + j) - psi_endj - digamma(beta) + psi_ab
            grad = np.array([lost @ d_pt_a + censored @ d_sj_a, lost @ d_pt_b + censored @ d_sj_b])
            if not np.isfinite(ll):
                return 1e300, np.zeros(2)
            return float(-ll / total), -grad / total * np.array([alpha, beta])

        init = [1.0, 1.0]
        if self.initial_params is not None:
            init = [float(self.initial_params[p]) for p in self._param_names]
        params, res = minimize_log_params(objective, init, self._param_names, jac=True, model="sBG",
                                          limit_ok=_geometric_limit)
        self._set_params(params, -objective(np.log(params))[0] * total, res)
        return self

    def churn_probability(self, t) -> np.ndarray:
        r""":math:`P(T=t)`: share of a new cohort that cancels in period ``t`` (``t >= 1``)."""
        alpha, beta = self._p()
        t = _check_periods(t)
        if np.any(t < 1):
            raise InputError("t must be >= 1 for churn_probability")
        return np.exp(betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta))

    def survival(self, t) -> np.ndarray:
        r""":math:`S(t) = B(\alpha, \beta+t)/B(\alpha,\beta)`: share of a cohort still active after ``t`` periods."""
        alpha, beta = self._p()
        t = _check_periods(t)
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def retention_rate(self, t) -> np.ndarray:
        r"""Retention rate of period ``t`` (``t >= 1``): :math:`(\beta+t-1)/(\alpha+\beta+t-1)`.

        It rises with ``t``: the customers most likely to cancel leave first.
        """
        alpha, beta = self._p()
        t = _check_periods(t)
        if np.any(t < 1):
            raise InputError("t must be >= 1 for retention_rate")
        return (beta + t - 1.0) / (alpha + beta + t - 1.0)

    def expected_remaining_lifetime(self, n_renewals) -> np.ndarray:
        r"""Expected number of further renewals of a customer who has renewed ``n`` times.

        The undiscounted DERL (``discount_rate = 0``):
        :math:`\sum_{k\ge 1} S(n+k)/S(n) = (\beta+n)/(\alpha-1)`; infinite when
        :math:`\alpha \le 1` (the beta mixture puts so much mass near :math:`\theta=0` that
        the mean lifetime diverges).
        """
        alpha, beta = self._p()
        n = _check_periods(n_renewals, "n_renewals")
        if alpha <= 1.0:
            return np.full(n.shape, np.inf)
        return (beta + n) / (alpha - 1.0)

    def derl(self, n_renewals, discount_rate: float) -> np.ndarray:
        r"""Discounted expected residual lifetime (Fader & Hardie 2010, eq. 6).

        For a customer who has renewed ``n`` times (so has been active for ``n + 1``
        periods), valued just before the next renewal decision,

        .. math::

            \mathrm{DERL}(d\mid\alpha,\beta,n) = \sum_{k\ge 0}
                \frac{S(n+1+k)}{S(n)}\frac{1}{(1+d)^k}
            = \frac{\beta+n}{\alpha+\beta+n}\,
              {}_2F_1\!\left(1, \beta+n+1; \alpha+\beta+n+1; \frac{1}{1+d}\right)

        the expected discounted number of future payments, the payment at the coming renewal
        undiscounted. Multiply by the recurring value per period to get the residual value.
        (Fader & Hardie index the same customer as "n - 1 renewals, at the n-th decision".)

        Parameters
        ----------
        n_renewals : int or array_like
            Renewals made so far (0 for a customer in their first period).
        discount_rate : float
            Discount rate per period, > 0.
        """
        alpha, beta = self._p()
        n = _check_periods(n_renewals, "n_renewals")
        if not discount_rate > 0:
            raise InputError(
                f"discount_rate must be > 0 for DERL, got {discount_rate!r}; "
                "use expected_remaining_lifetime for the undiscounted figure"
            )
        z = 1.0 / (1.0 + discount_rate)
        return (beta + n) / (alpha + beta + n) * hyp2f1(1.0, beta + n + 1.0, alpha + beta + n + 1.0, z)
