r"""Abnormal returns, cumulative abnormal returns and their standardisation.

For event ``i`` and event day ``t`` (MacKinlay 1997; Campbell, Lo & MacKinlay
1997, ch. 4):

.. math::

   AR_{it} = R_{it} - \hat E[R_{it}],\qquad
   CAR_i(\tau_1,\tau_2) = \sum_{t=\tau_1}^{\tau_2} AR_{it}

over the days of the window on which the firm has a return.  With the
prediction vector :math:`x_{0t}` of the model (the market return for the
market model, the factors for a factor model; see :mod:`eventstudy.models`)
and :math:`d_t = x_{0t} - \bar x_i`, the prediction-error variance of one day is

.. math::

   \operatorname{Var}(AR_{it}) = \hat\sigma_i^2\bigl(1 + c_{0i} + d_t'S_i^{-1}d_t\bigr)
   = \hat\sigma_i^2\bigl(1 + z_t'(Z_i'Z_i)^{-1}z_t\bigr)

and that of a CAR over the ``n_w`` days present is the exact quadratic form
:math:`\gamma' V_i \gamma` with :math:`V_i = \hat\sigma_i^2(I + Z^*(Z'Z)^{-1}Z^{*\prime})`:

.. math::

   \operatorname{Var}(CAR_i) = \hat\sigma_i^2\Bigl(n_w + c_{0i}\,n_w^2
       + g_i'S_i^{-1}g_i\Bigr),\qquad g_i = \textstyle\sum_{t\in w} d_t,

(Campbell, Lo & MacKinlay 1997, eq. 4.4.14-4.4.17); for the market model
(``c0 = 1/L_i``, :math:`S^{-1} = 1/S_{xx}`) this is the classic
:math:`n_w + n_w^2/L + (\sum (R_{mt}-\bar R_m))^2/S_{xx}`.  Standardised values
divide by the square root of these variances (Patell 1976).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from eventstudy.models import ModelFit
from eventstudy.windows import Window

__all__ = ["AbnormalReturns", "car_variance", "compute_abnormal"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AbnormalReturns:
    """Arrays of one study (events x event days, events x CAR windows)."""

    ar: FloatArray  # (E, W) abnormal returns, NaN where no return
    var_ar: FloatArray  # (E, W) prediction-error variance of each AR
    sar: FloatArray  # (E, W) standardised AR
    car: FloatArray  # (E, K) CAR per window
    var_car: FloatArray  # (E, K) exact variance of each CAR
    scar: FloatArray  # (E, K) standardised CAR
    car_days: NDArray[np.int64]  # (E, K) days with a return inside each window
    car_missing: NDArray[np.int64]  # (E, K) days without a return inside each window


def compute_abnormal(
    fit: ModelFit,
    ar: FloatArray,
    x_event: FloatArray,
    taus: NDArray[np.int64],
    windows: tuple[Window, ...],
    *,
    car_missing: str = "present",
) -> AbnormalReturns:
    """Standardise ARs and build CARs for every window, vectorised over events.

    Parameters
    ----------
    fit : ModelFit
        Fitted model (one row per event).
    ar : ndarray (E, W)
        Abnormal returns over the event window (NaN where the firm has no return).
    x_event : ndarray (E, W) or (E, W, p)
        The model's regressors over the event window (market returns for the
        market model), as gathered for :meth:`NormalReturnModel.abnormal`.
    taus : ndarray (W,)
        Event days of the columns.
    windows : tuple of Window
        CAR windows.
    car_missing : {"present", "drop"}
        ``present`` sums the days present and reports how many are missing;
        ``drop`` gives NaN for a CAR with any missing day (the convention of
        estudy2 and eventstudies).
    """
    present = ~np.isnan(ar)
    x0 = fit.predictors(x_event)
    q = x0.shape[-1]
    dx = x0 - fit.xbar[:, None, :]
    if q == 1:  # the market model's expression, operation for operation
        c1 = np.where(np.isnan(fit.sinv[:, 0, 0]), 0.0, fit.sinv[:, 0, 0])
        d1 = dx[..., 0]
        var_ar = fit.sigma2[:, None] * (1.0 + fit.c0[:, None] + c1[:, None] * d1 * d1)
    else:
        quad = np.einsum("ewi,eij,ewj->ew", dx, fit.sinv, dx) if q else 0.0
        var_ar = fit.sigma2[:, None] * (1.0 + fit.c0[:, None] + quad)
    with np.errstate(invalid="ignore", divide="ignore"):
        sar = ar / np.sqrt(var_ar)
    k = len(windows)
    e = ar.shape[0]
    car = np.full((e, k), np.nan)
    var_car = np.full((e, k), np.nan)
    days = np.zeros((e, k), dtype=np.int64)
    miss = np.zeros((e, k), dtype=np.int64)
    ar0 = np.where(present, ar, 0.0)
    dx0 = np.where(present[..., None], np.where(np.isnan(dx), 0.0, dx), 0.0)
    # prefix sums make every window O(1) per event
    cs_ar = np.concatenate([np.zeros((e, 1)), np.cumsum(ar0, axis=1)], axis=1)
    cs_n = np.concatenate(
        [np.zeros((e, 1), dtype=np.int64), np.cumsum(present, axis=1, dtype=np.int64)], axis=1
    )
    cs_dx = np.concatenate([np.zeros((e, 1, q)), np.cumsum(dx0, axis=1)], axis=1)
    t0 = int(taus[0])
    for j, w in enumerate(windows):
        a, b = w.start - t0, w.end - t0 + 1
        n_w = cs_n[:, b] - cs_n[:, a]
        s_ar = cs_ar[:, b] - cs_ar[:, a]
        v = _window_var(fit, n_w.astype(np.float64), cs_dx[:, b] - cs_dx[:, a])
        ok = n_w > 0
        if car_missing == "drop":
            ok &= n_w == w.length
        elif car_missing != "present":
            raise ValueError(f"car_missing must be 'present' or 'drop', got {car_missing!r}")
        car[:, j] = np.where(ok, s_ar, np.nan)
        var_car[:, j] = np.where(ok, v, np.nan)
        days[:, j] = n_w
        miss[:, j] = w.length - n_w
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = car / np.sqrt(var_car)
    return AbnormalReturns(ar, var_ar, sar, car, var_car, scar, days, miss)


def _window_var(fit: ModelFit, nf: FloatArray, g: FloatArray) -> FloatArray:
    """sigma^2 (n_w + c0 n_w^2 + g' S^-1 g) for the summed deviations ``g`` (E, q)."""
    q = g.shape[-1]
    if q == 1:  # the market model's expression, operation for operation
        c1 = np.where(np.isnan(fit.sinv[:, 0, 0]), 0.0, fit.sinv[:, 0, 0])
        s_dx = g[:, 0]
        return np.asarray(fit.sigma2 * (nf + fit.c0 * nf * nf + c1 * s_dx * s_dx))
    quad = np.einsum("ei,eij,ej->e", g, fit.sinv, g) if q else 0.0
    return np.asarray(fit.sigma2 * (nf + fit.c0 * nf * nf + quad))


def car_variance(fit: ModelFit, x_event: FloatArray, days: NDArray[np.bool_]) -> FloatArray:
    r"""Exact variance :math:`\gamma'V_i\gamma` of the sum of ARs over ``days`` (E, W) per event.

    ``x_event`` are the gathered event-window regressors, as for
    :func:`compute_abnormal`; a day outside ``days`` contributes nothing.
    """
    x0 = fit.predictors(x_event)
    dx = x0 - fit.xbar[:, None, :]
    n_w = days.sum(axis=1).astype(float)
    if dx.shape[-1] == 1:  # the market model's expression, operation for operation
        d1 = np.where(days, dx[..., 0], 0.0)
        c1 = np.where(np.isnan(fit.sinv[:, 0, 0]), 0.0, fit.sinv[:, 0, 0])
        return np.asarray(fit.sigma2 * (n_w + fit.c0 * n_w * n_w + c1 * d1.sum(axis=1) ** 2))
    g = np.where(days[..., None], np.where(np.isnan(dx), 0.0, dx), 0.0).sum(axis=1)
    return _window_var(fit, n_w, g)
