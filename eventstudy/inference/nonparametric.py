r"""Nonparametric tests: sign, generalized sign, Corrado/Cowan rank, GRANK and Wilcoxon."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from eventstudy.inference._ranks import (
    Placed,
    RankSums,
    SortedRows,
    argsort_rows,
    place,
    rank_sums,
    row_blocks,
    sort_rows,
    take_last,
    tie_runs,
)
from eventstudy.inference._signs import sign_sums
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
    """Cowan's p: mean over events of each one's share of positive estimation ARs
    (in blocks of events; shared by days and windows)."""
    key = ("p_hat",)
    if key in data.cache:
        return data.cache[key]
    e = data.est_ar
    n_l = e.shape[-1]
    e2 = e.reshape(-1, n_l)
    share = np.empty(len(e2))
    for r in row_blocks(len(e2), n_l):
        cnt = (~np.isnan(e2[r])).sum(axis=-1)
        pos = (np.nan_to_num(e2[r], nan=0.0) > 0).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share[r] = pos / cnt
    shares: FloatArray = share.reshape(e.shape[:-1])
    have = ~np.isnan(shares)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.asarray(np.where(have, shares, 0.0).sum(axis=-1) / have.sum(axis=-1))
    data.cache[key] = out
    return out


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


def _sorted_estimation(data: TestData) -> SortedRows:
    """Each event's estimation-window abnormal returns, sorted once per data set
    (shared by ``rank``, ``csign`` and ``grank``)."""
    key = ("sorted_estimation",)
    if key not in data.cache:
        data.cache[key] = sort_rows(data.est_ar)
    return data.cache[key]


def _sorted_sar(data: TestData) -> SortedRows:
    """The sorted estimation rows divided by each event's residual standard
    deviation (GRANK's SARs), once per data set (shared by days and windows)."""
    key = ("sorted_sar",)
    if key not in data.cache:
        assert data.sigma2 is not None
        data.cache[key] = _sorted_estimation(data).rescaled(np.sqrt(data.sigma2))
    return data.cache[key]


def _placed_days(data: TestData) -> Placed:
    """The event-day abnormal returns placed in the sorted estimation rows (shared
    by ``rank`` and ``csign``)."""
    key = ("placed_days",)
    if key not in data.cache:
        data.cache[key] = place(_sorted_estimation(data), data.ar)
    return data.cache[key]


def _day_sets(data: TestData) -> NDArray[np.bool_]:
    """``(1 + K, W)``: all event days, then the days of each CAR window."""
    rows = [np.ones(len(data.taus), dtype=bool)]
    rows += [data.window_days(j) for j in range(len(data.windows))]
    return np.vstack(rows)


def _scaled(d: FloatArray, n_t: IntArray) -> tuple[FloatArray, FloatArray]:
    """Day sums scaled by ``1/sqrt(N_t)`` (0 where no event has data) and the
    yardstick ``S = sqrt(mean over days with data of the squared scaled sums)``.

    The common core of the daily Corrado-Zivney rank and sign statistics.
    """
    have = n_t > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(have, d / np.sqrt(n_t), 0.0)
        s = np.sqrt((scaled * scaled).sum(axis=-1) / have.sum(axis=-1))
    return scaled, s


def _set_sums(
    est: FloatArray, est_n: IntArray, val: FloatArray, val_n: IntArray, j: int
) -> tuple[FloatArray, IntArray]:
    """Day sums and counts of set ``j`` over [estimation days, event days]."""
    return np.concatenate([est[..., j, :], val[..., j, :]], axis=-1), np.concatenate(
        [est_n, val_n], axis=-1
    )


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

    Computation: each estimation row is sorted once per data set (shared by
    ``rank``, ``csign`` and ``grank``) and the event-period values are placed
    in it by binary search, so no row is ranked again per window; the
    (events x days x windows) work runs in cache-sized blocks of events (see
    ``docs/performance.md``).
    """

    name = "rank"
    label = "rank (Corrado/Cowan)"
    family = "nonparametric"
    distribution = "normal"
    null = "event-day ranks are no different from estimation-window ranks"
    reference = "Corrado (1989); Corrado & Zivney (1992); Cowan (1992)"

    @staticmethod
    def _sums(data: TestData) -> RankSums:
        key = ("rank_sums",)
        if key not in data.cache:  # daily and window share one pass
            data.cache[key] = rank_sums(
                _sorted_estimation(data), _placed_days(data), _day_sets(data)
            )
        return data.cache[key]

    def daily(self, data: TestData) -> TestColumns:
        n_l = data.est_ar.shape[-1]
        rs = self._sums(data)
        d, n_t = _set_sums(rs.est, rs.est_n, rs.val, rs.val_n, 0)
        scaled, s_u = _scaled(d, n_t)
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
        rs = self._sums(data)
        member = _day_sets(data)[1:]  # (K, W)
        have_e = rs.est_n > 0  # (..., L)
        have_w = (rs.val_n[..., None, :] > 0) & member  # (..., K, W)
        with np.errstate(invalid="ignore", divide="ignore"):
            ue = np.where(have_e[..., None, :], rs.est[..., 1:, :] / rs.est_n[..., None, :], 0.0)
            uw = np.where(have_w, rs.val[..., 1:, :] / rs.val_n[..., None, :], 0.0)
            days = have_e.sum(axis=-1)[..., None] + have_w.sum(axis=-1)
            s2 = ((ue * ue).sum(axis=-1) + (uw * uw).sum(axis=-1)) / days
            nw = have_w.sum(axis=-1)
            mw = uw.sum(axis=-1) / nw
            z = np.sqrt(nw) * mw / np.sqrt(s2)
        n = col_count(data.car)
        why = reasons(z.shape, [(n < 1, "no event with a CAR")])
        return finish(z, n, why)


def _sign_sums(data: TestData) -> RankSums:
    """Corrado-Zivney signs around each event's median of the estimation window
    with all event days (set 0) or a CAR window's days (set ``1 + k``), summed
    over events per day; shared by ``daily`` and ``window``."""
    key = ("sign_sums",)
    if key not in data.cache:
        data.cache[key] = sign_sums(
            _sorted_estimation(data), data.est_ar, _placed_days(data), _day_sets(data)
        )
    return data.cache[key]


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

    Computation: each estimation row is sorted once per data set (shared by
    ``rank``, ``csign`` and ``grank``) and the event-period values are placed
    in it by binary search, so no row is ranked again per window; the
    (events x days x windows) work runs in cache-sized blocks of events (see
    ``docs/performance.md``).
    """

    name = "csign"
    label = "Corrado-Zivney sign"
    family = "nonparametric"
    distribution = "normal"
    null = "event-day signs around the median are no different from the estimation window's"
    reference = "Corrado & Zivney (1992)"

    def daily(self, data: TestData) -> TestColumns:
        n_l = data.est_ar.shape[-1]
        ss = _sign_sums(data)
        d, n_t = _set_sums(ss.est, ss.est_n, ss.val, ss.val_n, 0)
        scaled, s_g = _scaled(d, n_t)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = scaled[..., n_l:] / s_g[..., None]
        n = col_count(data.ar)
        why = reasons(
            z.shape,
            [(n < 1, "no event with data"), (~(s_g > 0)[..., None], "signs have no variance")],
        )
        return finish(z, n, why)

    def window(self, data: TestData) -> TestColumns:
        ss = _sign_sums(data)
        member = _day_sets(data)[1:]  # (K, W)
        have_e = ss.est_n > 0
        have_w = (ss.val_n[..., None, :] > 0) & member
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.where(
                have_e[..., None, :], ss.est[..., 1:, :] / np.sqrt(ss.est_n)[..., None, :], 0.0
            )
            sw = np.where(have_w, ss.val[..., 1:, :] / np.sqrt(ss.val_n)[..., None, :], 0.0)
            days = have_e.sum(axis=-1)[..., None] + have_w.sum(axis=-1)
            s_g = np.sqrt(((se * se).sum(axis=-1) + (sw * sw).sum(axis=-1)) / days)
            z = sw.sum(axis=-1) / np.sqrt(have_w.sum(axis=-1)) / s_g
        n = col_count(data.car)
        why = reasons(z.shape, [(n < 1, "no event with a CAR")])
        return finish(z, n, why)


def _grank(rows: SortedRows, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """KP (2011) GRANK of event-'day' values v (..., E, C) against the sorted
    estimation SARs: each column is ranked into the estimation rows on its own."""
    n_col = v.shape[-1]
    rs = rank_sums(rows, place(rows, v), np.eye(n_col, dtype=bool))
    n_ev = (rows.n > 0).sum(axis=-1).astype(np.float64)[..., None]  # events per batch
    est_n = rs.est_n[..., None, :].astype(np.float64)  # (..., 1, L)
    n0 = rs.val_n.astype(np.float64)  # (..., C)
    u0_sum = np.diagonal(rs.val, axis1=-2, axis2=-1)
    have_e = est_n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ue = np.where(have_e, rs.est / est_n, 0.0)  # (..., C, L)
        u0 = u0_sum / n0
        t_days = have_e.sum(axis=-1) + (n0 > 0)
        s2 = (
            np.where(have_e, est_n / n_ev[..., None] * ue * ue, 0.0).sum(axis=-1)
            + np.where(n0 > 0, n0 / n_ev * u0 * u0, 0.0)
        ) / t_days
        z = u0 / np.sqrt(s2)
        t = z * np.sqrt((t_days - 2.0) / (t_days - 1.0 - z * z))
    return t, (t_days - 2.0).astype(np.float64)


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

    Computation: each estimation row is sorted once per data set (shared by
    ``rank``, ``csign`` and ``grank``) and the event-period values are placed
    in it by binary search, so no row is ranked again per window; the
    (events x days x windows) work runs in cache-sized blocks of events (see
    ``docs/performance.md``).
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
        stat, df = _grank(_sorted_sar(data), _cs_restandardise(v))
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
    n = nz.sum(axis=-1).astype(np.int64)
    nf = n.astype(np.float64)
    # one sort per column: average ranks of |x| and the size of each tie group
    order = argsort_rows(a)
    lo, hi = tie_runs(take_last(a, order))
    valid = np.arange(a.shape[-1]) < n[..., None]  # missing values sort last
    positive = take_last(nz & (xt > 0), order) & valid
    w = np.where(positive, (lo + hi + 1) / 2.0, 0.0).sum(axis=-1)
    # tie groups: sum over elements of (t_e^2 - 1) equals sum over groups of (t^3 - t)
    t_e = (hi - lo).astype(np.float64)
    tie = np.where(valid, t_e * t_e - 1.0, 0.0).sum(axis=-1)
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
