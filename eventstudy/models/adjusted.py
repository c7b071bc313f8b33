r"""Models without a slope: market-adjusted and constant-mean returns."""

from __future__ import annotations

import numpy as np

from eventstudy.models.base import FloatArray, ModelFit, NormalReturnModel, _safe_div

__all__ = ["ConstantMean", "MarketAdjusted"]


def _no_regressors(e: int) -> tuple[FloatArray, FloatArray]:
    return np.zeros((e, 0)), np.zeros((e, 0, 0))


class MarketAdjusted(NormalReturnModel):
    r"""Market-adjusted returns :math:`AR_{it} = R_{it} - R_{mt}`.

    Nothing is estimated; :math:`\hat\sigma_i^2` is the variance of the
    estimation-window abnormal returns with divisor :math:`L_i - 1`, and the
    prediction error carries no estimation error (``c0 = 0``, no regressors).
    Reference: Brown & Warner (1980, 1985); MacKinlay (1997).
    """

    name = "market-adjusted"

    @property
    def k(self) -> int:
        return 1

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        if x.ndim == 3:
            x = x[..., 0]
        mask, n = self._complete(y, x)
        nf = n.astype(np.float64)
        d = np.where(mask, y - x, 0.0)
        mean = _safe_div(d.sum(axis=1), nf)
        dc = np.where(mask, d - mean[:, None], 0.0)
        dof = n - self.k
        sigma2 = _safe_div(np.einsum("ij,ij->i", dc, dc), dof.astype(np.float64))
        nanv = np.full_like(nf, np.nan)
        xbar, sinv = _no_regressors(len(nf))
        return ModelFit(
            alpha=nanv,
            beta=nanv.copy(),
            sigma2=sigma2,
            n=n,
            dof=dof,
            c0=np.zeros_like(nf),
            xbar=xbar,
            sinv=sinv,
            degenerate=np.zeros(len(nf), dtype=bool),
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        if x.ndim == 3:
            x = x[..., 0]
        return y - x


class ConstantMean(NormalReturnModel):
    r"""Constant-mean-return model :math:`AR_{it} = R_{it} - \bar R_i`.

    :math:`\bar R_i` and :math:`\hat\sigma_i^2` (divisor :math:`L_i - 1`) from
    the estimation window; ``c0 = 1/L``, no regressors.  Reference: Brown &
    Warner (1980); Campbell, Lo & MacKinlay (1997), 4.4.1.  The estimation
    window uses days on which both the firm and the market have a return,
    like the other models, so that all models in a study see the same days.
    ``events.csv`` adds ``se_alpha`` :math:`= \hat\sigma_i/\sqrt{L_i}`.
    """

    name = "constant-mean"

    @property
    def k(self) -> int:
        return 1

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        if x.ndim == 3:
            x = x[..., 0]
        mask, n = self._complete(y, x)
        nf = n.astype(np.float64)
        ym = np.where(mask, y, 0.0)
        mean = _safe_div(ym.sum(axis=1), nf)
        yc = np.where(mask, y - mean[:, None], 0.0)
        dof = n - self.k
        sigma2 = _safe_div(np.einsum("ij,ij->i", yc, yc), dof.astype(np.float64))
        c0 = _safe_div(np.ones_like(nf), nf)
        xbar, sinv = _no_regressors(len(nf))
        return ModelFit(
            alpha=mean,
            beta=np.full_like(nf, np.nan),
            sigma2=sigma2,
            n=n,
            dof=dof,
            c0=c0,
            xbar=xbar,
            sinv=sinv,
            degenerate=np.zeros(len(nf), dtype=bool),
            columns={"se_alpha": np.sqrt(sigma2 * c0)},
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        return y - fit.alpha[:, None]
