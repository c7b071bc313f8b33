"""Per-day price-limit flags from prices: limit-up and limit-down closes,
locked (one-price) days and broken limits, with "unknown" where the data
cannot tell.

For a stock on day ``t`` with reference price ``C_{t-1}`` (the previous
close, or the ``prev_close`` column where the source gives it) and the limit
``l`` of its board, risk-warning status and date (:data:`LIMIT_RULES`), the
limit prices are ``C_{t-1}(1 ± l)`` rounded half-up to the tick.  In cents:

* limit-up close (涨停): ``close == up``; limit-down close (跌停): ``close == down``;
* locked (一字板): ``open == high == low == close`` at the up- or down-limit;
* broken limit (炸板): ``high == up`` and ``close < up``.

A flag is *unknown* (not false) when the data cannot tell:

* no close that day, or no earlier close to be the reference;
* no rule for the board and date (board ``other``, before the board existed);
* an ex-date (``dividend > 0`` or a ``split`` other than 0 or 1, as in
  yfinance's actions): the exchange's reference price is the ex-rights
  price, not the previous close;
* a close beyond the computed limit, which means the rule does not fit the
  stock (a wider limit than the table gives, a special resumption): the
  flags of that day are not trusted;
* a close that is not on the 0.01 CNY tick, which is what an adjusted price
  looks like (Yahoo's ``Close`` is adjusted for splits): the limit prices
  would not match it.

A risk-warning (ST) stock has a narrower limit (±5% on the main boards
before 2025-07-07) that this check cannot see: its limit-up closes sit
inside the ±10% band and come out *false*, not unknown.  Pass the ST
periods (``st=``) to get them right.

The first sessions of a new listing trade without the usual limit: five
sessions on STAR and on ChiNext from 2020-08-24, and on the main boards from
2023-04-10 (registration reform); one session (the listing day) before those
dates and on the Beijing exchange.  They are marked *unlimited* and their
flags are false.
A listing is the date given in ``listings`` for that ticker or, for a ticker
not listed there, its first price row if that comes after the first date of
the whole price frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.exceptions import DataError
from eventstudy.market.boards import board_of
from eventstudy.market.limits import limit_fractions, limit_prices

__all__ = ["STATUS", "LimitFlags", "limit_flags", "listing_free_sessions", "st_matrix"]


def listing_free_sessions(board: str, listing_date: Any) -> int:
    """Sessions a new listing trades without the usual limit, by board and date.

    Five on STAR, on ChiNext from 2020-08-24 and on the main boards from
    2023-04-10 (the registration reforms); otherwise the listing day only
    (main boards before 2023-04-10, with their 44% first-day cap; ChiNext
    before 2020-08-24; Beijing).
    """
    day = pd.Timestamp(listing_date)
    if board == "star":
        return 5
    if board == "chinext":
        return 5 if day >= pd.Timestamp("2020-08-24") else 1
    if board in ("sse_main", "szse_main"):
        return 5 if day >= pd.Timestamp("2023-04-10") else 1
    return 1


#: Status codes of a (day, stock) cell.
STATUS: Final = {
    0: "known",
    1: "unlimited (new listing)",
    2: "no price",
    3: "no reference close",
    4: "no limit rule for the board and date",
    5: "ex-date (reference price is not the previous close)",
    6: "close beyond the computed limit (rule does not fit)",
    7: "close not on the 0.01 tick (adjusted price?)",
}


@dataclass(frozen=True)
class LimitFlags:
    """Flags on a (dates x tickers) grid; ``-1`` = unknown, 0 = false, 1 = true.

    Attributes
    ----------
    dates, tickers : the grid.
    limit_up, limit_down, locked, broken : int8 matrices (-1 / 0 / 1).
    limit : float matrix, the limit fraction used (NaN where unknown or unlimited).
    status : int8 matrix, a key of :data:`STATUS`.
    """

    dates: pd.DatetimeIndex
    tickers: pd.Index
    limit_up: NDArray[np.int8]
    limit_down: NDArray[np.int8]
    locked: NDArray[np.int8]
    broken: NDArray[np.int8]
    limit: NDArray[np.float64]
    status: NDArray[np.int8]

    def frame(self) -> pd.DataFrame:
        """Long table ``date, ticker, limit_up, limit_down, locked, broken, limit, status``
        with nullable booleans (``<NA>`` = unknown) and the status in words."""
        t, f = len(self.dates), len(self.tickers)
        out = pd.DataFrame(
            {
                "date": np.repeat(self.dates.values, f),
                "ticker": np.tile(np.asarray(self.tickers, dtype=object), t),
            }
        )
        for name in ("limit_up", "limit_down", "locked", "broken"):
            v = getattr(self, name).reshape(-1)
            out[name] = pd.array([None if x < 0 else bool(x == 1) for x in v], dtype="boolean")
        out["limit"] = self.limit.reshape(-1)
        out["status"] = pd.Series(self.status.reshape(-1)).map(STATUS).to_numpy()
        keep = self.status.reshape(-1) != 2
        return out[keep].reset_index(drop=True)

    def reindex(self, dates: pd.DatetimeIndex, tickers: pd.Index) -> LimitFlags:
        """The flags on another grid; cells not in this one are unknown (no price)."""
        ri = self.dates.get_indexer(dates)
        ci = self.tickers.get_indexer(tickers)
        ok = (ri[:, None] >= 0) & (ci[None, :] >= 0)
        rr, cc = np.maximum(ri, 0)[:, None], np.maximum(ci, 0)[None, :]

        def take(m: np.ndarray, fill: Any) -> np.ndarray:
            return np.where(ok, m[rr, cc], fill)

        return LimitFlags(
            dates=dates,
            tickers=tickers,
            limit_up=take(self.limit_up, -1).astype(np.int8),
            limit_down=take(self.limit_down, -1).astype(np.int8),
            locked=take(self.locked, -1).astype(np.int8),
            broken=take(self.broken, -1).astype(np.int8),
            limit=take(self.limit, np.nan),
            status=take(self.status, 2).astype(np.int8),
        )


def st_matrix(
    st: pd.DataFrame | None, dates: pd.DatetimeIndex, tickers: pd.Index
) -> NDArray[np.bool_]:
    """Risk-warning status on a grid from a ``ticker, start[, end]`` table (inclusive;
    an empty ``end`` means still under warning)."""
    out = np.zeros((len(dates), len(tickers)), dtype=bool)
    if st is None or len(st) == 0:
        return out
    missing = {"ticker", "start"} - set(st.columns)
    if missing:
        raise DataError(
            f"the ST list needs columns ticker, start[, end]; missing {sorted(missing)}"
        )
    from eventstudy.dates import parse_dates
    from eventstudy.tickers import normalize_ticker

    # the date policy of every boundary (eventstudy.dates); an empty start is reported below
    start = pd.Series(parse_dates(st["start"], what="ST list start", allow_missing=True).dates)
    end = (
        pd.Series(parse_dates(st["end"], what="ST list end", allow_missing=True).dates)
        if "end" in st
        else pd.Series(pd.NaT, index=range(len(st)))
    )
    for i, (tk, a, b) in enumerate(zip(st["ticker"].astype(str), start, end, strict=True)):
        if pd.isna(a):
            raise DataError(
                f"ST list row {i + 1} ({tk}): start {st['start'].iloc[i]!r} is not a date"
            )
        j = tickers.get_indexer(pd.Index([normalize_ticker(tk)]))[0]
        if j < 0:
            continue
        hi = dates.max() if pd.isna(b) else b
        out[(dates >= a) & (dates <= hi), j] = True
    return out


def _matrix(
    long: pd.DataFrame, col: str, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    m = np.full(shape, np.nan)
    if col in long:
        m[rows, cols] = pd.to_numeric(long[col], errors="coerce").to_numpy(dtype=float)
    return m


def limit_flags(
    prices: pd.DataFrame,
    *,
    st: pd.DataFrame | None = None,
    listings: Mapping[str, Any] | None = None,
    new_listing_days: int | None = None,
) -> LimitFlags:
    """Limit flags of every (date, ticker) of a long price frame.

    Parameters
    ----------
    prices : DataFrame
        ``date, ticker, close`` and optionally ``open, high, low, prev_close,
        dividend, split`` (the price frame of a :class:`~eventstudy.data.Panel`).
    st : DataFrame, optional
        Risk-warning periods, ``ticker, start[, end]``.
    listings : mapping ticker -> date, optional
        Listing dates; a ticker not given whose first row comes after the
        frame's first date is taken as listed on that row.  A listing before
        the ticker's first row marks nothing (its free sessions are not in
        the data).
    new_listing_days : int, optional
        Sessions without a limit after a listing; default by board and date
        (:func:`listing_free_sessions`).
    """
    need = {"date", "ticker", "close"} - set(prices.columns)
    if need:
        raise DataError(f"prices need columns date, ticker, close; missing {sorted(need)}")
    from eventstudy.dates import parse_dates

    long = prices.copy()
    long["date"] = parse_dates(long["date"], what="prices").dates.to_numpy()  # one date policy
    text = long["ticker"].astype("string").str.strip()
    if text.isna().any() or (text == "").any():
        i = int(np.flatnonzero((text.isna() | (text == "")).to_numpy())[0])
        raise DataError(f"prices: row {i + 1} has an empty ticker")
    long["ticker"] = text.astype(str).to_numpy(dtype=object)
    dates = pd.DatetimeIndex(np.sort(long["date"].unique()))
    tickers = pd.Index(np.sort(long["ticker"].astype(str).unique()))
    rows = dates.get_indexer(pd.DatetimeIndex(long["date"]))
    cols = tickers.get_indexer(pd.Index(long["ticker"].astype(str)))
    shape = (len(dates), len(tickers))
    close = _matrix(long, "close", rows, cols, shape)
    cents = np.round(close * 100.0)
    have = ~np.isnan(close)
    # reference close: the source's prev_close, else the previous close in the data
    ref = _matrix(long, "prev_close", rows, cols, shape)
    last = pd.DataFrame(close).ffill().shift(1).to_numpy()
    ref = np.where(np.isnan(ref), last, ref)
    boards = np.array([board_of(t) for t in tickers], dtype=object)
    stm = st_matrix(st, dates, tickers)
    lim = limit_fractions(boards[None, :], dates.values[:, None], stm)
    up, down = limit_prices(ref, lim)
    up_c, down_c = np.round(up * 100.0), np.round(down * 100.0)
    status = np.zeros(shape, dtype=np.int8)
    div = _matrix(long, "dividend", rows, cols, shape)
    spl = _matrix(long, "split", rows, cols, shape)
    ex = (np.nan_to_num(div) > 0) | ((np.nan_to_num(spl) != 0) & (np.nan_to_num(spl) != 1))
    beyond = have & ~np.isnan(up_c) & ((cents > up_c) | (cents < down_c))
    # listings: the first free sessions after a listing, counted on the data's rows
    seen = np.cumsum(have, axis=0)
    first_row = np.where(have.any(axis=0), np.argmax(have, axis=0), -1)
    listed = first_row > 0
    free = np.zeros(len(tickers), dtype=np.int64)
    for j in np.flatnonzero(listed):
        free[j] = (
            new_listing_days
            if new_listing_days is not None
            else listing_free_sessions(str(boards[j]), dates[first_row[j]])
        )
    if listings:
        from eventstudy.tickers import normalize_ticker

        for tk, day in listings.items():
            j = tickers.get_indexer(pd.Index([normalize_ticker(str(tk))]))[0]
            if j < 0:
                continue
            when = pd.Timestamp(day)
            before = dates < when
            if not have[:, j].any() or when < dates[first_row[j]]:
                listed[j] = False  # listed before its data start: free days not in the data
                continue
            listed[j] = True
            seen[:, j] = np.cumsum(have[:, j] & ~before)
            seen[before, j] = 0
            free[j] = (
                new_listing_days
                if new_listing_days is not None
                else listing_free_sessions(str(boards[j]), when)
            )
    unlimited = listed[None, :] & have & (seen >= 1) & (seen <= free[None, :])
    off_tick = have & (np.abs(close * 100.0 - cents) > 1e-4)
    status[beyond] = 6
    status[off_tick] = 7  # an adjusted price also explains a close "beyond" the limit
    status[ex] = 5
    status[np.isnan(lim)] = 4
    status[np.isnan(ref)] = 3
    status[unlimited] = 1
    status[~have] = 2
    known = status == 0
    opn = np.round(_matrix(long, "open", rows, cols, shape) * 100.0)
    high = np.round(_matrix(long, "high", rows, cols, shape) * 100.0)
    low = np.round(_matrix(long, "low", rows, cols, shape) * 100.0)
    ohlc = ~np.isnan(opn) & ~np.isnan(high) & ~np.isnan(low)

    def tri(value: np.ndarray, known_mask: np.ndarray) -> NDArray[np.int8]:
        out = np.where(known_mask, value.astype(np.int8), np.int8(-1))
        out[status == 1] = 0
        return out.astype(np.int8)

    lu = cents == up_c
    ld = cents == down_c
    one_price = (opn == high) & (high == low) & (low == cents)
    return LimitFlags(
        dates=dates,
        tickers=tickers,
        limit_up=tri(lu, known),
        limit_down=tri(ld, known),
        locked=tri(one_price & (lu | ld), known & ohlc),
        broken=tri((high == up_c) & (cents < up_c), known & ohlc),
        limit=np.where(known, lim, np.nan),
        status=status,
    )
