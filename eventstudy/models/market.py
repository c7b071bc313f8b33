r"""Market models: OLS, Scholes-Williams (1977) and Dimson (1979) betas.

All three predict the normal return from the market index
:math:`R_{mt}`.  OLS uses the same-day market return only; the two
thin-trading estimators also use the market's returns of the adjacent
sessions, taken from the market's own series, so that the lag of the first
estimation day and the lead of the last are the sessions just outside the
window.  Formulas, conventions and the variances are in ``docs/methodology.md``
(section 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from eventstudy.exceptions import EventStudyError
from eventstudy.models.base import (
    FloatArray,
    ModelFit,
    NormalReturnModel,
    Regressors,
    _safe_div,
    ols_batch,
)

__all__ = ["Dimson", "MarketModel", "ScholesWilliams", "market_ols", "shifted"]


def shifted(m: FloatArray, k: int) -> FloatArray:
    """``out[t] = m[t + k]`` on the same dates (NaN where ``t + k`` is outside)."""
    out = np.full(m.shape, np.nan)
    t = len(m)
    if k >= 0:
        out[: t - k] = m[k:]
    else:
        out[-k:] = m[: t + k]
    return out


class MarketModel(NormalReturnModel):
    r"""Market model :math:`R_{it} = \alpha_i + \beta_i R_{mt} + \varepsilon_{it}` by OLS.

    :math:`\hat\sigma_i^2 = \sum_t \hat\varepsilon_{it}^2 / (L_i - 2)`;
    :math:`\operatorname{Var}(AR_{it}) = \hat\sigma_i^2(1 + 1/L_i + (R_{mt} -
    \bar R_{mi})^2/S_{xx,i})`.  A specialised path of the general solver
    (:func:`~eventstudy.models.base.ols_batch` gives the same numbers to
    rounding).  Reference: MacKinlay (1997), section 4; Campbell, Lo &
    MacKinlay (1997), 4.4.
    """

    name = "market"
    degenerate_key = "flat_market"

    @property
    def k(self) -> int:
        return 2

    @property
    def coef_names(self) -> tuple[str, ...]:
        return ()

    @property
    def label(self) -> str:
        return "market (OLS on the market index)"

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        if x.ndim == 3:
            x = x[..., 0]
        alpha, beta, ssr, sxx, raw, n, xbar = market_ols(y, x)
        dof = n - self.k
        sigma2 = _safe_div(ssr, dof.astype(np.float64))
        flat = ~(sxx > 0) | ~(sxx > 1e-20 * raw)
        return _one_regressor_fit(alpha, beta, sigma2, n, dof, sxx, xbar, flat, pred=0)

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        if x.ndim == 3:
            x = x[..., 0]
        return y - fit.alpha[:, None] - fit.beta[:, None] * x


#: Events per block of :func:`market_ols`: its (block x days) temporaries stay in
#: the processor's cache, so each pass over them is not a pass over main memory.
FIT_BLOCK = 512


def market_ols(
    y: FloatArray, x: FloatArray
) -> tuple[
    FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, NDArray[np.int64], FloatArray
]:
    r"""OLS of ``y`` on a constant and ``x`` per row, over the rows' complete cases.

    Returns ``alpha, beta, ssr, sxx, raw, n, xbar``: with :math:`\bar x, \bar y`
    the means over the ``n`` complete days, :math:`S_{xx} = \sum (x-\bar x)^2`,
    :math:`\hat\beta = \sum (x-\bar x)(y-\bar y)/S_{xx}`,
    :math:`\hat\alpha = \bar y - \hat\beta\bar x`, the residual sum of squares
    :math:`\sum ((y-\bar y) - \hat\beta (x-\bar x))^2` and the raw
    :math:`\sum x^2`.  Centred two-pass sums (no cancellation), computed on
    blocks of :data:`FIT_BLOCK` rows with in-place temporaries: the numbers do
    not depend on the block size.
    """
    e, d = y.shape
    alpha, beta, ssr, sxx, raw, xbar = (np.empty(e) for _ in range(6))
    n = np.empty(e, dtype=np.int64)
    for lo in range(0, e, FIT_BLOCK):
        hi = min(lo + FIT_BLOCK, e)
        miss = np.isnan(y[lo:hi])
        miss |= np.isnan(x[lo:hi])
        nb = d - np.count_nonzero(miss, axis=1).astype(np.int64)
        nf = nb.astype(np.float64)
        xc = np.where(miss, 0.0, x[lo:hi])
        yc = np.where(miss, 0.0, y[lo:hi])
        raw[lo:hi] = np.einsum("ij,ij->i", xc, xc)
        xb = _safe_div(xc.sum(axis=1), nf)
        yb = _safe_div(yc.sum(axis=1), nf)
        np.subtract(xc, xb[:, None], out=xc)  # centred on the complete days, 0 elsewhere
        np.copyto(xc, 0.0, where=miss)
        np.subtract(yc, yb[:, None], out=yc)
        np.copyto(yc, 0.0, where=miss)
        s_xx = np.einsum("ij,ij->i", xc, xc)
        b = _safe_div(np.einsum("ij,ij->i", xc, yc), s_xx)
        np.multiply(xc, b[:, None], out=xc)
        np.subtract(yc, xc, out=yc)  # residuals
        ssr[lo:hi] = np.einsum("ij,ij->i", yc, yc)
        alpha[lo:hi] = yb - b * xb
        beta[lo:hi], sxx[lo:hi], n[lo:hi], xbar[lo:hi] = b, s_xx, nb, xb
    return alpha, beta, ssr, sxx, raw, n, xbar


def _one_regressor_fit(
    alpha: FloatArray,
    beta: FloatArray,
    sigma2: FloatArray,
    n: NDArray[np.int64],
    dof: NDArray[np.int64],
    sxx: FloatArray,
    xbar: FloatArray,
    degenerate: NDArray[np.bool_],
    *,
    pred: int,
    extra: dict[str, FloatArray] | None = None,
) -> ModelFit:
    """The :class:`ModelFit` of a model with one market regressor (column ``pred``).

    ``c0 = 1/n`` and ``(X'X)^{-1}`` of the centred regressor is ``1/Sxx``, so
    se(alpha) = sigma * sqrt(1/n + xbar^2/Sxx) and se(beta) = sigma / sqrt(Sxx).
    """
    nf = n.astype(np.float64)
    c0 = _safe_div(np.ones_like(nf), nf)
    c1 = _safe_div(np.ones_like(sxx), sxx)
    return ModelFit(
        alpha=alpha,
        beta=beta,
        sigma2=sigma2,
        n=n,
        dof=dof,
        c0=c0,
        xbar=xbar[:, None],
        sinv=c1[:, None, None],
        degenerate=degenerate,
        pred=(pred,),
        names=("MKT",),
        columns={
            "se_alpha": np.sqrt(sigma2 * (c0 + c1 * xbar * xbar)),
            "se_beta": np.sqrt(sigma2 * c1),
            **(extra or {}),
        },
    )


@dataclass(frozen=True)
class ScholesWilliams(NormalReturnModel):
    r"""Scholes & Williams (1977) beta for non-synchronous trading.

    .. math::

       \hat\beta_i^{SW} = \frac{\hat\beta_i^{-1} + \hat\beta_i^{0} + \hat\beta_i^{+1}}
                              {1 + 2\hat\rho_m},
       \qquad \hat\alpha_i^{SW} = \bar R_i - \hat\beta_i^{SW}\bar R_m,

    where :math:`\hat\beta_i^{j}` is the simple OLS slope of :math:`R_{it}` on
    :math:`R_{m,t+j}` over the estimation days on which the firm has a return
    (the market's lag and lead from the adjacent sessions, also just outside
    the window), and :math:`\hat\rho_m` the correlation of :math:`R_{mt}` with
    :math:`R_{m,t-1}` over all sessions of the estimation window (a property
    of the market, estimated on every day available).  The means in
    :math:`\hat\alpha` are over the firm's estimation days.

    ``AR = R - α̂ - β̂ R_mt``;  :math:`\hat\sigma^2 = \sum AR^2/(L-2)` over the
    estimation days and the prediction-error variance takes the market-model
    form :math:`\hat\sigma^2(1 + 1/L + (R_{mt}-\bar R_m)^2/S_{xx})`, i.e. the
    SW estimates are treated as if they had the OLS sampling variance.  This
    is an approximation (the sampling variance of :math:`\hat\beta^{SW}` is
    not an OLS quadratic form), stated in ``docs/methodology.md``.

    ``events.csv`` adds ``beta_lag1``, ``beta_0``, ``beta_lead1`` (the three
    slopes) and ``rho_m``.  The design is degenerate (event excluded) when
    the market is constant over the firm's days or :math:`1 + 2\hat\rho_m \le 0`.
    """

    name: ClassVar[str] = "scholes-williams"
    degenerate_key: ClassVar[str] = "sw_undefined"

    @property
    def k(self) -> int:
        return 2

    @property
    def label(self) -> str:
        return "scholes-williams (beta from the market's lag, same day and lead)"

    def regressors(self, panel: Any) -> Regressors:
        m = np.asarray(panel.market, dtype=np.float64)
        return Regressors(np.column_stack([shifted(m, -1), m, shifted(m, 1)]))

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        if x.ndim != 3 or x.shape[-1] != 3:
            raise EventStudyError(
                "scholes-williams needs the market's lag, same-day and lead returns "
                "(regressors from ScholesWilliams().regressors(panel))"
            )
        m_lag, m0, m_lead = x[..., 0], x[..., 1], x[..., 2]
        # the three simple slopes, each over its own complete days (market_ols)
        _, b_lag, _, s_lag, *_ = market_ols(y, m_lag)
        _, b0, *_ = market_ols(y, m0)
        _, b_lead, _, s_lead, *_ = market_ols(y, m_lead)
        # rho_m over every session of the window where both returns exist
        both = ~(np.isnan(m0) | np.isnan(m_lag))
        nb = both.sum(axis=1).astype(np.float64)
        a0 = np.where(both, m0, 0.0)
        a1 = np.where(both, m_lag, 0.0)
        c0_ = np.where(both, m0 - _safe_div(a0.sum(axis=1), nb)[:, None], 0.0)
        c1_ = np.where(both, m_lag - _safe_div(a1.sum(axis=1), nb)[:, None], 0.0)
        rho = _safe_div(
            np.einsum("ij,ij->i", c0_, c1_),
            np.sqrt(np.einsum("ij,ij->i", c0_, c0_) * np.einsum("ij,ij->i", c1_, c1_)),
        )
        denom = 1.0 + 2.0 * rho
        beta = _safe_div(b_lag + b0 + b_lead, denom)
        mask, n = self._complete(y, m0)
        nf = n.astype(np.float64)
        xbar = _safe_div(np.where(mask, m0, 0.0).sum(axis=1), nf)
        ybar = _safe_div(np.where(mask, y, 0.0).sum(axis=1), nf)
        alpha = ybar - beta * xbar
        xc = np.where(mask, m0 - xbar[:, None], 0.0)
        sxx = np.einsum("ij,ij->i", xc, xc)
        raw = np.einsum("ij,ij->i", np.where(mask, m0, 0.0), np.where(mask, m0, 0.0))
        resid = np.where(mask, y - alpha[:, None] - beta[:, None] * m0, 0.0)
        dof = n - self.k
        sigma2 = _safe_div(np.einsum("ij,ij->i", resid, resid), dof.astype(np.float64))
        flat = ~(sxx > 1e-20 * raw) | ~(sxx > 0) | ~(s_lag > 0) | ~(s_lead > 0)
        bad = flat | ~(denom > 0) | ~np.isfinite(beta)
        return _one_regressor_fit(
            alpha,
            beta,
            sigma2,
            n,
            dof,
            sxx,
            xbar,
            bad,
            pred=1,
            extra={"beta_lag1": b_lag, "beta_0": b0, "beta_lead1": b_lead, "rho_m": rho},
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        return y - fit.alpha[:, None] - fit.beta[:, None] * x[..., 1]


@dataclass(frozen=True)
class Dimson(NormalReturnModel):
    r"""Dimson (1979) aggregated-coefficients beta.

    Per event, the multiple regression

    .. math::

       R_{it} = \alpha_i + \sum_{j=-\text{lags}}^{\text{leads}} \beta_{ij} R_{m,t+j}
                + \varepsilon_{it}

    over the complete estimation days (the lagged and leading market returns
    come from the adjacent sessions, also outside the window), and
    :math:`\hat\beta_i = \sum_j \hat\beta_{ij}` (``beta``).

    Parameters
    ----------
    lags, leads : int
        Number of lagged and leading market returns (default 1 each).
    ar : {"sum", "full"}
        ``"sum"`` (default, the usual event-study use of the Dimson beta):
        :math:`AR_{it} = R_{it} - \hat\alpha_i - \hat\beta_i R_{mt}`, with
        :math:`\operatorname{Var}(AR_{it}) = \hat\sigma_i^2(1 + c_t'(Z'Z)^{-1}c_t)`,
        :math:`c_t = (1, R_{mt}, \dots, R_{mt})` (the exact variance of the
        estimated linear combination).  ``"full"``: the regression's own
        fitted value, :math:`AR_{it} = R_{it} - \hat\alpha_i - \sum_j
        \hat\beta_{ij} R_{m,t+j}` (uses the market's lead inside the event
        window), with the OLS prediction-error variance.

    Notes
    -----
    ``events.csv`` adds ``coef_MKT_lag<j>``, ``coef_MKT``, ``coef_MKT_lead<j>``
    and their ``se_``; ``se_beta`` is :math:`\hat\sigma\sqrt{\iota'S^{-1}\iota}`.
    """

    lags: int = 1
    leads: int = 1
    ar: str = "sum"

    name: ClassVar[str] = "dimson"

    def __post_init__(self) -> None:
        for arg in ("lags", "leads"):
            v = getattr(self, arg)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 20:
                raise EventStudyError(f"dimson: {arg} must be an integer in 0..20, got {v!r}")
        if self.ar not in ("sum", "full"):
            raise EventStudyError(f"dimson: ar must be 'sum' or 'full', got {self.ar!r}")

    @property
    def k(self) -> int:
        return self.lags + self.leads + 2

    @property
    def _shifts(self) -> list[int]:
        return list(range(-int(self.lags), int(self.leads) + 1))

    @property
    def coef_names(self) -> tuple[str, ...]:
        return tuple(
            "MKT" if j == 0 else (f"MKT_lag{-j}" if j < 0 else f"MKT_lead{j}") for j in self._shifts
        )

    @property
    def options(self) -> dict[str, Any]:
        return {"lags": int(self.lags), "leads": int(self.leads), "ar": self.ar}

    @property
    def label(self) -> str:
        return (
            f"dimson (lags={self.lags}, leads={self.leads}, beta = sum of "
            f"{len(self._shifts)} coefficients, AR convention '{self.ar}')"
        )

    def regressors(self, panel: Any) -> Regressors:
        m = np.asarray(panel.market, dtype=np.float64)
        return Regressors(np.column_stack([shifted(m, j) for j in self._shifts]))

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        p = len(self._shifts)
        if x.ndim != 3 or x.shape[-1] != p:
            raise EventStudyError(
                f"dimson needs {p} market columns (regressors from Dimson(...).regressors(panel))"
            )
        r = ols_batch(y, x)
        j0 = int(self.lags)
        beta = r.coef.sum(axis=1)
        ones = np.ones(p)
        se = r.se()
        cols: dict[str, FloatArray] = {
            "se_alpha": r.se_alpha(),
            "se_beta": np.sqrt(r.sigma2 * np.einsum("i,eij,j->e", ones, r.sinv, ones)),
        }
        for j, nm in enumerate(self.coef_names):
            cols[f"coef_{nm}"] = r.coef[:, j]
            cols[f"se_{nm}"] = se[:, j]
        return ModelFit(
            alpha=r.alpha,
            beta=beta,
            sigma2=r.sigma2,
            n=r.n,
            dof=r.dof,
            c0=_safe_div(1.0, r.n.astype(np.float64)),
            xbar=r.xbar,
            sinv=r.sinv,
            degenerate=r.degenerate,
            pred=(j0,) * p if self.ar == "sum" else tuple(range(p)),
            names=self.coef_names,
            columns=cols,
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        if self.ar == "sum":
            return y - fit.alpha[:, None] - fit.beta[:, None] * x[..., int(self.lags)]
        out = y - fit.alpha[:, None]
        for j, nm in enumerate(self.coef_names):  # one (E, D) pass per regressor, contiguous
            out -= fit.columns[f"coef_{nm}"][:, None] * x[..., j]
        return out
