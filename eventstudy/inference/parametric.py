r"""Parametric tests: cross-sectional t, Patell Z, BMP, their Kolari-Pynnönen
adjustments and Brown-Warner (1985); the skewness-adjusted t is in
:mod:`eventstudy.inference.skewness` (re-exported here)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from eventstudy.inference._ranks import row_blocks
from eventstudy.inference.base import (
    EventTest,
    FloatArray,
    IntArray,
    TestColumns,
    TestData,
    col_mean_sd,
    finish,
    no_reason,
    reasons,
    register,
    t_statistic,
)
from eventstudy.inference.skewness import SkewnessAdjustedT

__all__ = [
    "BMP",
    "BMPKolariPynnonen",
    "BrownWarner1985",
    "CrossSectionalT",
    "PatellKolariPynnonen",
    "PatellZ",
    "SkewnessAdjustedT",
    "average_cross_correlation",
    "event_day_correlation",
]


@register
class CrossSectionalT(EventTest):
    r"""Cross-sectional t test of the mean abnormal return.

    .. math::

       t = \frac{\overline{AR}_t}{s_t/\sqrt{N_t}},\qquad
       s_t^2 = \frac{1}{N_t-1}\sum_i (AR_{it}-\overline{AR}_t)^2,

    Student t with :math:`N_t-1` degrees of freedom; the same on
    :math:`CAR_i(\tau_1,\tau_2)` for a window.  It uses only the cross-section
    of the event day, so it is robust to event-induced variance but assumes
    independent events (no clustering of dates) and, in small samples, normal
    abnormal returns.  Reference: Brown & Warner (1985); Boehmer, Musumeci &
    Poulsen (1991); MacKinlay (1997).
    """

    name = "csect_t"
    reads_estimation_ar = False
    label = "cross-sectional t"
    distribution = "t"
    null = "mean abnormal return is zero"
    reference = "Brown & Warner (1985); Boehmer, Musumeci & Poulsen (1991)"

    def daily(self, data: TestData) -> TestColumns:
        return t_statistic(data.ar)

    def window(self, data: TestData) -> TestColumns:
        return t_statistic(data.car)


def _patell(s: FloatArray, dof: IntArray) -> TestColumns:
    present = ~np.isnan(s)
    usable = present & (dof[..., None] > 2)
    n = usable.sum(axis=-2).astype(np.int64)
    dfl = dof.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(dfl > 2, dfl / (dfl - 2.0), np.nan)
        num = np.where(usable, s, 0.0).sum(axis=-2)
        den = np.sqrt(np.where(usable, w[..., None], 0.0).sum(axis=-2))
        z = num / den
    why = reasons(
        z.shape, [(n < 1, "no event with data and more than 2 residual degrees of freedom")]
    )
    return finish(z, n, why)


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
    reads_estimation_ar = False
    label = "Patell Z"
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
    reads_estimation_ar = False
    label = "BMP"
    distribution = "t"
    null = "mean standardised abnormal return is zero"
    reference = "Boehmer, Musumeci & Poulsen (1991)"

    def daily(self, data: TestData) -> TestColumns:
        return t_statistic(data.sar)

    def window(self, data: TestData) -> TestColumns:
        return t_statistic(data.scar)


# ------------------------------------------------------- Kolari-Pynnönen (2010)


def _standardised_residuals(data: TestData) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Estimation residuals standardised over each event's own window (divisor L_i),
    computed once per data set."""
    key = ("standardised_residuals",)
    if key not in data.cache:
        data.cache[key] = _standardise(data.est_ar)
    return data.cache[key]


def _standardise(e: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    present = ~np.isnan(e)
    cnt = present.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, e, 0.0).sum(axis=-1) / cnt
        dev = np.where(present, e - mean[..., None], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=-1) / cnt)
        ok = present & (sd[..., None] > 0)
        z = np.where(ok, dev / sd[..., None], 0.0)
    return z, ok


def average_cross_correlation(data: TestData) -> tuple[FloatArray, IntArray]:
    r"""Average cross-correlation of estimation-window abnormal returns, per batch.

    Each event's estimation residuals are standardised over its own window,
    :math:`z_{is} = (e_{is}-\bar e_i)/\hat s_i` with the divisor :math:`L_i`,
    and placed on the calendar (trading-day) axis.  With :math:`Z_s=\sum_i
    z_{is}`, :math:`Q_s=\sum_i z_{is}^2` and :math:`m_s` the number of events
    with a residual on day ``s``,

    .. math::

       \bar r = \frac{\sum_s (Z_s^2 - Q_s)}{\sum_s (m_s^2 - m_s)}
              = \frac{\sum_{i\ne j}\sum_{s\in O_{ij}} z_{is}z_{js}}
                     {\sum_{i\ne j}|O_{ij}|},

    the average over pairs of events of their residual correlation on the
    days :math:`O_{ij}` their estimation windows share, each pair weighted by
    the length of that overlap.  When all events share one estimation window
    (clustered event dates, the case of Kolari & Pynnönen 2010) every pair
    has the same weight and this is the plain mean of the pairwise Pearson
    correlations.  Cost O(N L), no loop over pairs.  Returns ``(r_bar,
    pair_days)``; ``r_bar`` is NaN where no two events share an estimation day.
    """
    if data.day0 is None or data.est_taus is None:
        raise ValueError("average_cross_correlation needs TestData.day0 and est_taus")
    z, ok = _standardised_residuals(data)
    lead = z.shape[:-2]
    n_ev, n_l = z.shape[-2], z.shape[-1]
    pos = data.day0[..., None] + data.est_taus
    n_b = int(np.prod(lead)) if lead else 1
    pos = pos.reshape(n_b, n_ev * n_l)
    lo = int(pos.min()) if pos.size else 0
    span = int(pos.max()) - lo + 1 if pos.size else 1
    key = (np.arange(n_b)[:, None] * span + (pos - lo)).ravel()
    zf = z.reshape(-1)
    okf = ok.reshape(-1)
    size = n_b * span
    zs = np.bincount(key, weights=zf, minlength=size).reshape(n_b, span)
    qs = np.bincount(key, weights=zf * zf, minlength=size).reshape(n_b, span)
    ms = np.bincount(key, weights=okf.astype(np.float64), minlength=size).reshape(n_b, span)
    num = (zs * zs - qs).sum(axis=1)
    den = (ms * ms - ms).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rbar = np.where(den > 0, num / den, np.nan)
    return rbar.reshape(lead), den.reshape(lead).astype(np.int64)


def event_day_correlation(data: TestData, days: int = 1) -> tuple[FloatArray, NDArray[np.bool_]]:
    r"""Average correlation of the event-period statistics of all pairs of events.

    Generalises the :math:`\bar r` of Kolari & Pynnönen (2010) to event dates
    that cluster only partly.  Two events whose ``days``-day windows overlap
    in calendar time on :math:`o_{ij} = \max(0, days - |d_i - d_j|)` trading
    days (``d`` = day 0) have standardised CARs correlated at
    :math:`(o_{ij}/days)\,r_{ij}`, with :math:`r_{ij}` their residual
    correlation over the estimation days they share; events further apart are
    uncorrelated.  So

    .. math::

       \bar\rho = \frac{1}{N(N-1)}\sum_{i\ne j}\frac{o_{ij}}{days}\, r_{ij},

    which equals Kolari & Pynnönen's :math:`\bar r` when all events share
    day 0 (their setting) and is 0 when no two windows overlap.  Events with
    the same day 0 share their estimation calendar, so the sum is formed per
    pair of day-0 groups ``(g, h)``: their :math:`n_g n_h` pairs (minus the
    diagonal when ``g = h``) share one weight and one correlation,
    :math:`\bar r_{gh} = \sum_{i\in g, j\in h}\sum_{s\in O_{ij}} z_{is}z_{js}
    / \sum_{i\in g, j\in h}|O_{ij}|`, the overlap-weighted mean of their
    residual products on shared estimation days.  With complete estimation
    data every :math:`|O_{ij}|` of a group pair is equal and this is the
    plain mean of the pairwise correlations; with gaps, pairs with more
    shared days weigh more.  Group sums give O(N L + G L days), no loop over
    pairs; the group sums and each lag's cross terms are computed once per
    data set and reused for every window length (``patell_kp`` and
    ``bmp_kp``, days and windows).

    Returns ``(rho, unknown)`` per batch; ``unknown`` marks batches with a pair
    of overlapping events that share no estimation day with data.
    """
    if data.day0 is None:
        raise ValueError("event_day_correlation needs TestData.day0")
    key = ("event_day_correlation", days)
    if key not in data.cache:  # patell_kp and bmp_kp share it
        data.cache[key] = _correlation_parts(data).rho(days)
    return data.cache[key]


class _DayZeroGroups:
    """Sums of standardised residuals per day-0 group, built once per data set.

    :meth:`rho` combines the same-day term with the cross terms of groups whose
    days 0 differ by ``lag``; each lag's cross terms are computed once (one
    vectorised pass over the groups) and reused by every window length, since
    only the weights ``1 - lag/days`` depend on the window.
    """

    def __init__(self, data: TestData) -> None:
        assert data.day0 is not None
        e = data.est_ar
        self.lead = e.shape[:-2]
        n_ev, self.n_l = e.shape[-2], e.shape[-1]
        self.n_b = n_b = int(np.prod(self.lead, dtype=np.int64)) if self.lead else 1
        e2 = e.reshape(n_b * n_ev, self.n_l)
        # pass 1, blocks of rows: each event's residual mean and sd (divisor L_i)
        mean, sd = np.empty(len(e2)), np.empty(len(e2))
        for r in row_blocks(len(e2), self.n_l):
            present = ~np.isnan(e2[r])
            cnt = present.sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean[r] = m = np.where(present, e2[r], 0.0).sum(axis=-1) / cnt
                dev = np.where(present, e2[r] - m[:, None], 0.0)
                sd[r] = np.sqrt((dev * dev).sum(axis=-1) / cnt)
        has = sd > 0  # at least one residual and some dispersion
        d0 = np.broadcast_to(data.day0, self.lead + (n_ev,)).reshape(-1).astype(np.int64)
        batch = np.repeat(np.arange(n_b), n_ev)
        self.lags: dict[int, tuple[FloatArray, FloatArray]] = {}
        self.empty = not has.any()
        if self.empty:
            return
        lo = int(d0[has].min())
        # lags of n_l or more never count, so keys of two batches never meet
        span = int(d0[has].max()) - lo + self.n_l + 2
        rows = np.flatnonzero(has)
        gkey = batch[rows] * span + (d0[rows] - lo)
        order = np.argsort(gkey, kind="stable")
        rows, ks = rows[order], gkey[order]
        new = np.r_[True, ks[1:] != ks[:-1]]
        starts = np.flatnonzero(new)
        gid = np.cumsum(new) - 1
        n_grp = len(starts)
        self.g_z = np.zeros((n_grp, self.n_l))
        self.g_m = np.zeros((n_grp, self.n_l))
        g_q = np.zeros((n_grp, self.n_l))
        # pass 2, blocks of events in group order: standardised residuals summed per group
        for r in row_blocks(len(rows), 4 * self.n_l):
            idx = rows[r]
            x = e2[idx]
            present = ~np.isnan(x)
            dev = np.where(present, x - mean[idx, None], 0.0)
            z = np.where(present, dev / sd[idx, None], 0.0)
            g = gid[r]
            seg = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
            self.g_z[g[seg]] += np.add.reduceat(z, seg, axis=0)
            self.g_m[g[seg]] += np.add.reduceat(present.astype(np.float64), seg, axis=0)
            g_q[g[seg]] += np.add.reduceat(z * z, seg, axis=0)
        self.n_g = np.diff(np.r_[starts, len(ks)]).astype(np.float64)
        self.g_key = ks[starts]
        self.g_b = self.g_key // span
        s0 = (self.g_z * self.g_z - g_q).sum(axis=1)
        p0 = (self.g_m * self.g_m - self.g_m).sum(axis=1)
        multi = self.n_g > 1
        with np.errstate(invalid="ignore", divide="ignore"):
            same = np.where(multi & (p0 > 0), self.n_g * (self.n_g - 1.0) * s0 / p0, 0.0)
        self.same = np.bincount(self.g_b, weights=same, minlength=n_b).astype(np.float64)
        self.same_bad = np.bincount(
            self.g_b, weights=(multi & ~(p0 > 0)).astype(np.float64), minlength=n_b
        ).astype(np.float64)
        self.n_per = np.bincount(self.g_b, weights=self.n_g, minlength=n_b).astype(np.float64)

    def _lag(self, lag: int) -> tuple[FloatArray, FloatArray]:
        """Per batch: sum over group pairs ``(g, h)`` with ``d_h = d_g + lag`` of
        ``2 n_g n_h r_gh``, and the number of such pairs without a shared day."""
        if lag not in self.lags:
            g_key, n_l = self.g_key, self.n_l
            j = np.searchsorted(g_key, g_key + lag)
            jc = np.minimum(j, len(g_key) - 1)
            hit = (j < len(g_key)) & (g_key[jc] == g_key + lag)
            gi, gj = np.flatnonzero(hit), jc[hit]
            c = (self.g_z[gi, lag:] * self.g_z[gj, : n_l - lag]).sum(axis=1)
            cnt = (self.g_m[gi, lag:] * self.g_m[gj, : n_l - lag]).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                term = np.where(cnt > 0, 2.0 * self.n_g[gi] * self.n_g[gj] * c / cnt, 0.0)
            bad = (~(cnt > 0)).astype(np.float64)
            self.lags[lag] = (
                np.bincount(self.g_b[gi], weights=term, minlength=self.n_b).astype(np.float64),
                np.bincount(self.g_b[gi], weights=bad, minlength=self.n_b).astype(np.float64),
            )
        return self.lags[lag]

    def rho(self, days: int) -> tuple[FloatArray, NDArray[np.bool_]]:
        if self.empty:
            return np.zeros(self.lead), np.zeros(self.lead, dtype=bool)
        num = self.same.copy()
        bad = self.same_bad.copy()
        for lag in range(1, min(days, self.n_l)):  # the window's lags, each computed once
            cross, cross_bad = self._lag(lag)
            num += (1.0 - lag / days) * cross
            bad += cross_bad
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = np.where(self.n_per > 1, num / (self.n_per * (self.n_per - 1.0)), 0.0)
        return rho.reshape(self.lead), (bad > 0).reshape(self.lead)


def _correlation_parts(data: TestData) -> _DayZeroGroups:
    key = ("day0_groups",)
    if key not in data.cache:
        data.cache[key] = _DayZeroGroups(data)
    return data.cache[key]


def _kp_adjust(base: TestColumns, data: TestData, *, window: bool, bmp: bool) -> TestColumns:
    shape = base.stat.shape
    if window:
        cols = []
        for a, b in data.windows:
            r, u = event_day_correlation(data, b - a + 1)
            cols.append((r, u))
        rho = np.stack([c[0] for c in cols], axis=-1) if cols else np.zeros(shape)
        unk = np.stack([c[1] for c in cols], axis=-1) if cols else np.zeros(shape, bool)
    else:
        r, u = event_day_correlation(data, 1)
        rho = np.broadcast_to(np.asarray(r)[..., None], shape)
        unk = np.broadcast_to(np.asarray(u)[..., None], shape)
    n = base.nobs.astype(np.float64)
    denom = 1.0 + (n - 1.0) * rho
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.sqrt((1.0 - rho) / denom) if bmp else 1.0 / np.sqrt(denom)
    why = reasons(
        shape,
        [
            (~no_reason(base.reason), base.reason),
            (
                unk,
                "no overlap: two events with overlapping windows share no estimation "
                "day, so their correlation cannot be estimated",
            ),
            (~(denom > 0) | ~(rho < 1), "average cross-correlation outside the admissible range"),
        ],
    )
    df = None if np.isnan(base.df).all() else base.df
    return finish(base.stat * factor, base.nobs, why, df=df, extra={"rho": np.array(rho)})


@register
class PatellKolariPynnonen(EventTest):
    r"""Patell Z adjusted for cross-correlation (Kolari & Pynnönen 2010).

    .. math::

       Z_{KP} = \frac{Z_{Patell}}{\sqrt{1+(N-1)\bar\rho}},

    Kolari & Pynnönen (2010), eq. (13): Patell's variance is known rather than
    estimated cross-sectionally, so only the variance of the sum is inflated.
    :math:`\bar\rho` is the average correlation of the events' standardised
    abnormal returns on the tested day or window
    (:func:`event_day_correlation`): Kolari & Pynnönen's average residual
    cross-correlation :math:`\bar r` when all events share day 0, counting
    only pairs whose windows overlap in calendar time otherwise.  Assumes no
    event-induced variance.  Reference: Kolari & Pynnönen (2010), Review of
    Financial Studies 23, 3996-4025.
    """

    name = "patell_kp"
    label = "Patell Z, KP-adjusted"
    distribution = "normal"
    null = "mean standardised abnormal return is zero"
    reference = "Kolari & Pynnönen (2010)"

    def daily(self, data: TestData) -> TestColumns:
        return _kp_adjust(_patell(data.sar, data.dof), data, window=False, bmp=False)

    def window(self, data: TestData) -> TestColumns:
        return _kp_adjust(_patell(data.scar, data.dof), data, window=True, bmp=False)


@register
class BMPKolariPynnonen(EventTest):
    r"""BMP adjusted for cross-correlation (Kolari & Pynnönen 2010).

    .. math::

       t_{KP} = t_{BMP}\sqrt{\frac{1-\bar\rho}{1+(N-1)\bar\rho}},

    Kolari & Pynnönen (2010), eq. (12); the :math:`1-\bar\rho` term corrects
    the downward bias of the cross-sectional variance under correlation.
    Student t with :math:`N-1` degrees of freedom, :math:`\bar\rho` as in
    ``patell_kp``.  Robust to event-induced variance and to cross-correlation
    on clustered event dates.
    """

    name = "bmp_kp"
    label = "BMP, KP-adjusted"
    distribution = "t"
    null = "mean standardised abnormal return is zero"
    reference = "Kolari & Pynnönen (2010)"

    def daily(self, data: TestData) -> TestColumns:
        return _kp_adjust(t_statistic(data.sar), data, window=False, bmp=True)

    def window(self, data: TestData) -> TestColumns:
        return _kp_adjust(t_statistic(data.scar), data, window=True, bmp=True)


# ------------------------------------------------------------ Brown-Warner 1985


def _est_aar_sd(data: TestData) -> tuple[FloatArray, IntArray]:
    """Time-series sd (divisor T - 1) of the estimation-window AAR, and T; the
    sums over events run in blocks of events and are shared by days and windows."""
    key = ("est_aar_sd",)
    if key in data.cache:
        return data.cache[key]
    e = data.est_ar
    lead, n_ev, n_l = e.shape[:-2], e.shape[-2], e.shape[-1]
    n_b = int(np.prod(lead, dtype=np.int64))
    e3 = e.reshape(n_b, n_ev, n_l)
    tot = np.zeros((n_b, n_l))
    n = np.zeros((n_b, n_l), dtype=np.int64)
    for r in row_blocks(n_ev, n_b * n_l):
        present = ~np.isnan(e3[:, r])
        tot += np.where(present, e3[:, r], 0.0).sum(axis=-2)
        n += present.sum(axis=-2)
    n_t: IntArray = n.reshape(lead + (n_l,))
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = tot.reshape(lead + (n_l,)) / n_t
    have = n_t > 0
    t_days = have.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(have, aar, 0.0).sum(axis=-1) / t_days
        dev = np.where(have, aar - m[..., None], 0.0)
        sd = np.sqrt((dev * dev).sum(axis=-1) / (t_days - 1))
    data.cache[key] = out = (sd, t_days.astype(np.int64))
    return out


def _bw(mean: FloatArray, n: IntArray, days: FloatArray | float, data: TestData) -> TestColumns:
    sd, t_days = _est_aar_sd(data)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd[..., None] * np.sqrt(days))
    why = reasons(
        stat.shape,
        [
            (n < 1, "no event with data"),
            ((t_days < 3)[..., None], "fewer than 3 estimation days with an abnormal return"),
            (~(sd > 0)[..., None], "zero variance of the estimation-window mean AR"),
        ],
    )
    df = np.broadcast_to((t_days - 1.0)[..., None], stat.shape)
    return finish(stat, n, why, df=df)


@register
class BrownWarner1985(EventTest):
    r"""Brown & Warner (1985) test with the crude dependence adjustment.

    The standard deviation comes from the time series of the equally
    weighted mean abnormal return over the :math:`T` estimation days,
    :math:`\overline{AR}_s = N_s^{-1}\sum_i AR_{is}`:

    .. math::

       t = \frac{\overline{AR}_t}{S},\qquad
       S^2 = \frac{1}{T-1}\sum_{s}\bigl(\overline{AR}_s - \bar{\overline{AR}}\bigr)^2,

    Student t with :math:`T-1` degrees of freedom.  For a window of
    :math:`n_w` days, :math:`t = CAAR/(S\sqrt{n_w})`.  Because :math:`S` is
    measured on the portfolio, it absorbs cross-correlation when estimation
    windows coincide (clustered dates); it ignores event-induced variance.
    Reference: Brown & Warner (1985), J. Financial Economics 14, 3-31.
    """

    name = "bw1985"
    label = "Brown-Warner 1985"
    distribution = "t"
    null = "mean abnormal return is zero"
    reference = "Brown & Warner (1985)"

    def daily(self, data: TestData) -> TestColumns:
        mean, _, n = col_mean_sd(data.ar)
        return _bw(mean, n, 1.0, data)

    def window(self, data: TestData) -> TestColumns:
        mean, _, n = col_mean_sd(data.car)
        days = np.array([b - a + 1 for a, b in data.windows], dtype=np.float64)
        return _bw(mean, n, days, data)
