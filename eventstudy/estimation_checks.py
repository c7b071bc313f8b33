r"""Can an event's normal-return model standardise its abnormal returns?

The standardised tests (Patell, BMP, their Kolari-Pynnönen versions, the rank
tests on SAR) divide each abnormal return by the event's own estimated
standard deviation :math:`\hat\sigma_i`.  A variance that is zero *up to
rounding* passes a test ``sigma2 > 0``: a return series that repeats one
non-zero value (a stale price, a money-market fund) gives
:math:`\hat\sigma \approx 10^{-19}`, a standardised CAR near :math:`10^{17}`,
and one such event then sets the sign and size of every standardised
statistic of the study (BMP falls to about 1 whatever the other events do).
These checks are absolute, not relative to the series' own rounding noise,
and they only read the data and ``fit.sigma2``, so they hold for every
normal-return model.

An event is excluded, with the reason given here, when over its complete
estimation days (firm and market return both present):

1. **flat market** (models with a market slope): the market return's
   standard deviation is below :data:`SIGMA_FLOOR`;
2. **stale firm returns**: one value accounts for more than
   :data:`STALE_SHARE` of the firm's returns (a constant series is the
   extreme case).  A traded A-share moves by at least one tick (0.01 CNY):
   even a 2 CNY stock with a 1% daily volatility closes unchanged on about
   one day in five, so a value repeated on most days means stale, filled or
   administered prices;
3. **no residual variance**: :math:`\hat\sigma_i` is not finite or below
   :data:`SIGMA_FLOOR`, :math:`10^{-6}` per day (0.0001%) in the decimal
   returns every reader produces (the calmest large caps have a residual
   volatility near 0.5% per day).  This also catches a firm whose returns
   the model fits exactly up to rounding (a copy of the index).

After the event window is read, an event is also excluded when

4. **a standardised abnormal return is beyond** :data:`MAX_STANDARDISED`
   (1000) in absolute value, on any day of the event window or in any CAR
   window.  By Chebyshev's inequality a standardised value beyond 1000 has
   probability at most :math:`10^{-6}` under *any* distribution with the
   estimated variance; the largest real reactions (ten limit-up days in a
   row of a low-volatility stock, a first return after a long suspension)
   stay near 100.  A value beyond 1000 therefore means the variance is
   degenerate, not that the news was large: such an event would decide
   every standardised test alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from eventstudy.windows import window_label

__all__ = [
    "CHECK_REASONS",
    "MAX_STANDARDISED",
    "SIGMA_FLOOR",
    "STALE_SHARE",
    "estimation_problems",
    "majority_value",
    "standardised_outliers",
]

#: Smallest residual (and market) standard deviation accepted, per day, in decimal returns.
SIGMA_FLOOR: Final = 1e-6
#: Largest share of the estimation days on which the firm's return may repeat one value
#: (at least 1/2: a value on more than half of the days is the median, found by one sort).
STALE_SHARE: Final = 0.5
#: Largest absolute standardised AR or CAR accepted (beyond: degenerate variance).
MAX_STANDARDISED: Final = 1e3

#: Reason templates of these checks (the study's ``EXCLUSION_REASONS`` lists them too).
CHECK_REASONS: Final = {
    "flat_market": "market return constant over the estimation days "
    f"(standard deviation {{sd:.2g}} < {SIGMA_FLOOR:g} per day)",
    "constant_returns": "firm return constant over the estimation days "
    "({value:.6g} on all {n} days: stale or filled prices)",
    "stale_returns": "firm return repeats one value on most estimation days "
    "({k} of {n}: stale or filled prices)",
    "zero_variance": "no residual variance over the estimation days "
    f"(sigma {{sigma:.2g}} < {SIGMA_FLOOR:g} per day)",
    "degenerate_variance": "standardised abnormal return beyond "
    f"{MAX_STANDARDISED:g} in absolute value: degenerate estimation variance "
    "({where} = {value:.3g})",
}


#: Events per block of :func:`estimation_problems` (its temporaries stay in cache).
CHECK_BLOCK: Final = 1024


def majority_value(y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per row, the value that may fill most of it, and how often it occurs.

    A value that occupies more than half of a row's non-NaN entries is
    necessarily its (lower) median: returns the lower median of each row and
    its count (a partition at the middle position for rows without NaN, a
    sort for the others).  When the count is at most half of the row, no
    value holds a majority.  NaN (and 0 counts) for all-NaN rows.
    """
    e, w = y.shape
    if w == 0:
        return np.full(e, np.nan), np.zeros(e, dtype=np.int64)
    n = w - np.count_nonzero(np.isnan(y), axis=1)
    med = np.empty(e)
    full = n == w
    if full.any():  # no NaN: a partition at the middle position (linear time)
        rows = y if full.all() else y[full]
        med[full] = np.partition(rows, (w - 1) // 2, axis=1)[:, (w - 1) // 2]
    if not full.all():
        part = ~full
        s = np.sort(y[part], axis=1)  # NaN last
        n_p = n[part]
        low = s[np.arange(len(s)), np.maximum(n_p - 1, 0) // 2]
        med[part] = np.where(n_p > 0, low, np.nan)
    med += 0.0  # -0.0 and 0.0 are one value, reported as 0
    k = np.count_nonzero(y == med[:, None], axis=1).astype(np.int64)
    return med, k


def estimation_problems(
    sigma2: NDArray[np.float64],
    y: NDArray[np.float64],
    x: NDArray[np.float64],
    *,
    market_slope: bool,
) -> NDArray[np.object_]:
    """Reason per event why its estimation cannot standardise ARs ("" when it can).

    Parameters
    ----------
    sigma2 : ndarray (E,)
        Residual variances of the fitted model (``ModelFit.sigma2``).
    y, x : ndarray (E, L)
        Firm and market returns over the estimation window (NaN where missing);
        only days on which both are present count, as in the models.
    market_slope : bool
        Whether the model estimates a slope on the market return (then a flat
        market makes the fit degenerate).

    Returns
    -------
    ndarray of object (E,)
        The first rule that fails (module docstring, rules 1-3), formatted
        with the event's numbers, or ``""``.
    """
    e = len(sigma2)
    out = np.full(e, "", dtype=object)
    if e == 0:
        return out
    n, sd_x, value, k = _row_facts(y, x, market_slope)
    todo = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(sigma2)

    def put(mask: NDArray[np.bool_], texts: Any) -> None:
        new = mask & todo & (out == "")
        if new.any():
            out[new] = texts(np.flatnonzero(new))

    if market_slope:
        put(
            ~(sd_x >= SIGMA_FLOOR),
            lambda idx: [CHECK_REASONS["flat_market"].format(sd=sd_x[i]) for i in idx],
        )
    put(
        k == n,
        lambda idx: [
            CHECK_REASONS["constant_returns"].format(value=value[i], n=int(n[i])) for i in idx
        ],
    )
    put(
        k > STALE_SHARE * n,
        lambda idx: [CHECK_REASONS["stale_returns"].format(k=int(k[i]), n=int(n[i])) for i in idx],
    )
    finite = np.isfinite(sigma2)
    put(
        ~(finite & (sigma >= SIGMA_FLOOR)),
        lambda idx: [CHECK_REASONS["zero_variance"].format(sigma=sigma[i]) for i in idx],
    )
    return out


def _may_hold_majority(
    y: NDArray[np.float64], miss: NDArray[np.bool_], n: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """False for rows that cannot hold a value on more than half of their ``n`` days.

    The days of a row are those where ``miss`` is False, in order.  Pigeonhole:
    pair up a row's values; a value on more than half of them fills both
    places of some pair, whatever the pairing, or (``n`` odd) it fills one
    place of every pair and the unpaired one.  Complete rows of even length
    are tested with two pairings (neighbours, and day ``i`` with day
    ``i + n/2``) on ``y`` itself; the other rows on their values put end to end
    (no gap): an even row with neighbours paired, an odd row with any two
    consecutive values or its first and last value equal (a value on more
    than half of an odd number of places without two of them adjacent fills
    the first, the last and every second one).
    """
    e, d = y.shape
    look = np.zeros(e, dtype=bool)
    full = n == d
    if d % 2 == 0 and d and full.any():
        h = d // 2
        pairs = (y[:, 0::2] == y[:, 1::2]).any(axis=1) & full  # (NaN rows: only full kept)
        if pairs.any():
            rows = np.flatnonzero(pairs)
            pairs[rows] = (y[rows, :h] == y[rows, h:]).any(axis=1)
        look |= pairs
        rest = np.flatnonzero(~full)
    else:
        rest = np.arange(e)
    if len(rest):
        look[rest] = _packed_majority(y[rest], miss[rest], n[rest])
    return look


def _packed_majority(
    y: NDArray[np.float64], miss: NDArray[np.bool_], n: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """:func:`_may_hold_majority` on rows with gaps: their values end to end."""
    v = y[~miss]  # row after row, each row's values in order
    start = np.cumsum(n) - n
    look = (n % 2 == 1) & (n > 0)
    odd = np.flatnonzero(look)
    look[odd] = v[start[odd]] == v[start[odd] + n[odd] - 1]  # first == last
    p = np.flatnonzero(v[1:] == v[:-1])  # v[p] == v[p + 1]
    row = np.searchsorted(start, p, side="right") - 1  # the row of v[p] (empty rows skipped)
    q = p - start[row]  # its place in the row
    ok = (q + 1 < n[row]) & ((q % 2 == 0) | (n[row] % 2 == 1))
    look[row[ok]] = True
    return look


def _row_facts(
    y: NDArray[np.float64], x: NDArray[np.float64], market_slope: bool
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Per row over the days where ``y`` and ``x`` are both present: their number,
    the market's standard deviation (NaN unless ``market_slope``; computed only
    where it may be below :data:`SIGMA_FLOOR`, see :func:`_surely_not_flat`, and
    ``inf`` elsewhere), the firm's majority value and its count
    (:func:`majority_value`; NaN and 0 where a row cannot hold a majority), in
    blocks of :data:`CHECK_BLOCK` rows."""
    e, d = y.shape
    n = np.empty(e, dtype=np.int64)
    sd_x = np.full(e, np.nan)
    value = np.full(e, np.nan)
    k = np.zeros(e, dtype=np.int64)
    rows, masked = [], []
    for lo in range(0, e, CHECK_BLOCK):
        hi = min(lo + CHECK_BLOCK, e)
        yb, xb = y[lo:hi], x[lo:hi]
        # every x finite and at most 1e100 in size (max and min propagate NaN)
        tame = market_slope and xb.size > 0 and -1e100 <= xb.min() and xb.max() <= 1e100
        miss = np.isnan(yb)
        if not tame:
            miss |= np.isnan(xb)
        nb = d - np.count_nonzero(miss, axis=1).astype(np.int64)
        n[lo:hi] = nb
        if market_slope:
            sure = _surely_not_flat(xb, miss, nb) if tame else np.zeros(hi - lo, dtype=bool)
            sd_x[lo:hi][sure] = np.inf
            exact = np.flatnonzero(~sure)
            if len(exact):
                sd_x[lo + exact] = _masked_sd(xb[exact], miss[exact], nb[exact])
        look = np.flatnonzero(_may_hold_majority(yb, miss, nb))
        rows.append(lo + look)
        masked.append(np.where(miss[look], np.nan, yb[look]))
    look = np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp)
    if len(look):
        value[look], k[look] = majority_value(np.concatenate(masked))
    return n, sd_x, value, k


#: Column pairs tried by :func:`_surely_not_flat` before the exact standard deviation.
SD_PAIRS: Final = 8


def _surely_not_flat(
    x: NDArray[np.float64], miss: NDArray[np.bool_], n: NDArray[np.int64]
) -> NDArray[np.bool_]:
    r"""Rows whose standard deviation over the days not ``miss`` is surely >= :data:`SIGMA_FLOOR`.

    For any two of the ``n`` days, :math:`S_{xx} = \sum (x - \bar x)^2 \ge
    (x_i - x_j)^2 / 2`, so :math:`|x_i - x_j| \ge \sqrt{2n}\,` SIGMA_FLOOR
    proves :math:`\sqrt{S_{xx}/n} \ge` SIGMA_FLOOR, and the computed value
    too: a sum of positive squares (about any centre, the mean minimising it)
    loses at most about :math:`(n + 3)u` to rounding, far below the 0.1% margin
    taken, provided no sum overflows: the caller makes sure that every value of
    ``x`` is finite and at most :math:`10^{100}` in absolute value.  Tries the
    neighbouring columns ``(0, 1), (2, 3), ...`` (:data:`SD_PAIRS` of them);
    the other rows get the exact value (:func:`_masked_sd`).
    """
    sure = np.zeros(len(n), dtype=bool)
    need = np.sqrt(2.0 * n) * (SIGMA_FLOOR * 1.001)
    with np.errstate(invalid="ignore"):
        for i in range(0, min(2 * SD_PAIRS, x.shape[1] - 1), 2):
            diff = np.abs(x[:, i] - x[:, i + 1])
            sure |= (diff >= need) & ~miss[:, i] & ~miss[:, i + 1]
            if sure.all():
                break
    return sure


def _masked_sd(
    x: NDArray[np.float64], miss: NDArray[np.bool_], n: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Standard deviation (divisor ``n``) of each row over its days not ``miss``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = np.where(miss, 0.0, x)
        xbar = dx.sum(axis=1) / n
        np.subtract(dx, xbar[:, None], out=dx)
        np.copyto(dx, 0.0, where=miss)
        out: NDArray[np.float64] = np.sqrt(np.einsum("ij,ij->i", dx, dx) / n)
    return out


def standardised_outliers(
    sar: NDArray[np.float64],
    scar: NDArray[np.float64],
    taus: NDArray[np.int64],
    windows: Sequence[tuple[int, int]],
) -> NDArray[np.object_]:
    """Reason per event whose largest ``|SAR|`` or ``|SCAR|`` exceeds :data:`MAX_STANDARDISED`.

    ``sar`` is (E, days) over ``taus``, ``scar`` is (E, windows); NaN is
    ignored and an infinite value counts as beyond the bound.  The reason
    names the day or window with the largest absolute value.
    """
    e = sar.shape[0]
    out = np.full(e, "", dtype=object)
    if e == 0:
        return out
    both = np.concatenate([sar, scar], axis=1)
    mag = np.where(np.isnan(both), 0.0, np.abs(both))
    worst = mag.argmax(axis=1) if both.shape[1] else np.zeros(e, dtype=np.int64)
    top = mag[np.arange(e), worst] if both.shape[1] else np.zeros(e)
    names = [f"SAR on day {int(t):+d}" for t in taus] + [
        "SCAR" + window_label(a, b) for a, b in windows
    ]
    for i in np.flatnonzero(top > MAX_STANDARDISED):
        out[i] = CHECK_REASONS["degenerate_variance"].format(
            where=names[worst[i]], value=both[i, worst[i]]
        )
    return out
