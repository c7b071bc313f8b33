"""Plausibility guards shared by every input boundary: units and magnitudes.

The readers check the *form* of their input (a date is a date, a number a
number); the functions here check its *substance*, so that data in the wrong
unit end in a clear error instead of a wrong number.  Every boundary calls
them: the CSV readers (:mod:`eventstudy.data.csvfile`), the DataFrame and
:class:`~eventstudy.data.Panel` inputs of :class:`~eventstudy.EventStudy`
(through :func:`eventstudy.align.align_panel`) and factor files.  What each
guard refuses and why is listed in ``docs/data.md`` ("Plausibility guards").

Daily simple returns of listed shares, as decimals, have a median absolute
value near 0.01 (1%) for stocks and below that for indexes; A-share boards
cap a day's move at ±5% to ±30%.  Returns in percent are a hundred times
larger (median near 1), price levels are positive numbers in the units of a
currency, and decimals divided by 100 once too often are a hundred times
smaller.  :func:`check_return_scale` tells these apart per series (each ticker
and the market index separately, and all of them pooled), so firm returns in
percent next to a market index in decimals are caught too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from eventstudy.exceptions import DataError
from eventstudy.limit_marks import (
    LIMIT_TOLERANCE,
    beyond_limit,
    beyond_limit_by_event,
    beyond_limit_note,
)

__all__ = [
    "LIMIT_TOLERANCE",
    "MIN_SERIES_OBS",
    "RETURN_UNITS",
    "TYPICAL_DAILY_ABS",
    "beyond_limit",
    "beyond_limit_by_event",
    "beyond_limit_note",
    "check_return_scale",
    "check_unit",
    "plausible_grid",
]

#: Units a return column may be declared in.
RETURN_UNITS: Final = ("decimal", "percent")

#: Plausible range of the median absolute daily return of one series, as a
#: decimal: below the lower bound only after a percent conversion (decimals
#: divided by 100 once too often), above the upper bound never.
TYPICAL_DAILY_ABS: Final = (5e-4, 0.2)

#: A series is judged on its own once it has this many returns; shorter ones
#: are judged together (pooled).
MIN_SERIES_OBS: Final = 20


_SCALE: Final = {"decimal": 1.0, "percent": 0.01}


def check_unit(unit: object, *, name: str = "returns_unit") -> str:
    """Validate a unit argument and return it (``"decimal"`` or ``"percent"``).

    Raises
    ------
    DataError
        Naming ``name`` and the allowed values.
    """
    if not isinstance(unit, str) or unit.strip().lower() not in RETURN_UNITS:
        raise DataError(f"{name} must be 'decimal' or 'percent', got {unit!r}")
    return unit.strip().lower()


def _how(unit: str, unit_arg: str, cli_flag: str | None) -> str:
    cli = f" (command line: {cli_flag} {unit})" if cli_flag else ""
    return f"declare {unit_arg}='{unit}'{cli}"


def _where(i: int, ticker: str | None, dates: Any, rows: NDArray[np.int64] | None = None) -> str:
    parts = []
    if ticker is not None:
        parts.append(ticker)
    if dates is not None:
        d = pd.Timestamp(dates[i])
        parts.append(str(d.date()) if d is not pd.NaT else "no date")
    row = i if rows is None else int(rows[i])
    return f"row {row + 1}" + (f" ({', '.join(parts)})" if parts else "")


class _Coded:
    """``values[codes[i]]`` on indexing: a column of a few distinct values, not expanded."""

    def __init__(self, values: NDArray[Any], codes: NDArray[Any]) -> None:
        self.values, self.codes = values, codes

    def __getitem__(self, i: int) -> Any:
        return self.values[self.codes[i]]


def _group_median(
    a: NDArray[np.float64], g: NDArray[np.int64], k: int, which: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Median of ``a`` per code in ``g`` for the codes where ``which`` holds; NaN elsewhere.

    Only the selected series are sorted (they are few: the candidates of a
    count test, see :func:`_profile`); the median of an even count is the
    mean of the two middle values, as ``np.median`` and pandas have it.
    """
    out = np.full(k, np.nan)
    sel = which[g]
    if not sel.any():
        return out
    gs, vs = g[sel], a[sel]
    order = np.lexsort((vs, gs))
    gs, vs = gs[order], vs[order]
    ids, first, cnt = np.unique(gs, return_index=True, return_counts=True)
    lo = first + (cnt - 1) // 2
    hi = first + cnt // 2
    out[ids] = (vs[lo] + vs[hi]) / 2.0
    return out


def _profile(
    dec: NDArray[np.float64],
    codes: NDArray[np.int64],
    k: int,
    nonzero: bool,
    hi: float,
    lo: float,
) -> pd.DataFrame:
    """Per-series count, median |r|, share beyond ±1, share negative, median nonzero |r|.

    Bin counts only.  A median is needed only where it could cross a bound:
    the median of ``n`` values exceeds ``hi`` only if at least ``n // 2`` of
    them exceed ``hi`` (the upper middle value does), and the median of the
    ``m`` non-zero values falls below ``lo`` only if at least ``m // 2`` of
    them do; those series (rarely any) get their exact median, the others
    NaN (their median is at most ``hi``, their non-zero median at least
    ``lo``).  The non-zero values are counted, and their median looked at,
    only when ``nonzero`` (``n_nonzero`` is 0 otherwise).  Series without a return are left out.
    """
    # one count per (series, class of value): bit 0 a return, 1 beyond ``hi``,
    # 2 beyond 1, 3 negative, and with ``nonzero`` 4 non-zero, 5 below ``lo``
    a = np.abs(dec)
    n_cls = 64 if nonzero else 16
    with np.errstate(invalid="ignore"):
        cls = (~np.isnan(dec)).view(np.uint8)
        for b, test in enumerate(
            (lambda: a > hi, lambda: a > 1.0, lambda: dec < 0.0, lambda: a > 0.0, lambda: a < lo),
            start=1,
        ):
            if 1 << b < n_cls:
                cls |= test().view(np.uint8) << np.uint8(b)
    grid = np.bincount(codes * n_cls + cls, minlength=k * n_cls).reshape(k, n_cls)
    bit = np.arange(n_cls)

    def count(*bits: int) -> NDArray[np.int64]:
        sel = np.all([(bit >> b) & 1 for b in bits], axis=0)
        return np.asarray(grid[:, sel].sum(axis=1), dtype=np.int64)

    def median(which: NDArray[np.bool_], nonzero_only: bool) -> NDArray[np.float64]:
        if not which.any():
            return np.full(k, np.nan)
        keep = a > 0.0 if nonzero_only else ~np.isnan(a)
        return _group_median(a[keep], codes[keep], k, which)

    n = count(0)
    above = count(0, 1)
    cand = (n > 0) & (above >= n // 2)
    med = median(cand, False)
    n_nz = np.zeros(k, dtype=np.int64)  # counted (and used) with ``nonzero`` only
    cand_nz = np.zeros(k, dtype=bool)
    med_nz = np.full(k, np.nan)
    if nonzero:
        n_nz = count(0, 4)
        small = count(0, 4, 5)
        cand_nz = (n_nz > 0) & (small >= n_nz // 2)
        med_nz = median(cand_nz, True)
    n_beyond = count(0, 2)
    n_neg = count(0, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        prof = pd.DataFrame(
            {
                "n": n,
                "median": med,
                "beyond_one": n_beyond / n,
                "negative": n_neg / n,
                "n_nonzero": n_nz.astype(np.int64),
                "median_nonzero": med_nz,
                "above": above,
                "n_beyond": n_beyond,
                "n_negative": n_neg,
            }
        )
    return prof[prof["n"] > 0]


def _pooled(dec: NDArray[np.float64], prof: pd.DataFrame, hi: float) -> pd.Series:
    """:func:`_profile` of all values together, from the per-series counts.

    The pooled median is computed only where it could exceed ``hi`` (at
    least half the values do), as in :func:`_profile`.
    """
    n = int(prof["n"].sum())
    above = int(prof["above"].sum())
    med = np.nan
    if n and above >= n // 2:
        med = float(np.median(np.abs(dec[~np.isnan(dec)])))
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(
            {
                "n": n,
                "median": med,
                "beyond_one": float(prof["n_beyond"].sum() / n) if n else np.nan,
                "negative": float(prof["n_negative"].sum() / n) if n else np.nan,
            }
        )


def _looks(row: pd.Series, unit: str) -> str:
    text = f"median |ret| {row['median']:.3g}, {row['beyond_one']:.0%} of values beyond ±1 (±100%)"
    if row["negative"] < 0.02:
        return text + ", no negative values: these look like price levels, not returns"
    if unit == "decimal":
        return text + ": these look like percent"
    return text + " even after dividing by 100: basis points or price levels?"


def check_return_scale(
    values: ArrayLike,
    *,
    what: str = "returns",
    unit: str = "decimal",
    tickers: ArrayLike | None = None,
    dates: ArrayLike | None = None,
    column: str = "ret",
    typical: tuple[float, float] = TYPICAL_DAILY_ABS,
    min_obs: int = MIN_SERIES_OBS,
    unit_arg: str = "returns_unit",
    cli_flag: str | None = "--returns-unit",
    labels: Sequence[str] | pd.Index | None = None,
    rows: ArrayLike | None = None,
    date_codes: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Turn daily simple returns into decimals and refuse implausible magnitudes.

    Parameters
    ----------
    values : array-like of float
        Returns in ``unit``; NaN means no return and is skipped.
    what : str
        Name of the input for messages (a file name, ``"returns"``,
        ``"factors"``).
    unit : {"decimal", "percent"}
        Unit the values are declared in; percent values are divided by 100.
    tickers : array-like, optional
        Series of each value (ticker, or factor name); each series is judged
        on its own and all values together.  None: one series.  With
        ``labels``, integer codes into ``labels`` instead (faster on large
        panels).
    dates : array-like, optional
        Date of each value, for messages.
    column : str
        Column name, for messages.
    typical : (float, float)
        Plausible range of a series' median absolute return as a decimal
        (default :data:`TYPICAL_DAILY_ABS`).  The lower bound applies only to
        percent input; pass ``(0, hi)`` for series that may be near zero
        every day (a risk-free rate).
    min_obs : int
        Returns a series needs to be judged on its own
        (:data:`MIN_SERIES_OBS`); all values are also judged pooled once
        there are five.
    unit_arg, cli_flag : str
        How the user declares the unit, for the message
        (``returns_unit=...`` and ``--returns-unit`` by default).
    labels : sequence of str, optional
        Names of the series when ``tickers`` holds integer codes.
    rows : array-like of int, optional
        0-based row of the input of each value, for messages, when the
        values are a selection of the input's rows (default: their order).
    date_codes : array-like of int, optional
        With ``dates``: the date of value ``i`` is ``dates[date_codes[i]]``
        (distinct dates and a code per value; no date array of the whole
        panel).

    Returns
    -------
    ndarray of float64
        The returns as decimals (a new array).

    Raises
    ------
    DataError
        Saying what the data look like and how to declare them when

        * a series' median absolute return as a decimal exceeds
          ``typical[1]`` (returns in percent, price levels), checked per
          series and pooled;
        * percent input divided by 100 has a median absolute (non-zero)
          return below ``typical[0]`` (a file already in decimals);
        * a return is below -1: a simple return cannot lose more than 100%;
        * a return is exactly -1: a close of zero, which no listed share
          has; in practice a missing-value code or -1 in percent.

    Notes
    -----
    With :math:`a_i = |r_i|` over the non-missing returns of one series, the
    series passes when :math:`\\operatorname{median}(a) \\le 0.2`: more than
    half of the days beyond ±20% is impossible on any A-share board
    (±10% to ±30%) and absurd elsewhere, while percent returns of stocks
    have medians near 1 and of broad indexes near 0.6.  A daily return
    beyond the board's limit is not an error here (it may be a listing day or
    a split); :func:`beyond_limit` flags it.
    """
    unit = check_unit(unit, name=unit_arg)
    raw = np.asarray(values, dtype=np.float64).reshape(-1)
    dec = raw * _SCALE[unit]
    n = len(dec)
    day: Any = None if dates is None else np.asarray(dates).reshape(-1)
    if day is not None and date_codes is not None:
        day = _Coded(day, np.asarray(date_codes).reshape(-1))
    if tickers is None:
        codes, names = np.zeros(n, dtype=np.int64), ["all"]
    elif labels is not None:  # integer codes: no object array of the whole panel
        codes = np.asarray(tickers).reshape(-1).astype(np.int64, copy=False)
        names = [str(x) for x in labels]
    else:
        tick = np.asarray(tickers, dtype=object).reshape(-1)
        fac, uniq = pd.factorize(pd.Series(tick, dtype=object), use_na_sentinel=False)
        codes, names = np.asarray(fac, dtype=np.int64), [str(x) for x in uniq]

    row_of = None if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)

    def label(i: int) -> str | None:
        return None if tickers is None else names[int(codes[i])]

    in_unit = "as decimals (0.01 = 1%)" if unit == "decimal" else "in percent (1 = 1%)"
    col = f"column {column!r}"
    if np.isfinite(dec).sum():
        prof = _profile(dec, codes, len(names), unit == "percent", typical[1], typical[0])
        pooled = _pooled(dec, prof, typical[1])
        big = prof[(prof["n"] >= min_obs) & (prof["median"] > typical[1])]
        if len(big) or (pooled["n"] >= 5 and pooled["median"] > typical[1]):
            if tickers is None or (len(big) == 0):
                subject, looks, rest = f"the returns in {col}", _looks(pooled, unit), ""
            else:
                shown = "; ".join(
                    f"{names[int(g)]}: {_looks(big.loc[g], unit)}" for g in big.index[:3]
                )
                more = f" (and {len(big) - 3} more)" if len(big) > 3 else ""
                subject = f"the returns in {col} of {len(big)} of {len(prof)} series"
                looks = shown + more
                # a NaN median is at most typical[1] (not a candidate, _profile)
                fine = prof[~(prof["median"] > typical[1]) & (prof["n"] >= min_obs)]
                first_fine = (
                    _group_median(
                        np.abs(dec[~np.isnan(dec)]),
                        codes[~np.isnan(dec)],
                        len(names),
                        np.arange(len(names)) == fine.index[0],
                    )[fine.index[0]]
                    if len(fine)
                    else np.nan
                )
                rest = (
                    f". The other series look plausible (e.g. {names[fine.index[0]]}: median "
                    f"|ret| {first_fine:.3g}): every series, the market index "
                    "included, must be in one unit"
                    if len(fine)
                    else ""
                )
            price_like = "look like price levels" in looks
            if price_like:
                fix = "read prices as prices (read_prices_csv, --prices): returns are computed from them"
            elif unit == "decimal":
                fix = _how("percent", unit_arg, cli_flag)
            else:
                fix = "check the column: even in percent these are far too large for daily returns"
            raise DataError(
                f"{what}: {subject} do not look like daily simple returns {in_unit}: "
                f"{looks}{rest}. To fix: {fix}"
            )
        if unit == "percent" and typical[0] > 0:
            small = prof[(prof["n_nonzero"] >= min_obs) & (prof["median_nonzero"] < typical[0])]
            if len(small):
                g = small.index[0]
                which = (
                    ""
                    if tickers is None
                    else f" of {len(small)} of {len(prof)} series (e.g. {names[int(g)]})"
                )
                raise DataError(
                    f"{what}: read as percent (divided by 100), the returns in {col}{which} are "
                    f"implausibly small for daily returns: median |ret| "
                    f"{small['median_nonzero'].iloc[0]:.2g} ({small['median_nonzero'].iloc[0]:.4%}) "
                    f"after the division; the column seems to hold decimals already. To fix: "
                    f"{_how('decimal', unit_arg, cli_flag)}"
                )
    with np.errstate(invalid="ignore"):
        below = dec < -1.0
        total = dec == -1.0
    hint = (
        f"; if the column is in percent, {_how('percent', unit_arg, cli_flag)}"
        if unit == "decimal"
        else ""
    )
    if below.any():
        i = int(np.flatnonzero(below)[0])
        shown = f"{raw[i]:g}" + (f" (= {dec[i]:g} as a decimal)" if unit == "percent" else "")
        raise DataError(
            f"{what}: {_where(i, label(i), day, row_of)} has the return {shown} in {col}: below -1 "
            f"(a loss of more than 100%), which no simple return can be{hint}"
        )
    if total.any():
        i = int(np.flatnonzero(total)[0])
        raise DataError(
            f"{what}: {_where(i, label(i), day, row_of)} has the return {raw[i]:g} in {col}, a loss of "
            f"exactly 100% (a close of zero). No listed share closes at zero: this is a "
            f"missing-value code or a data error (leave the cell empty for a day without a "
            f"return; a delisted stock's series ends on its last trading day){hint}"
        )
    return dec


def plausible_grid(
    grid: NDArray[np.float64],
    market: NDArray[np.float64],
    unit: str,
    typical: tuple[float, float] = TYPICAL_DAILY_ABS,
    min_obs: int = MIN_SERIES_OBS,
) -> bool:
    """True when :func:`check_return_scale` could not refuse these returns.

    ``grid`` (days x tickers) and ``market`` hold decimals, one series per
    column plus the market.  A series' median absolute return exceeds
    ``typical[1]`` only if at least half its values do (and likewise for
    all values pooled, and for the median of the non-zero values falling
    below ``typical[0]`` after a percent conversion), so counts per column
    clear a panel without any median (a series is judged on its own from
    ``min_obs`` values, all values pooled from 5, as there); a return at or
    below -1 is refused
    outright.  False means "look closer": the caller runs the exact check,
    which decides (and words the message).
    """
    lo, hi = typical
    percent = unit == "percent" and lo > 0
    got = [_grid_counts(x, hi, lo, percent) for x in (grid, market[:, None])]
    counts = [c for c in got if c is not None]
    if len(counts) < len(got):  # a return at or below -1
        return False
    n, above, nz, small = (np.concatenate(parts) for parts in zip(*counts, strict=True))
    if ((n >= min_obs) & (above >= n // 2)).any():
        return False
    if n.sum() >= 5 and above.sum() >= n.sum() // 2:
        return False
    if percent and ((nz >= min_obs) & (small >= nz // 2)).any():
        return False
    return True


#: Rows per block of :func:`_grid_counts` (its temporaries stay in cache).
GRID_BLOCK: Final = 128


def _grid_counts(
    x: NDArray[np.float64], hi: float, lo: float, percent: bool
) -> tuple[NDArray[np.int64], ...] | None:
    """Per column of ``x``: values, ``|x| > hi``, and (``percent``) ``|x| > 0``
    and ``0 < |x| < lo``; None when a value is at or below -1.  In blocks of
    :data:`GRID_BLOCK` rows, with one reused buffer for ``|x|``."""
    x = np.asarray(x, dtype=np.float64)
    t_len, w = x.shape
    n, above, nz, small = (np.zeros(w, dtype=np.int64) for _ in range(4))
    buf = np.empty((min(GRID_BLOCK, t_len), w))
    with np.errstate(invalid="ignore"):
        for start in range(0, t_len, GRID_BLOCK):
            blk = x[start : start + GRID_BLOCK]
            if (blk <= -1.0).any():
                return None
            a = np.abs(blk, out=buf[: len(blk)])
            n += len(blk) - np.isnan(a).sum(axis=0)
            above += (a > hi).sum(axis=0)
            if percent:
                pos = a > 0.0
                nz += pos.sum(axis=0)
                small += (pos & (a < lo)).sum(axis=0)
    return n, above, nz, small
