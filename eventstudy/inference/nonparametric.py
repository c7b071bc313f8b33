r"""Nonparametric tests: sign, generalized sign, Corrado/Cowan rank, GRANK and Wilcoxon."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import stats

from eventstudy.inference.base import (
    EventTest,
    FloatArray,
    IntArray,
    TestColumns,
    TestData,
    col_count,
    count_message,
    finish,
    no_reason,
    rank_last,
    reasons,
    register,
)

__all__ = [
    "CorradoZivneySign",
    "GeneralizedRank",
    "GeneralizedSign",
    "RankTest",
    "SignTest",
    "Wilcoxon",
]


def _sign(x: FloatArray, p: FloatArray | float) -> TestColumns:
    n = col_count(x)
    w = (np.nan_to_num(x, nan=0.0) > 0).sum(axis=-2)
    nf = n.astype(np.float64)
    pa = np.asarray(p, dtype=np.float64)
    if pa.ndim:
        pa = pa[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w - nf * pa) / np.sqrt(nf * pa * (1.0 - pa))
    why = reasons(
        z.shape,
        [
            (n < 1, "no event with data"),
            (
                np.broadcast_to(~((pa > 0) & (pa < 1)), z.shape),
                "share of positive estimation-window abnormal returns is 0 or 1",
            ),
        ],
    )
    return finish(z, n, why, extra={"positive": w.astype(np.float64)})


@register
class SignTest(EventTest):
    r"""Sign test: is the share of positive abnormal returns one half?

    With :math:`w_t` the number of the :math:`N_t` events with
    :math:`AR_{it}>0` (zero counts as not positive),

    .. math:: z = \frac{w_t - N_t/2}{\sqrt{N_t/4}} \;\dot\sim\; N(0,1).

    For a window it counts positive CARs.  Insensitive to outliers; assumes
    a median abnormal return of zero under the null, which fails for skewed
    daily returns (see ``gsign``), and independent events.
    Reference: Brown & Warner (1980); Cowan (1992).
    """

    name = "sign"
    label = "sign"
    family = "nonparametric"
    distribution = "normal"
    null = "positive and negative abnormal returns are equally likely"
    reference = "Brown & Warner (1980); Cowan (1992)"

    def daily(self, data: TestData) -> TestColumns:
        return _sign(data.ar, 0.5)

    def window(self, data: TestData) -> TestColumns:
        return _sign(data.car, 0.5)


def _p_hat(data: TestData) -> FloatArray:
    """Cowan's p: mean over events of each one's share of positive estimation ARs."""
    e = data.est_ar
    present = ~np.isnan(e)
    cnt = present.sum(axis=-1)
    pos = (np.nan_to_num(e, nan=0.0) > 0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = pos / cnt
    have = cnt > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(have, share, 0.0).sum(axis=-1) / have.sum(axis=-1))


@register
class GeneralizedSign(EventTest):
    r"""Cowan (1992) generalized sign test.

    The expected share of positive abnormal returns is estimated from the
    estimation window, :math:`\hat p = N^{-1}\sum_i L_i^{-1}\sum_s
    \mathbf 1[AR_{is}>0]`, and

    .. math:: z = \frac{w_t - N_t\hat p}{\sqrt{N_t\hat p(1-\hat p)}}
       \;\dot\sim\; N(0,1)

    (no continuity correction).  For a window, :math:`w` counts positive CARs
    against the same daily :math:`\hat p`, as in Cowan (1992).  Well specified
    under skewed returns; assumes independent events.  Reference: Cowan
    (1992), Review of Quantitative Finance and Accounting 2, 343-358.
    """

    name = "gsign"
    label = "generalized sign"
    family = "nonparametric"
    distribution = "normal"
    null = "share of positive abnormal returns equals its estimation-window share"
    reference = "Cowan (1992)"

    def daily(self, data: TestData) -> TestColumns:
        return _sign(data.ar, _p_hat(data))

    def window(self, data: TestData) -> TestColumns:
        return _sign(data.car, _p_hat(data))


def _uniform_ranks(x: FloatArray) -> FloatArray:
    """Ranks along the last axis scaled to ``K/(n_i+1) - 1/2`` (NaN kept)."""
    k, n = rank_last(x)
    return k / (n[..., None] + 1.0) - 0.5


def _day_sums(u: FloatArray) -> tuple[FloatArray, IntArray]:
    present = ~np.isnan(u)
    return np.where(present, u, 0.0).sum(axis=-2), present.sum(axis=-2).astype(np.int64)


def _scaled_day_sums(u: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Day sums over the events with data scaled by ``1/sqrt(N_t)``, the yardstick
    ``S = sqrt(mean over days with data of the squared scaled sums)``, and ``N_t``.

    The common core of the Corrado-Zivney rank and sign statistics.
    """
    d, n_t = _day_sums(u)
    have = n_t > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(have, d / np.sqrt(n_t), 0.0)
        s = np.sqrt((scaled * scaled).sum(axis=-1) / have.sum(axis=-1))
    return scaled, s, n_t


@register
class RankTest(EventTest):
    r"""Corrado (1989) rank test; Cowan (1992) for a window.

    Each event's abnormal returns over the estimation window and the event
    window (for a CAR window: the estimation window and that window) are
    ranked, ties averaged, and scaled as :math:`U_{it} = K_{it}/(n_i+1) -
    1/2` with :math:`n_i` the days with a return (Corrado & Zivney 1992,
    which equals Corrado's :math:`K_{it}-(n+1)/2` up to a common factor when
    nothing is missing).  With :math:`N_t` events with data on day ``t`` and
    the :math:`T` days of the ranking period,

    .. math::

       z_t = \frac{N_t^{-1/2}\sum_i U_{it}}{S_U},\qquad
       S_U^2 = \frac1T\sum_s \frac{1}{N_s}\Bigl(\sum_i U_{is}\Bigr)^2 .

    For a window of :math:`n_w` days (Cowan 1992), with :math:`\bar U_t` the
    mean over events, :math:`z = \sqrt{n_w}\,\overline{\bar U}_w / S_{\bar U}`,
    :math:`S_{\bar U}^2 = T^{-1}\sum_s \bar U_s^2`.  Robust to skewness and
    outliers; assumes independent events and no event-induced variance.
    """

    name = "rank"
    label = "rank (Corrado/Cowan)"
    family = "nonparametric"
    distribution = "normal"
    null = "event-day ranks are no different from estimation-window ranks"
    reference = "Corrado (1989); Corrado & Zivney (1992); Cowan (1992)"

    def daily(self, data: TestData) -> TestColumns:
        n_l = data.est_ar.shape[-1]
        u = _uniform_ranks(np.concatenate([data.est_ar, data.ar], axis=-1))
        scaled, s_u, n_t = _scaled_day_sums(u)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = scaled[..., n_l:] / s_u[..., None]
        n = n_t[..., n_l:]
        why = reasons(
            z.shape,
            [
                (n < 1, "no event with data"),
                (~(s_u > 0)[..., None], "ranks have no variance"),
            ],
        )
        return finish(z, col_count(data.ar), why)

    def window(self, data: TestData) -> TestColumns:
        n_l = data.est_ar.shape[-1]
        cols = []
        for j in range(len(data.windows)):
            days = data.window_days(j)
            u = _uniform_ranks(np.concatenate([data.est_ar, data.ar[..., days]], axis=-1))
            d, n_t = _day_sums(u)
            have = n_t > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                ubar = d / n_t
                s2 = np.where(have, ubar * ubar, 0.0).sum(axis=-1) / have.sum(axis=-1)
                hw = have[..., n_l:]
                nw = hw.sum(axis=-1)
                mw = np.where(hw, ubar[..., n_l:], 0.0).sum(axis=-1) / nw
                cols.append(np.sqrt(nw) * mw / np.sqrt(s2))
        z = np.stack(cols, axis=-1) if cols else np.zeros(data.car.shape[:-2] + (0,))
        n = col_count(data.car)
        why = reasons(z.shape, [(n < 1, "no event with a CAR")])
        return finish(z, n, why)


def _median_signs(x: FloatArray) -> FloatArray:
    """sign(x - median of the row), NaN kept."""
    with np.errstate(invalid="ignore"):
        med = np.nanmedian(np.where(np.isnan(x).all(axis=-1, keepdims=True), 0.0, x), axis=-1)
    return np.sign(x - med[..., None])


@register
class CorradoZivneySign(EventTest):
    r"""Corrado & Zivney (1992) sign test, with signs around each event's median.

    For each event the abnormal returns of the estimation window and the event
    window (for a CAR window: the estimation window and that window) give
    :math:`G_{it} = \operatorname{sign}(AR_{it} - \operatorname{median}_i)`.
    With :math:`N_t` events with data on day ``t`` and the :math:`T` days of
    that period,

    .. math::

       z_t = \frac{N_t^{-1/2}\sum_i G_{it}}{S_G},\qquad
       S_G^2 = \frac1T\sum_s \frac{1}{N_s}\Bigl(\sum_i G_{is}\Bigr)^2 .

    For a window of :math:`n_w` days, :math:`z = n_w^{-1/2}\sum_{t\in w}
    N_t^{-1/2}\sum_i G_{it} / S_G` (the Cowan 1992 construction applied to
    signs).  Unlike ``sign`` it does not assume a zero median abnormal return;
    assumes independent events.  Reference: Corrado & Zivney (1992), JFQA 27,
    465-478.
    """

    name = "csign"
    label = "Corrado-Zivney sign"
    family = "nonparametric"
    distribution = "normal"
    null = "event-day signs around the median are no different from the estimation window's"
    reference = "Corrado & Zivney (1992)"

    def daily(self, data: TestData) -> TestColumns:
        n_l = data.est_ar.shape[-1]
        g = _median_signs(np.concatenate([data.est_ar, data.ar], axis=-1))
        scaled, s_g, _ = _scaled_day_sums(g)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = scaled[..., n_l:] / s_g[..., None]
        n = col_count(data.ar)
        why = reasons(
            z.shape,
            [(n < 1, "no event with data"), (~(s_g > 0)[..., None], "signs have no variance")],
        )
        return finish(z, n, why)

    def window(self, data: TestData) -> TestColumns:
        n_l = data.est_ar.shape[-1]
        cols = []
        for j in range(len(data.windows)):
            days = data.window_days(j)
            g = _median_signs(np.concatenate([data.est_ar, data.ar[..., days]], axis=-1))
            scaled, s_g, n_t = _scaled_day_sums(g)
            nw = (n_t[..., n_l:] > 0).sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                cols.append(scaled[..., n_l:].sum(axis=-1) / np.sqrt(nw) / s_g)
        z = np.stack(cols, axis=-1) if cols else np.zeros(data.car.shape[:-2] + (0,))
        n = col_count(data.car)
        why = reasons(z.shape, [(n < 1, "no event with a CAR")])
        return finish(z, n, why)


def _grank(est_sar: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """KP (2011) GRANK for event-'day' values v (..., E, C) against est_sar (..., E, L)."""
    k_est, n_est = rank_last(est_sar)
    present_e = ~np.isnan(est_sar)
    n_ev = (present_e.any(axis=-1)).sum(axis=-1).astype(np.float64)  # events per batch
    stat = np.full(v.shape[:-2] + (v.shape[-1],), np.nan)
    dfs = np.full(stat.shape, np.nan)
    for c in range(v.shape[-1]):
        x = v[..., c]  # (..., E)
        has = ~np.isnan(x)
        xe = x[..., None]
        below = np.where(present_e, est_sar < xe, False).sum(axis=-1)
        ties = np.where(present_e, est_sar == xe, False).sum(axis=-1)
        r0 = 1.0 + below + 0.5 * ties
        n_i = n_est + has
        k = (
            k_est
            + np.where(present_e, (xe < est_sar) + 0.5 * (xe == est_sar), 0.0) * has[..., None]
        )
        u_est = k / (n_i[..., None] + 1.0) - 0.5
        u0 = np.where(has, r0 / (n_i + 1.0) - 0.5, np.nan)
        u_all = np.concatenate([u_est, u0[..., None]], axis=-1)
        pres = np.concatenate([present_e, has[..., None]], axis=-1)
        n_t = pres.sum(axis=-2)
        with np.errstate(invalid="ignore", divide="ignore"):
            ubar = np.where(pres, u_all, 0.0).sum(axis=-2) / n_t
            have = n_t > 0
            t_days = have.sum(axis=-1).astype(np.float64)
            s2 = np.where(have, n_t / n_ev[..., None] * ubar * ubar, 0.0).sum(axis=-1) / t_days
            z = ubar[..., -1] / np.sqrt(s2)
            t = z * np.sqrt((t_days - 2.0) / (t_days - 1.0 - z * z))
        stat[..., c] = t
        dfs[..., c] = t_days - 2.0
    return stat, dfs


def _cs_restandardise(s: FloatArray) -> FloatArray:
    """Divide by the cross-sectional standard deviation of each column (KP 2011)."""
    present = ~np.isnan(s)
    n = present.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(present, s, 0.0).sum(axis=-2) / n
        dev = np.where(present, s - m[..., None, :], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=-2) / (n - 1.0))
        return s / sd[..., None, :]


@register
class GeneralizedRank(EventTest):
    r"""Generalized rank test GRANK (Kolari & Pynnönen 2011).

    Estimation-window abnormal returns are standardised by the residual
    standard deviation, :math:`SAR_{is}=AR_{is}/\hat\sigma_i`; the event day
    (or the window, through :math:`SCAR_i`) enters as one observation
    re-standardised by its cross-sectional standard deviation,
    :math:`GSAR_{i0} = SAR_{i0}/s(SAR_0)`, which removes event-induced
    variance.  Ranks over these :math:`T = L+1` values, :math:`U_{it} =
    K_{it}/(T_i+1) - 1/2`, give

    .. math::

       Z = \frac{\bar U_0}{S_{\bar U}},\quad
       S_{\bar U}^2 = \frac1T\sum_{t}\frac{N_t}{N}\bar U_t^2,\quad
       t_{grank} = Z\sqrt{\frac{T-2}{T-1-Z^2}} \sim t_{T-2}.

    Robust to event-induced volatility, skewness and, for windows, serial
    dependence; with estimation-window ranks it also tolerates moderate
    cross-correlation.  Reference: Kolari & Pynnönen (2011), J. Empirical
    Finance 18, 953-971.
    """

    name = "grank"
    label = "generalized rank (GRANK)"
    family = "nonparametric"
    distribution = "t"
    null = "event-period ranks are no different from estimation-window ranks"
    reference = "Kolari & Pynnönen (2011)"

    def _run(self, data: TestData, v: FloatArray) -> TestColumns:
        if data.sigma2 is None:
            raise ValueError("grank needs TestData.sigma2")
        with np.errstate(invalid="ignore", divide="ignore"):
            est_sar = data.est_ar / np.sqrt(data.sigma2)[..., None]
        g = _cs_restandardise(v)
        stat, df = _grank(est_sar, g)
        n = col_count(v)
        why = reasons(
            stat.shape,
            [(n < 2, count_message("needs at least 2 events with data, has {n}", n))],
        )
        return finish(stat, n, why, df=df)

    def daily(self, data: TestData) -> TestColumns:
        return self._run(data, data.sar)

    def window(self, data: TestData) -> TestColumns:
        return self._run(data, data.scar)


# ---------------------------------------------------------------- Wilcoxon


@lru_cache(maxsize=64)
def _signed_rank_cdf(n: int) -> np.ndarray:
    """P(W+ <= k), k = 0..n(n+1)/2, for n untied non-zero differences."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for r in range(1, n + 1):
        counts[r:] = counts[r:] + counts[: top + 1 - r]
    return np.asarray(np.cumsum(counts) / 2.0**n)


_EXACT_MAX = 50


def _wilcoxon(x: FloatArray) -> TestColumns:
    xt = np.moveaxis(x, -2, -1)  # (..., C, E)
    nz = ~np.isnan(xt) & (xt != 0)
    a = np.where(nz, np.abs(xt), np.nan)
    r, n = rank_last(a)
    w = np.where(nz & (xt > 0), r, 0.0).sum(axis=-1)
    nf = n.astype(np.float64)
    # tie groups: sum over elements of (t_e^2 - 1) equals sum over groups of (t^3 - t)
    if a.size:
        lo = stats.rankdata(a, axis=-1, method="min", nan_policy="omit")
        hi = stats.rankdata(a, axis=-1, method="max", nan_policy="omit")
        t_e = np.where(nz, hi - lo + 1.0, 0.0)
    else:
        t_e = np.zeros(a.shape)
    tie = np.where(nz, t_e * t_e - 1.0, 0.0).sum(axis=-1)
    mean = nf * (nf + 1.0) / 4.0
    var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie / 48.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w - mean) / np.sqrt(var)
    p = 2.0 * stats.norm.sf(np.abs(z))
    exact = (n >= 1) & (n <= _EXACT_MAX) & (tie == 0)
    for k in np.unique(n[exact]):
        cdf = _signed_rank_cdf(int(k))
        sel = exact & (n == k)
        wi = np.rint(w[sel]).astype(np.int64)
        lower = cdf[wi]
        upper = 1.0 - np.where(wi > 0, cdf[np.maximum(wi - 1, 0)], 0.0)
        p[sel] = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    why = reasons(
        w.shape,
        [(n < 1, "no event with a non-zero value")],
    )
    bad = ~no_reason(why)
    return TestColumns(
        stat=np.where(bad, np.nan, w),
        pvalue=np.where(bad, np.nan, p),
        df=np.full(w.shape, np.nan),
        nobs=col_count(x),
        reason=why,
        extra={"z": np.where(bad, np.nan, z), "exact": exact.astype(np.float64)},
    )


@register
class Wilcoxon(EventTest):
    r"""Wilcoxon (1945) signed-rank test of the abnormal returns of one day or window.

    Zero values are dropped; the :math:`n` others are ranked by absolute
    value (ties averaged) and the statistic is the sum of the ranks of the
    positive ones, :math:`W^+`.  The p-value is exact for :math:`n\le 50`
    without ties, otherwise from the normal approximation with the tie
    correction, :math:`E W^+ = n(n+1)/4`, :math:`\operatorname{Var} W^+ =
    n(n+1)(2n+1)/24 - \sum_g (t_g^3-t_g)/48`, no continuity correction (as
    ``scipy.stats.wilcoxon``).  Assumes a symmetric distribution around a
    median of zero under the null and independent events.
    """

    name = "wilcoxon"
    label = "Wilcoxon signed-rank"
    family = "nonparametric"
    distribution = "signed-rank"
    null = "abnormal returns are symmetric around zero"
    reference = "Wilcoxon (1945)"

    def daily(self, data: TestData) -> TestColumns:
        return _wilcoxon(data.ar)

    def window(self, data: TestData) -> TestColumns:
        return _wilcoxon(data.car)
