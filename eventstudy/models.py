r"""Normal-return models, fitted for all events at once.

Every model works on aligned arrays: ``y`` and ``x`` are (events x days)
matrices of firm and market returns over the estimation window, with NaN
where a return is missing.  Only complete (firm, market) cases are used, so
``L_i`` is the number of days where both returns exist.

All three models give prediction errors whose covariance over event days
``t, s`` has the form

.. math::

   \operatorname{Cov}(AR_{it}, AR_{is}) = \hat\sigma_i^2\,\bigl(\mathbf 1[t=s]
       + c_{0i} + c_{1i}\,(R_{mt}-\bar R_{mi})(R_{ms}-\bar R_{mi})\bigr),

with ``c0 = 1/L`` and ``c1 = 1/S_xx`` for the market model (MacKinlay 1997,
eq. 8; Campbell, Lo & MacKinlay 1997, sec. 4.4.3), ``c0 = 1/L, c1 = 0`` for
the constant-mean model and ``c0 = c1 = 0`` for the market-adjusted model.
That makes the variance of a CAR an exact quadratic form
:math:`\gamma' V \gamma` that can be evaluated from three sums.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from eventstudy.exceptions import EventStudyError

__all__ = [
    "MODELS",
    "ConstantMean",
    "MarketAdjusted",
    "MarketModel",
    "ModelFit",
    "NormalReturnModel",
    "get_model",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ModelFit:
    """Per-event parameters of a fitted normal-return model (arrays of length E).

    ``alpha`` and ``beta`` are NaN where the model has no such parameter;
    ``sigma2`` is the residual variance with divisor ``dof``; ``n`` is
    ``L_i``, the number of complete estimation days; ``xbar`` and ``sxx`` are
    the mean and centred sum of squares of the market return over them;
    ``c0``/``c1`` are the prediction-error coefficients (module docstring).
    """

    alpha: FloatArray
    beta: FloatArray
    sigma2: FloatArray
    n: NDArray[np.int64]
    dof: NDArray[np.int64]
    xbar: FloatArray
    sxx: FloatArray
    c0: FloatArray
    c1: FloatArray


class NormalReturnModel(ABC):
    """A normal-return model: estimation on arrays, then abnormal returns."""

    name: ClassVar[str]
    #: parameters estimated from the firm's returns (the divisor is L - k)
    k: ClassVar[int]

    @abstractmethod
    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        """Fit on (events x days) arrays ``y`` (firm) and ``x`` (market)."""

    @abstractmethod
    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        """Abnormal returns on (events x days) event-window arrays."""

    @staticmethod
    def _complete(y: FloatArray, x: FloatArray) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        mask = ~(np.isnan(y) | np.isnan(x))
        return mask, mask.sum(axis=1).astype(np.int64)


def _safe_div(a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / b
    return np.asarray(out, dtype=np.float64)


class MarketModel(NormalReturnModel):
    r"""Market model :math:`R_{it} = \alpha_i + \beta_i R_{mt} + \varepsilon_{it}` by OLS.

    :math:`\hat\sigma_i^2 = \sum_t \hat\varepsilon_{it}^2 / (L_i - 2)`.
    Reference: MacKinlay (1997), section 4; Campbell, Lo & MacKinlay (1997), 4.4.
    """

    name = "market"
    k = 2

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        mask, n = self._complete(y, x)
        nf = n.astype(np.float64)
        ym = np.where(mask, y, 0.0)
        xm = np.where(mask, x, 0.0)
        xbar = _safe_div(xm.sum(axis=1), nf)
        ybar = _safe_div(ym.sum(axis=1), nf)
        xc = np.where(mask, x - xbar[:, None], 0.0)
        yc = np.where(mask, y - ybar[:, None], 0.0)
        sxx = np.einsum("ij,ij->i", xc, xc)
        sxy = np.einsum("ij,ij->i", xc, yc)
        beta = _safe_div(sxy, sxx)
        alpha = ybar - beta * xbar
        resid = yc - beta[:, None] * xc
        ssr = np.einsum("ij,ij->i", resid, resid)
        dof = n - self.k
        sigma2 = _safe_div(ssr, dof.astype(np.float64))
        return ModelFit(
            alpha,
            beta,
            sigma2,
            n,
            dof,
            xbar,
            sxx,
            _safe_div(np.ones_like(nf), nf),
            _safe_div(np.ones_like(sxx), sxx),
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        return y - fit.alpha[:, None] - fit.beta[:, None] * x


class MarketAdjusted(NormalReturnModel):
    r"""Market-adjusted returns :math:`AR_{it} = R_{it} - R_{mt}`.

    Nothing is estimated; :math:`\hat\sigma_i^2` is the variance of the
    estimation-window abnormal returns with divisor :math:`L_i - 1`, and the
    prediction error carries no estimation error (``c0 = c1 = 0``).
    Reference: Brown & Warner (1980, 1985); MacKinlay (1997).
    """

    name = "market-adjusted"
    k = 1

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        mask, n = self._complete(y, x)
        nf = n.astype(np.float64)
        d = np.where(mask, y - x, 0.0)
        mean = _safe_div(d.sum(axis=1), nf)
        dc = np.where(mask, d - mean[:, None], 0.0)
        dof = n - self.k
        sigma2 = _safe_div(np.einsum("ij,ij->i", dc, dc), dof.astype(np.float64))
        xbar = _safe_div(np.where(mask, x, 0.0).sum(axis=1), nf)
        nanv = np.full_like(nf, np.nan)
        zero = np.zeros_like(nf)
        return ModelFit(nanv, nanv.copy(), sigma2, n, dof, xbar, nanv.copy(), zero, zero.copy())

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        return y - x


class ConstantMean(NormalReturnModel):
    r"""Constant-mean-return model :math:`AR_{it} = R_{it} - \bar R_i`.

    :math:`\bar R_i` and :math:`\hat\sigma_i^2` (divisor :math:`L_i - 1`) from
    the estimation window; ``c0 = 1/L``.  Reference: Brown & Warner (1980);
    Campbell, Lo & MacKinlay (1997), 4.4.1.  The estimation window uses days
    on which both the firm and the market have a return, like the other models,
    so that all models in a study see the same days.
    """

    name = "constant-mean"
    k = 1

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        mask, n = self._complete(y, x)
        nf = n.astype(np.float64)
        ym = np.where(mask, y, 0.0)
        mean = _safe_div(ym.sum(axis=1), nf)
        yc = np.where(mask, y - mean[:, None], 0.0)
        dof = n - self.k
        sigma2 = _safe_div(np.einsum("ij,ij->i", yc, yc), dof.astype(np.float64))
        xbar = _safe_div(np.where(mask, x, 0.0).sum(axis=1), nf)
        nanv = np.full_like(nf, np.nan)
        return ModelFit(
            mean,
            nanv,
            sigma2,
            n,
            dof,
            xbar,
            nanv.copy(),
            _safe_div(np.ones_like(nf), nf),
            np.zeros_like(nf),
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        return y - fit.alpha[:, None]


MODELS: dict[str, type[NormalReturnModel]] = {
    cls.name: cls for cls in (MarketModel, MarketAdjusted, ConstantMean)
}


def get_model(name: str | NormalReturnModel) -> NormalReturnModel:
    """Return a model instance by name (``market``, ``market-adjusted``, ``constant-mean``)."""
    if isinstance(name, NormalReturnModel):
        return name
    key = str(name).strip().lower().replace("_", "-")
    aliases = {
        "market-model": "market",
        "mm": "market",
        "sim": "market",
        "mean-adjusted": "constant-mean",
        "constant-mean-return": "constant-mean",
        "market-adj": "market-adjusted",
        "excess-return": "market-adjusted",
    }
    key = aliases.get(key, key)
    if key not in MODELS:
        raise EventStudyError(f"model {name!r} is not known; choose one of {sorted(MODELS)}")
    return MODELS[key]()
