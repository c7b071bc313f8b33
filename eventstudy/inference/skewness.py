r"""The skewness-adjusted t (Hall 1992; Lyon, Barber & Tsai 1999)."""

from __future__ import annotations

import numpy as np

from eventstudy.inference.base import (
    EventTest,
    FloatArray,
    TestColumns,
    TestData,
    col_mean_sd,
    count_message,
    finish,
    reasons,
    register,
)

__all__ = ["SkewnessAdjustedT"]


def _skew_t(x: FloatArray) -> TestColumns:
    mean, sd, n = col_mean_sd(x)
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        dev = np.where(np.isnan(x), 0.0, x - mean[..., None, :])
        gamma = (dev**3).sum(axis=-2) / (nf * sd**3)
        s = mean / sd
        # Hall (1992): S + gS^2/3 + g^2 S^3/27 = ((1 + gS/3)^3 - 1)/g, monotone in S
        stat = np.sqrt(nf) * (
            s + gamma * s * s / 3.0 + gamma * gamma * s**3 / 27.0 + gamma / (6.0 * nf)
        )
    why = reasons(
        stat.shape,
        [
            (n < 3, count_message("needs at least 3 events with data, has {n}", n)),
            (~(sd > 0), "zero cross-sectional variance"),
        ],
    )
    return finish(stat, n, why, extra={"skewness": gamma})


@register
class SkewnessAdjustedT(EventTest):
    r"""Skewness-adjusted t with Hall's (1992) monotone transformation.

    With :math:`S = \bar x/s` (:math:`s` the sample standard deviation,
    divisor :math:`N-1`) and the sample skewness
    :math:`\hat\gamma = \sum_i (x_i-\bar x)^3/(N s^3)` (the estimators of
    Lyon, Barber & Tsai 1999, eq. 5),

    .. math::

       t_{H} = \sqrt{N}\Bigl(S + \tfrac13\hat\gamma S^2
       + \tfrac1{27}\hat\gamma^2 S^3 + \tfrac{1}{6N}\hat\gamma\Bigr)
       \;\dot\sim\; N(0,1).

    The first three terms equal :math:`((1+\hat\gamma S/3)^3-1)/\hat\gamma`,
    whose derivative in :math:`S` is :math:`(1+\hat\gamma S/3)^2\ge 0`:
    shifting every value by a constant (which leaves :math:`s` and
    :math:`\hat\gamma` unchanged) moves the statistic in the same direction
    as the mean, so it never turns a strong negative mean into a significant
    positive statistic.  Johnson's (1978) version, used by Lyon, Barber & Tsai
    (1999), lacks the :math:`\hat\gamma^2 S^3/27` term and is not monotone
    (a large negative mean of right-skewed values can give a large positive
    statistic).  Corrects the cross-sectional t for skewness of abnormal
    returns (limit-up streaks); assumes independent events.  Reference: Hall
    (1992), J. Royal Statistical Society B 54, 221-228; Johnson (1978), JASA
    73, 536-544; Lyon, Barber & Tsai (1999), J. Finance 54, 165-201.
    """

    name = "skew_t"
    reads_estimation_ar = False
    label = "skewness-adjusted t"
    distribution = "normal"
    null = "mean abnormal return is zero"
    reference = "Hall (1992); Lyon, Barber & Tsai (1999)"

    def daily(self, data: TestData) -> TestColumns:
        return _skew_t(data.ar)

    def window(self, data: TestData) -> TestColumns:
        return _skew_t(data.car)
