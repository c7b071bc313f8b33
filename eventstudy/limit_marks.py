"""Returns beyond a board's daily price limit, marked on the aligned grid.

Part of the plausibility guards (:mod:`eventstudy.guards` re-exports these
names): a daily return beyond its board's limit is possible (the first
sessions of a new listing, an unadjusted split or bonus issue) but also the
mark of a data error, so studies flag it per event instead of refusing it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["LIMIT_TOLERANCE", "beyond_limit", "beyond_limit_by_event", "beyond_limit_note"]

#: Slack added to a board's limit before a return counts as beyond it: the
#: tick rounding of limit prices (half a cent on a price of 1 CNY) and small
#: vendor adjustments stay inside.
LIMIT_TOLERANCE: Final = 0.01


def beyond_limit(
    ret: NDArray[np.float64],
    tickers: Sequence[str] | pd.Index,
    dates: pd.DatetimeIndex,
    span: NDArray[np.float64] | None = None,
    *,
    tol: float = LIMIT_TOLERANCE,
) -> NDArray[np.bool_]:
    """Mark daily returns beyond their board's price limit (a days x tickers grid).

    Parameters
    ----------
    ret : ndarray, (days, tickers)
        Simple returns as decimals; NaN = no return.
    tickers : sequence of str
        Ticker of each column; the board (and so the limit) comes from the code
        (:func:`eventstudy.market.boards.board_of`).  Indexes and anything
        else without a known limit are never marked.
    dates : DatetimeIndex
        Date of each row; limits are dated (:data:`eventstudy.market.limits.LIMIT_RULES`).
    span : ndarray, (days, tickers), optional
        Sessions each return covers (1 when absent or NaN).
    tol : float
        Slack beyond the limit (:data:`LIMIT_TOLERANCE`).

    Returns
    -------
    ndarray of bool, (days, tickers)

    Notes
    -----
    With limit :math:`\\ell` (the board's, not the stricter risk-warning
    limit, which needs the ST list) and span :math:`s`, a return is beyond the
    limit when

    .. math:: r > (1+\\ell)^s - 1 + \\mathrm{tol} \\quad\\text{or}\\quad
              r < (1-\\ell)^s - 1 - \\mathrm{tol}.

    Such a return is possible (the first sessions of a new listing trade
    without limit; an unadjusted split or bonus issue moves the close) but
    also the mark of a data error, so studies flag it per event instead of
    refusing it.
    """
    from eventstudy.market.boards import board_of
    from eventstudy.market.limits import limit_fractions

    r = np.asarray(ret, dtype=np.float64)
    if r.size == 0:
        return np.zeros(r.shape, dtype=bool)
    names = tickers.tolist() if isinstance(tickers, (pd.Index, np.ndarray)) else tickers
    boards = np.array([board_of(str(t)) for t in names], dtype=object)
    ub, inv = np.unique(boards.astype(str), return_inverse=True)
    d = np.asarray(pd.DatetimeIndex(dates).values, dtype="datetime64[ns]")
    per_board = limit_fractions(ub.astype(object)[None, :], d[:, None])  # (days, boards)
    # the bounds of a one-session return per (day, board), gathered per column; the
    # same expressions as below with s = 1, so the same numbers
    one = np.float64(1.0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a day without any limit: NaN
        up_b = (1.0 + per_board) ** one - 1.0 + tol  # (days, boards)
        down_b = (1.0 - per_board) ** one - 1.0 - tol
        # candidates: |r| beyond the day's tightest bound over boards and sides (a
        # superset of the marks), then the exact bound of each candidate's board;
        # NaN bounds (no limit) compare False
        near = np.minimum(np.nanmin(up_b, axis=1), -np.nanmax(down_b, axis=1))
        flat = _beyond(r, near)
        out = np.zeros(r.shape, dtype=bool)
        t_c, j_c = np.divmod(flat, r.shape[1])
        rc = r[t_c, j_c]
        out[t_c, j_c] = (rc > up_b[t_c, inv[j_c]]) | (rc < down_b[t_c, inv[j_c]])
    if span is not None:
        s = np.maximum(np.where(np.isnan(span), 1.0, span), 1.0)
        multi = np.flatnonzero((s > 1.0).reshape(-1))
        if len(multi):
            t_idx, j_idx = np.divmod(multi, r.shape[1])
            lim = per_board[t_idx, inv[j_idx]]
            sm, rm = s.reshape(-1)[multi], r.reshape(-1)[multi]
            with np.errstate(invalid="ignore"):
                up = (1.0 + lim) ** sm - 1.0 + tol
                down = (1.0 - lim) ** sm - 1.0 - tol
                out.reshape(-1)[multi] = ~np.isnan(lim) & ((rm > up) | (rm < down))
    return np.asarray(out, dtype=bool)


#: Rows of the grid per block of :func:`_beyond` (its temporaries stay in cache).
GRID_BLOCK: Final = 128


def _beyond(r: NDArray[np.float64], bound: NDArray[np.float64]) -> NDArray[np.intp]:
    """Flat indices (row-major) of the cells of ``r`` with ``|r[t, j]| > bound[t]``.

    In blocks of :data:`GRID_BLOCK` rows, one absolute value and one comparison
    each, so that no grid-sized temporary is made; NaN never counts.
    """
    t_len, w = r.shape
    buf = np.empty((min(GRID_BLOCK, t_len), w))
    hits = []
    for lo in range(0, t_len, GRID_BLOCK):
        blk = buf[: min(GRID_BLOCK, t_len - lo)]
        np.abs(r[lo : lo + len(blk)], out=blk)
        hits.append(np.flatnonzero(blk > bound[lo : lo + len(blk), None]) + lo * w)
    return np.concatenate(hits)


def beyond_limit_note(
    mask: NDArray[np.bool_],
    ret: NDArray[np.float64],
    tickers: Sequence[str] | pd.Index,
    dates: pd.DatetimeIndex,
) -> str | None:
    """One note for ``results.notes`` describing the returns :func:`beyond_limit` marked."""
    n = int(mask.sum())
    if n == 0:
        return None
    t, j = np.argwhere(mask)[0]
    firms = len(np.flatnonzero(mask.any(axis=0)))
    return (
        f"{n} daily return(s) of {firms} ticker(s) lie beyond the board's daily price limit "
        f"(e.g. {tickers[j]} on {pd.Timestamp(dates[t]).date()}: {ret[t, j]:+.1%}): a listing "
        "day, an unadjusted split or bonus issue, or a data error? They are kept; each event "
        "counts those in its windows in n_beyond_limit (dates in beyond_limit_dates)"
    )


def beyond_limit_by_event(
    mask: NDArray[np.bool_] | None,
    dates: pd.DatetimeIndex,
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    offsets: NDArray[np.int64],
    placed: NDArray[np.bool_],
) -> dict[str, NDArray[Any]]:
    """Per event: how many returns beyond the limit its windows hold, and their dates.

    Parameters
    ----------
    mask : ndarray of bool (days, tickers) or None
        From :func:`beyond_limit`; None gives zeros.
    dates : DatetimeIndex
        The rows of ``mask``.
    d0, tk : ndarray of int
        Day-0 row and ticker column of each event.
    offsets : ndarray of int
        Event-time days to look at (estimation and event windows).
    placed : ndarray of bool
        Events with a ticker and a day 0 inside the data; the others get 0.

    Returns
    -------
    dict
        ``n_beyond_limit`` (int per event) and ``beyond_limit_dates``
        (``"YYYY-MM-DD;..."``, empty when none).
    """
    n_ev = len(d0)
    count = np.zeros(n_ev, dtype=np.int64)
    text = np.full(n_ev, "", dtype=object)
    if mask is None or not mask.any() or not placed.any():
        return {"n_beyond_limit": count, "beyond_limit_dates": text}
    from eventstudy.align import window_values

    rows = np.flatnonzero(placed)
    hits = window_values(mask, d0[rows], offsets, tk[rows], False).astype(bool)
    count[rows] = hits.sum(axis=1)
    pos = d0[rows][:, None] + offsets[None, :]
    for k in np.flatnonzero(count[rows]):  # only the flagged events
        days = dates[pos[k][hits[k]]]
        text[rows[k]] = ";".join(str(d.date()) for d in days)
    return {"n_beyond_limit": count, "beyond_limit_dates": text}
