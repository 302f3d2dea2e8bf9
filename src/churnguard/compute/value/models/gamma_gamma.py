r"""Gamma-Gamma model of spend per transaction, and customer lifetime value.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis. *Journal of Marketing Research* 42(4), 415-430.

Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
http://brucehardie.com/notes/025/
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from churnguard.compute.value.models._base import (
    BaseValueModel,
    aggregate_rows,
    as_float_array,
    check_weights,
    minimize_log_params,
)
from churnguard.errors import FitError, InputError

# Days in an average month (365.25 / 12): the step of the monthly CLV sum.
DAYS_PER_MONTH = 365.25 / 12


def _check_spend(frequency, monetary_value, *, for_fit: bool) -> tuple[np.ndarray, np.ndarray]:
    error = FitError if for_fit else InputError
    x = as_float_array(frequency, "frequency")
    m = as_float_array(monetary_value, "monetary_value")
    if x.size != m.size:
        raise error(f"frequency and monetary_value must have the same length; got {x.size} and {m.size}")
    if for_fit and x.size == 0:
        raise FitError("no customers to fit: frequency and monetary_value are empty")
    n = x.size
    problems = []
    bad = int(np.count_nonzero(~np.isfinite(x) | (x < 0)))
    if bad:
        problems.append(f"frequency is missing, infinite or negative in {bad} of {n} row(s)")
    # Customers without repeat purchases have no mean spend; predictions give them the
    # population mean, so a missing monetary_value is fine there.
    bad = int(np.count_nonzero(~np.isfinite(m) & (x > 0)))
    if bad:
        problems.append(f"monetary_value is missing or infinite in {bad} of {n} row(s) with frequency > 0")
    if for_fit and not problems:
        bad = int(np.count_nonzero(x <= 0))
        if bad:
            problems.append(
                f"frequency <= 0 in {bad} of {n} row(s): Gamma-Gamma is fitted on repeat buyers only; "
                "pass the rows with frequency > 0"
            )
        bad = int(np.count_nonzero(m <= 0))
        if bad:
            problems.append(
                f"monetary_value <= 0 in {bad} of {n} row(s): spend per transaction must be positive"
            )
    if problems:
        raise error("cannot use these customers: " + "; ".join(problems))
    return x, m


def _gg_loglik_and_grad(params, x, m, need_grad=True):
    """Per-row log-likelihood of the mean spend ``m`` over ``x`` transactions, and its gradient."""
    p, q, v = params
    px = p * x
    log_xm_v = np.log(x * m + v)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_xm_v
    )
    if not need_grad:
        return ll, None
    psi_pxq = digamma(px + q)
    d_p = x * (psi_pxq - digamma(px) + np.log(m) + np.log(x) - log_xm_v)
    d_q = psi_pxq - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (x * m + v)
    return ll, np.stack([d_p, d_q, d_v])


class GammaGammaModel(BaseValueModel):
    r"""Gamma-Gamma model of a customer's average spend per transaction.

    The value of each transaction is :math:`\mathrm{Gamma}(p, \nu)`; across customers
    :math:`\nu \sim \mathrm{Gamma}(q, v)`. The mean :math:`\bar m` of a customer's ``x``
    repeat transactions then has the likelihood (Fader, Hardie & Lee 2005, "RFM and CLV";
    Fader & Hardie 2013 note, eq. 3)

    .. math::

        L(p,q,v\mid \bar m, x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
            \frac{v^q\,\bar m^{px-1}\,x^{px}}{(v + x\bar m)^{px+q}}

    maximised over log-parameters with its analytic gradient. The model assumes spend is
    independent of purchase frequency; check the correlation before relying on it.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the parameters added to the mean negative log-likelihood.
    initial_params : dict, optional
        Starting values for ``p, q, v``.

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "v"}``; also ``p_``, ``q_``, ``v_``.
    log_likelihood_ : float
        Total log-likelihood at the optimum.

    Examples
    --------
    >>> from churnguard.compute.value import GammaGammaModel
    >>> gg = GammaGammaModel().fit([1, 2, 3, 1, 4, 2], [20.0, 35.5, 18.0, 60.0, 25.0, 30.0])
    >>> round(float(gg.conditional_expected_value(2, 30.0)[0]), 6) > 0
    True
    """

    _param_names = ("p", "q", "v")

    def __init__(self, penalizer_coef: float = 0.0, initial_params: dict | None = None):
        self.penalizer_coef = penalizer_coef
        self.initial_params = initial_params

    def fit(self, frequency, monetary_value, weights=None) -> GammaGammaModel:
        """Estimate ``p, q, v`` from repeat buyers' transaction counts and mean spend.

        Parameters
        ----------
        frequency : array_like
            Repeat transactions of each customer (all > 0).
        monetary_value : array_like
            Mean value of those transactions (all > 0).
        weights : array_like, optional
            How many customers each row stands for.

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.

        Raises
        ------
        FitError
            Empty input, customers without repeat purchases, non-positive spend.
        """
        x, m = _check_spend(frequency, monetary_value, for_fit=True)
        w = check_weights(weights, x.size)
        if self.penalizer_coef < 0:
            raise FitError(f"penalizer_coef must be >= 0, got {self.penalizer_coef!r}")
        (x, m), w = aggregate_rows(x, m, weights=w)
        total_w = w.sum()
        pen = float(self.penalizer_coef)

        def objective(log_params):
            params = np.exp(log_params)
            ll, grad = _gg_loglik_and_grad(params, x, m)
            value = -(w @ ll) / total_w + pen * np.sum(params**2)
            if not np.isfinite(value):
                return 1e300, np.zeros_like(log_params)
            return float(value), (-(grad @ w) / total_w + 2.0 * pen * params) * params

        if self.initial_params is not None:
            missing = [n for n in self._param_names if n not in self.initial_params]
            if missing:
                raise FitError(f"initial_params lacks {missing}; expected keys {list(self._param_names)}")
            init = [float(self.initial_params[n]) for n in self._param_names]
        else:
            init = [1.0, 1.0, max(float(w @ m / total_w), 1e-3)]
        params, res = minimize_log_params(objective, init, self._param_names, jac=True, model="Gamma-Gamma")
        ll, _ = _gg_loglik_and_grad(params, x, m, need_grad=False)
        self._set_params(params, float(w @ ll), res)
        return self

    def conditional_expected_value(self, frequency, monetary_value) -> np.ndarray:
        r"""Expected spend per transaction of a customer, given ``x`` and their mean ``m``.

        .. math::

            E[M\mid p,q,v,\bar m, x] = \frac{p(v + x\bar m)}{px+q-1}
              = \frac{q-1}{px+q-1}\frac{pv}{q-1} + \frac{px}{px+q-1}\bar m

        a weighted mean of the population mean :math:`pv/(q-1)` and the customer's own mean
        (Fader, Hardie & Lee 2005, eq. 5). Customers with ``x = 0`` get the population mean.
        Requires ``q > 1``.
        """
        p, q, v = self._p()
        x, m = _check_spend(frequency, monetary_value, for_fit=False)
        if q <= 1.0:
            raise InputError(f"Gamma-Gamma: q = {q:.4g} <= 1, so the expected spend is infinite")
        m = np.where(x > 0, m, 0.0)
        return p * (v + x * m) / (p * x + q - 1.0)

    def population_mean_value(self) -> float:
        """Expected spend per transaction of an average customer, ``p v / (q - 1)``."""
        p, q, v = self._p()
        return float(p * v / (q - 1.0)) if q > 1.0 else float("inf")

    def clv(
        self,
        transaction_model,
        frequency,
        recency,
        T,
        monetary_value,
        horizon_months: int = 12,
        annual_discount_rate: float = 0.10,
        time_unit_days: float = 7.0,
    ) -> np.ndarray:
        r"""Discounted customer lifetime value over the next ``horizon_months``.

        The discrete monthly sum of ``lifetimes``' ``customer_lifetime_value``:

        .. math::

            \mathrm{CLV} = \sum_{k=1}^{K} E[M]\,
                \frac{E[Y(k\,\Delta)\mid x,t_x,T] - E[Y((k-1)\Delta)\mid x,t_x,T]}{(1+d)^k}

        where :math:`\Delta` is one month in the transaction model's time unit
        (``365.25 / 12 / time_unit_days``), :math:`E[Y]` the conditional expected purchases
        of ``transaction_model`` (BG/NBD or Pareto/NBD), :math:`E[M]` this model's
        :meth:`conditional_expected_value`, and :math:`d = (1 + \text{annual rate})^{1/12} - 1`
        the monthly rate equivalent to ``annual_discount_rate``. Purchases within a month are
        discounted as if made at its end. ``lifetimes`` takes a monthly rate and uses a
        30-day month for daily data and 4.345 weeks for weekly data; we take the yearly rate
        of the settings and a calendar-average month, so figures differ slightly.

        Parameters
        ----------
        transaction_model : BetaGeoModel or ParetoNBDModel
            A fitted purchase model on the same time unit as ``recency`` and ``T``.
        frequency, recency, T : array_like
            BTYD summary of each customer.
        monetary_value : array_like
            Mean spend of each customer's repeat transactions (any value when frequency 0).
        horizon_months : int, default 12
        annual_discount_rate : float, default 0.10
        time_unit_days : float, default 7.0
            Days per time unit of ``recency`` and ``T`` (7 for weeks, 1 for days).

        Returns
        -------
        numpy.ndarray
            Discounted CLV per customer, in the currency of ``monetary_value``.
        """
        if int(horizon_months) != horizon_months or horizon_months < 1:
            raise InputError(f"horizon_months must be a whole number >= 1, got {horizon_months!r}")
        if not 0 <= annual_discount_rate < 1:
            raise InputError(f"annual_discount_rate must be in [0, 1), got {annual_discount_rate!r}")
        if not time_unit_days > 0:
            raise InputError(f"time_unit_days must be > 0, got {time_unit_days!r}")
        value = self.conditional_expected_value(frequency, monetary_value)
        step = DAYS_PER_MONTH / float(time_unit_days)
        monthly = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
        total = np.zeros_like(value)
        previous = np.zeros_like(value)
        for k in range(1, int(horizon_months) + 1):
            cumulative = transaction_model.expected_purchases(k * step, frequency, recency, T)
            total += value * (cumulative - previous) / (1.0 + monthly) ** k
            previous = cumulative
        return total

    def log_likelihood(self, frequency, monetary_value) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters."""
        params = self._p()
        x, m = _check_spend(frequency, monetary_value, for_fit=False)
        ll, _ = _gg_loglik_and_grad(params, x, m, need_grad=False)
        return ll
