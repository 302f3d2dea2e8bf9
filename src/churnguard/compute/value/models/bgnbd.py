r"""BG/NBD: the beta-geometric/negative binomial purchase model.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting Your Customers" the Easy Way:
An Alternative to the Pareto/NBD Model. *Marketing Science* 24(2), 275-284.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from churnguard.compute.value.models._base import (
    BaseValueModel,
    aggregate_rows,
    as_float_array,
    check_rft,
    check_weights,
    minimize_log_params,
)
from churnguard.errors import FitError


class _Rows:
    """Customers' ``(x, t_x, T)`` split into distinct values and indices into them.

    Every term of the BG/NBD likelihood depends on only one of ``x``, ``t_x`` or ``T``, and
    each takes few distinct values (whole purchases, whole days), so the special functions
    (``gammaln``, ``betaln``, ``digamma``) and logs are computed once per distinct value and
    gathered. On 1M simulated customers (180k distinct rows, under 100 distinct ``x``) one
    likelihood-and-gradient evaluation fell from 70 ms to about 10 ms.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray):
        self.x, self.ix = np.unique(x, return_inverse=True)
        self.t_x, self.itx = np.unique(t_x, return_inverse=True)
        self.big_t, self.it = np.unique(big_t, return_inverse=True)
        self.row_x = x


def _bgnbd_loglik_and_grad(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    big_t: np.ndarray,
    need_grad: bool = True,
    rows: _Rows | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-row log-likelihood and its gradient with respect to ``(r, alpha, a, b)``.

    The likelihood is written as ``A1 + logaddexp(A2, A3)`` (see :class:`BetaGeoModel`), and
    the gradient as ``dA1 + w2 dA2 + w3 dA3`` with softmax weights ``w2, w3`` of the two
    branches, so neither the value nor the gradient overflows for large ``x`` or ``T``.
    ``rows`` is ``_Rows(x, t_x, big_t)``, built once per fit.
    """
    if rows is None:
        rows = _Rows(x, t_x, big_t)
    r, alpha, a, b = params
    ux, ix = rows.x, rows.ix
    has_repeat = ux > 0
    # --- terms of x only, on the distinct x values
    beta_ab = betaln(a, b)
    a1_u = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
    b2_u = betaln(a, b + ux) - beta_ab
    # x = 0 has no "dropped out after the last purchase" branch; b + x - 1 is then b - 1,
    # which may be <= 0, so evaluate it on a safe argument and mask it out.
    xm1_u = np.where(has_repeat, ux - 1.0, 0.0)
    b3_u = np.where(has_repeat, betaln(a + 1.0, b + xm1_u) - beta_ab, -np.inf)
    # --- terms of T and t_x only
    log_at_u = np.log(alpha + rows.big_t)
    log_atx_u = np.log(alpha + rows.t_x)
    # --- per row
    rx = r + rows.row_x
    log_at = log_at_u[rows.it]
    log_atx = log_atx_u[rows.itx]
    a2 = b2_u[ix] - rx * log_at
    a3 = b3_u[ix] - rx * log_atx
    ll = a1_u[ix] + np.logaddexp(a2, a3)
    if not need_grad:
        return ll, None
    w2 = expit(a2 - a3)  # share of the "alive at T" branch; 1 when x = 0 (a3 = -inf)
    w3 = 1.0 - w2
    psi_ab = digamma(a + b)
    psi_abx_u = digamma(a + b + ux)
    dr1_u = digamma(r + ux) - digamma(r) + np.log(alpha)
    da2_u = psi_ab - psi_abx_u
    da3_u = digamma(a + 1.0) - digamma(a) + psi_ab - psi_abx_u
    db2_u = digamma(b + ux) - psi_abx_u - digamma(b) + psi_ab
    db3_u = np.where(has_repeat, digamma(b + xm1_u) - psi_abx_u - digamma(b) + psi_ab, 0.0)
    d_r = dr1_u[ix] - w2 * log_at - w3 * log_atx
    d_alpha = r / alpha - rx * (w2 / (alpha + rows.big_t)[rows.it] + w3 / (alpha + rows.t_x)[rows.itx])
    d_a = w2 * da2_u[ix] + w3 * da3_u[ix]
    d_b = w2 * db2_u[ix] + w3 * db3_u[ix]
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


class BetaGeoModel(BaseValueModel):
    r"""BG/NBD model of repeat purchasing in a non-contractual setting.

    While alive, a customer buys as a Poisson process with rate :math:`\lambda`; after each
    repeat purchase they drop out for good with probability :math:`p`. Across customers
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and :math:`p \sim \mathrm{Beta}(a, b)`
    (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

    For a customer with ``x`` repeat purchases, the last at age ``t_x``, observed to age ``T``
    (all BTYD conventions: ages from the first purchase, in one time unit), the likelihood
    (paper, eq. 6) is

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
          + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
            \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}}

    computed in log space with ``gammaln``/``betaln`` and ``logaddexp``. It is maximised with
    L-BFGS-B over the log-parameters using the analytic gradient, with identical rows
    aggregated and special functions evaluated per distinct ``x``: measured on a shared
    2-core machine, CDNOW fits in about 0.01 s and 1M simulated customers in 0.8-1.3 s,
    against 0.10 s and 30 s for ``lifetimes`` 0.11.3, which differentiates with autograd
    (``docs/benchmarks.md``).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters added to the mean negative log-likelihood (the same
        convention as ``lifetimes``); a small value (0.001-0.1) stabilises small data sets.
    initial_params : dict, optional
        Starting values for ``r, alpha, a, b``; by default ``r=1, a=1, b=1`` and ``alpha`` set
        from the data's mean age per purchase.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}`` after :meth:`fit`; also available as ``r_``, ``alpha_``,
        ``a_``, ``b_``.
    log_likelihood_ : float
        Total log-likelihood at the optimum (weighted by ``weights`` when given).
    n_iter_, converged_ : int, bool
        Optimiser iterations and its success flag.

    Examples
    --------
    >>> import numpy as np
    >>> from churnguard.compute.value import BetaGeoModel
    >>> bg = BetaGeoModel().fit([2, 1, 0, 0, 5, 0, 3], [30.4, 1.7, 0, 0, 35.0, 0, 20.0],
    ...                         [38.9, 38.9, 38.9, 38.9, 38.9, 38.9, 38.9])
    >>> sorted(bg.params_)
    ['a', 'alpha', 'b', 'r']
    """

    _param_names = ("r", "alpha", "a", "b")

    def __init__(self, penalizer_coef: float = 0.0, initial_params: dict | None = None):
        self.penalizer_coef = penalizer_coef
        self.initial_params = initial_params

    def fit(self, frequency, recency, T, weights=None) -> BetaGeoModel:
        """Estimate ``r, alpha, a, b`` by maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : array_like
            Repeat purchases, age at the last repeat purchase (0 when there is none) and age
            at the end of the calibration period, one value per customer, in one time unit.
        weights : array_like, optional
            How many customers each row stands for (for pre-aggregated summaries).

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.

        Raises
        ------
        FitError
            Empty input, negative or missing values, ``recency > T``, or no repeat buyers;
            the message counts the offending rows.
        """
        x, t_x, big_t = check_rft(frequency, recency, T, for_fit=True)
        w = check_weights(weights, x.size)
        if not np.any(x > 0):
            raise FitError(
                f"BG/NBD: none of the {x.size} customers has a repeat purchase (all frequency == 0); "
                "the purchase rate and drop-out cannot be estimated"
            )
        if self.penalizer_coef < 0:
            raise FitError(f"penalizer_coef must be >= 0, got {self.penalizer_coef!r}")
        (x, t_x, big_t), w = aggregate_rows(x, t_x, big_t, weights=w)
        total_w = w.sum()
        pen = float(self.penalizer_coef)

        rows = _Rows(x, t_x, big_t)

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = _bgnbd_loglik_and_grad(params, x, t_x, big_t, rows=rows)
            value = -(w @ ll) / total_w + pen * np.sum(params**2)
            g = -(grad @ w) / total_w + 2.0 * pen * params
            if not np.isfinite(value):
                return 1e300, np.zeros_like(log_params)
            return float(value), g * params  # chain rule for log-parameters

        init = self._initial(x, big_t, w)
        params, res = minimize_log_params(objective, init, self._param_names, jac=True, model="BG/NBD")
        ll, _ = _bgnbd_loglik_and_grad(params, x, t_x, big_t, need_grad=False, rows=rows)
        self._set_params(params, float(w @ ll), res)
        return self

    def _initial(self, x: np.ndarray, big_t: np.ndarray, w: np.ndarray) -> list[float]:
        if self.initial_params is not None:
            missing = [n for n in self._param_names if n not in self.initial_params]
            if missing:
                raise FitError(f"initial_params lacks {missing}; expected keys {list(self._param_names)}")
            init = [float(self.initial_params[n]) for n in self._param_names]
            if not all(np.isfinite(v) and v > 0 for v in init):
                raise FitError(f"initial_params must all be > 0, got {self.initial_params!r}")
            return init
        mean_t = float(w @ big_t / w.sum())
        mean_x = float(w @ x / w.sum())
        return [1.0, max(mean_t / (1.0 + mean_x), 1e-3), 1.0, 1.0]

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        r"""Probability that a customer with history ``(x, t_x, T)`` is still alive at ``T``.

        .. math::

            P(\text{alive}) = \left[1 + \delta_{x>0}\frac{a}{b+x-1}
                \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right]^{-1}

        (Fader, Hardie & Lee 2005, eq. 11 of the technical note; computed in log space).
        """
        r, alpha, a, b = self._p()
        x, t_x, big_t = check_rft(frequency, recency, T, for_fit=False)
        return 1.0 / (1.0 + np.exp(self._log_odds_dead(x, t_x, big_t, r, alpha, a, b)))

    @staticmethod
    def _log_odds_dead(x, t_x, big_t, r, alpha, a, b) -> np.ndarray:
        has_repeat = x > 0
        xm1 = np.where(has_repeat, x - 1.0, 0.0)
        log_odds = np.log(a) - np.log(b + xm1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        return np.where(has_repeat, log_odds, -np.inf)

    def expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        r"""Expected repeat purchases in the next ``t`` time units, given ``(x, t_x, T)``.

        Fader, Hardie & Lee (2005), eq. 10:

        .. math::

            E[Y(t)\mid x, t_x, T] = \frac{a+b+x-1}{a-1}
              \frac{1 - \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}
                    {}_2F_1\!\left(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\right)}
                   {1 + \delta_{x>0}\frac{a}{b+x-1}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}}

        The power times the hypergeometric function is evaluated through Pfaff's
        transformation as :math:`{}_2F_1(r+x, a-1; a+b+x-1; -t/(\alpha+T))`, which is exact and
        never overflows, however large ``x`` or ``T``.
        """
        r, alpha, a, b = self._p()
        x, t_x, big_t = check_rft(frequency, recency, T, for_fit=False)
        numerator = self.expected_purchases_if_alive(t, x, big_t)
        return numerator / (1.0 + np.exp(self._log_odds_dead(x, t_x, big_t, r, alpha, a, b)))

    def expected_purchases_if_alive(self, t, frequency, T) -> np.ndarray:
        r"""Expected repeat purchases in the next ``t`` time units of a customer known to be
        alive at ``T`` after ``x`` repeat purchases: the numerator of eq. 10,
        :math:`\frac{a+b+x-1}{a-1}[1 - {}_2F_1(r+x, a-1; a+b+x-1; -t/(\alpha+T))]`.

        It depends on ``x`` and ``T`` only (not on ``t_x``), so scoring many customers can
        evaluate its hypergeometric function once per distinct ``(x, T)``;
        :meth:`expected_purchases` is :meth:`p_alive` times this.
        """
        r, alpha, a, b = self._p()
        x = as_float_array(frequency, "frequency")
        big_t = as_float_array(T, "T")
        t = as_float_array(t, "t")
        c = a + b + x - 1.0
        tail = hyp2f1(r + x, a - 1.0, c, -t / (alpha + big_t))
        return (c / (a - 1.0)) * (1.0 - tail)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        r"""Expected repeat purchases :math:`E[X(t)]` of a new customer in ``(0, t]``.

        Fader, Hardie & Lee (2005), eq. 7:

        .. math::

            E[X(t)] = \frac{a+b-1}{a-1}\left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r
                {}_2F_1\!\left(r, b; a+b-1; \frac{t}{\alpha+t}\right)\right]

        (evaluated as :math:`{}_2F_1(r, a-1; a+b-1; -t/\alpha)` by Pfaff's transformation).
        Summing it over customers at their own ages gives the aggregate tracking curve.
        """
        r, alpha, a, b = self._p()
        t = as_float_array(t, "t")
        return ((a + b - 1.0) / (a - 1.0)) * (1.0 - hyp2f1(r, a - 1.0, a + b - 1.0, -t / alpha))

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters."""
        params = np.array(self._p())
        x, t_x, big_t = check_rft(frequency, recency, T, for_fit=False)
        ll, _ = _bgnbd_loglik_and_grad(params, x, t_x, big_t, need_grad=False)
        return ll
