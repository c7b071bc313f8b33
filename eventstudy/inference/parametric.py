r"""Parametric tests: cross-sectional t, Patell Z and BMP."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from eventstudy.inference.base import (
    EventTest,
    TestColumns,
    TestData,
    register,
    t_statistic,
)

__all__ = ["BMP", "CrossSectionalT", "PatellZ"]


@register
class CrossSectionalT(EventTest):
    r"""Cross-sectional t test of the mean abnormal return.

    .. math::

       t = \frac{\overline{AR}_t}{s_t/\sqrt{N_t}},\qquad
       s_t^2 = \frac{1}{N_t-1}\sum_i (AR_{it}-\overline{AR}_t)^2,

    Student t with :math:`N_t-1` degrees of freedom; the same on
    :math:`CAR_i(\tau_1,\tau_2)` for a window.  It uses only the cross-section
    of the event day, so it is robust to event-induced variance but assumes
    independent events (no clustering of dates).
    Reference: Brown & Warner (1985); Boehmer, Musumeci & Poulsen (1991);
    MacKinlay (1997).
    """

    name = "csect_t"
    distribution = "t"
    null = "mean abnormal return is zero"
    reference = "Brown & Warner (1985); Boehmer, Musumeci & Poulsen (1991)"

    def daily(self, data: TestData) -> TestColumns:
        return t_statistic(data.ar)

    def window(self, data: TestData) -> TestColumns:
        return t_statistic(data.car)


def _patell(s: NDArray[np.float64], dof: NDArray[np.int64]) -> TestColumns:
    present = ~np.isnan(s)
    usable = present & (dof[:, None] > 2)
    n = usable.sum(axis=0).astype(np.int64)
    dfl = dof.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(dfl > 2, dfl / (dfl - 2.0), np.nan)
    num = np.where(usable, s, 0.0).sum(axis=0)
    den = np.sqrt(np.where(usable, w[:, None], 0.0).sum(axis=0))
    ok = n >= 1
    reason: list[str | None] = [
        None if k else "no event with data and more than 2 residual degrees of freedom" for k in ok
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(ok, num / den, np.nan)
    p = np.where(ok, 2.0 * stats.norm.sf(np.abs(z)), np.nan)
    return TestColumns(z, p, np.full(len(n), np.nan), n, reason)


@register
class PatellZ(EventTest):
    r"""Patell (1976) standardised-residual test.

    Each abnormal return is divided by its prediction-error standard
    deviation, :math:`SAR_{it} = AR_{it}/\hat\sigma_{AR_{it}}`, which under
    the null follows a Student t with :math:`d_i = L_i - k` degrees of freedom
    (``k = 2`` for the market model) and so has variance :math:`d_i/(d_i-2)`:

    .. math::

       Z_t = \frac{\sum_i SAR_{it}}{\sqrt{\sum_i d_i/(d_i-2)}} \sim N(0,1).

    For a window, :math:`SCAR_i = CAR_i/\sqrt{\gamma' V_i \gamma}` takes the
    place of :math:`SAR_{it}`.  Assumes no event-induced variance and
    independent events.  Reference: Patell (1976); Campbell, Lo & MacKinlay
    (1997), eq. 4.4.22-4.4.24 (J2).
    """

    name = "patell"
    distribution = "normal"
    null = "mean standardised abnormal return is zero"
    reference = "Patell (1976)"

    def daily(self, data: TestData) -> TestColumns:
        return _patell(data.sar, data.dof)

    def window(self, data: TestData) -> TestColumns:
        return _patell(data.scar, data.dof)


@register
class BMP(EventTest):
    r"""Boehmer, Musumeci & Poulsen (1991) standardised cross-sectional test.

    .. math::

       t = \frac{\overline{SAR}_t}{s(SAR_t)/\sqrt{N_t}},

    Student t with :math:`N_t-1` degrees of freedom; on :math:`SCAR_i` for a
    window.  Robust to event-induced variance; assumes independent events
    (see ``bmp_kp`` for clustered dates).  Reference: Boehmer, Musumeci &
    Poulsen (1991), J. Financial Economics 30, 253-272.
    """

    name = "bmp"
    distribution = "t"
    null = "mean standardised abnormal return is zero"
    reference = "Boehmer, Musumeci & Poulsen (1991)"

    def daily(self, data: TestData) -> TestColumns:
        return t_statistic(data.sar)

    def window(self, data: TestData) -> TestColumns:
        return t_statistic(data.scar)
