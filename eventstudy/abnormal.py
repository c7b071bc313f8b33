r"""Abnormal returns, cumulative abnormal returns and their standardisation.

For event ``i`` and event day ``t`` (MacKinlay 1997; Campbell, Lo & MacKinlay
1997, ch. 4):

.. math::

   AR_{it} = R_{it} - \hat E[R_{it}],\qquad
   CAR_i(\tau_1,\tau_2) = \sum_{t=\tau_1}^{\tau_2} AR_{it}

over the days of the window on which the firm has a return.  The prediction
error variance of one day is :math:`\hat\sigma_i^2(1 + c_{0i} + c_{1i}(R_{mt}
-\bar R_{mi})^2)` and that of a CAR over the ``n_w`` days present is the exact
quadratic form

.. math::

   \operatorname{Var}(CAR_i) = \hat\sigma_i^2\Bigl(n_w + c_{0i}\,n_w^2
       + c_{1i}\bigl(\textstyle\sum_{t\in w}(R_{mt}-\bar R_{mi})\bigr)^2\Bigr),

which for the market model (``c0 = 1/L_i``, ``c1 = 1/S_xx``) is
:math:`\gamma' V_i \gamma` with :math:`V_i = \hat\sigma_i^2(I + X^*(X'X)^{-1}X^{*\prime})`
(Campbell, Lo & MacKinlay 1997, eq. 4.4.14-4.4.17).  Standardised values
divide by the square root of these variances (Patell 1976).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from eventstudy.models import ModelFit
from eventstudy.windows import Window

__all__ = ["AbnormalReturns", "compute_abnormal"]

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
    x_event : ndarray (E, W)
        Market returns over the event window.
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
    dx = x_event - fit.xbar[:, None]
    c1 = np.where(np.isnan(fit.c1), 0.0, fit.c1)
    var_ar = fit.sigma2[:, None] * (1.0 + fit.c0[:, None] + c1[:, None] * dx * dx)
    with np.errstate(invalid="ignore", divide="ignore"):
        sar = ar / np.sqrt(var_ar)
    k = len(windows)
    e = ar.shape[0]
    car = np.full((e, k), np.nan)
    var_car = np.full((e, k), np.nan)
    days = np.zeros((e, k), dtype=np.int64)
    miss = np.zeros((e, k), dtype=np.int64)
    ar0 = np.where(present, ar, 0.0)
    dx0 = np.where(present, np.where(np.isnan(dx), 0.0, dx), 0.0)
    # prefix sums make every window O(1) per event
    cs_ar = np.concatenate([np.zeros((e, 1)), np.cumsum(ar0, axis=1)], axis=1)
    cs_n = np.concatenate(
        [np.zeros((e, 1), dtype=np.int64), np.cumsum(present, axis=1, dtype=np.int64)], axis=1
    )
    cs_dx = np.concatenate([np.zeros((e, 1)), np.cumsum(dx0, axis=1)], axis=1)
    t0 = int(taus[0])
    for j, w in enumerate(windows):
        a, b = w.start - t0, w.end - t0 + 1
        n_w = cs_n[:, b] - cs_n[:, a]
        s_ar = cs_ar[:, b] - cs_ar[:, a]
        s_dx = cs_dx[:, b] - cs_dx[:, a]
        nf = n_w.astype(np.float64)
        v = fit.sigma2 * (nf + fit.c0 * nf * nf + c1 * s_dx * s_dx)
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
