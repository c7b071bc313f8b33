r"""Calendar-time portfolio regression, the robustness check for clustered events.

On every trading day ``s``, the equally weighted portfolio holds the firms
with an event whose window :math:`[\tau_1,\tau_2]` covers ``s`` (a firm with
two overlapping events counts once).  Its return is regressed on the market
over the days the portfolio is not empty,

.. math::

   R_{ps} = a + b\,R_{ms} + e_s,

and the intercept ``a`` (the mean daily abnormal return of event firms in
calendar time) is tested with Newey-West (1987) HAC standard errors through
statsmodels, lag ``floor(4 (T/100)^{2/9})`` by default.  Because every day is
one observation, cross-sectional correlation of same-day events is inside the
portfolio's residual and does not inflate the statistic: the point of the
method when announcements cluster.  References: Jaffe (1974); Mandelker
(1974); Fama (1998), J. Financial Economics 49, 283-306; Mitchell & Stafford
(2000), J. Business 73, 287-329.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CalendarTimeResult", "calendar_time_portfolio", "default_hac_lags"]

MIN_DAYS = 10


@dataclass(frozen=True)
class CalendarTimeResult:
    """One window's calendar-time regression (``stat`` is the HAC z of ``alpha``)."""

    start: int
    end: int
    alpha: float
    beta: float
    stat: float
    pvalue: float
    n_days: int
    mean_firms: float
    hac_lags: int
    reason: str | None


def default_hac_lags(n_days: int) -> int:
    """Newey-West rule of thumb ``floor(4 (T/100)^(2/9))``."""
    return int(np.floor(4.0 * (n_days / 100.0) ** (2.0 / 9.0)))


def calendar_time_portfolio(
    firm: NDArray[np.float64],
    market: NDArray[np.float64],
    tk: NDArray[np.int64],
    day0: NDArray[np.int64],
    windows: tuple[tuple[int, int], ...],
    *,
    hac_lags: int | None = None,
) -> list[CalendarTimeResult]:
    """Regress the calendar-time portfolio of every window on the market.

    Parameters
    ----------
    firm : (T, F) firm returns on the market's trading days (NaN: no return).
        Only the cells the windows cover are read: the portfolio is built from
        (day, firm) pairs, O(events x window length), not from a T x F grid.
    market : (T,) market returns.
    tk, day0 : (E,) firm column and day-0 position of each included event.
    windows : (start, end) offsets from day 0.
    hac_lags : Newey-West lags (default :func:`default_hac_lags`).
    """
    import statsmodels.api as sm

    t_len = firm.shape[0]
    out: list[CalendarTimeResult] = []
    # events of one firm in day-0 order: a window is cut where the firm's previous
    # window (same length) still covers it, so every (day, firm) pair occurs once
    order = np.lexsort((day0, tk))
    f_s, d_s = np.asarray(tk)[order].astype(np.int64), np.asarray(day0)[order].astype(np.int64)
    same_firm = np.r_[False, f_s[1:] == f_s[:-1]]
    prev_d0 = np.r_[np.int64(0), d_s[:-1]]
    for a, b in windows:
        start = np.maximum(d_s + a, np.where(same_firm, prev_d0 + b + 1, d_s + a))
        lo = np.clip(start, 0, t_len)
        hi = np.clip(d_s + b + 1, 0, t_len)
        length = np.maximum(hi - lo, 0)
        day = np.repeat(lo - np.r_[0, np.cumsum(length)[:-1]], length) + np.arange(length.sum())
        col = np.repeat(f_s, length)
        r = firm[day, col]
        valid = ~np.isnan(r)
        n_t = np.bincount(day[valid], minlength=t_len)
        with np.errstate(invalid="ignore", divide="ignore"):
            rp = np.bincount(day[valid], weights=r[valid], minlength=t_len) / n_t
        days = (n_t > 0) & ~np.isnan(market)
        n_days = int(days.sum())
        lags = default_hac_lags(n_days) if hac_lags is None else int(hac_lags)
        if n_days < MIN_DAYS:
            out.append(
                CalendarTimeResult(
                    a,
                    b,
                    np.nan,
                    np.nan,
                    np.nan,
                    np.nan,
                    n_days,
                    np.nan,
                    lags,
                    f"needs at least {MIN_DAYS} portfolio days, has {n_days}",
                )
            )
            continue
        y = rp[days]
        x = sm.add_constant(market[days], has_constant="add")
        fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=False)
        params = np.asarray(fit.params)
        tv = np.asarray(fit.tvalues)
        pv = np.asarray(fit.pvalues)
        ok = bool(np.isfinite(tv[0]))
        out.append(
            CalendarTimeResult(
                a,
                b,
                float(params[0]),
                float(params[1]),
                float(tv[0]) if ok else np.nan,
                float(pv[0]) if ok else np.nan,
                n_days,
                float(n_t[days].mean()),
                lags,
                None if ok else "portfolio residuals have no variance",
            )
        )
    return out
