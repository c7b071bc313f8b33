"""Observed prices: open, high, low and volume; the long panel; the suspension spells."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.data.base import Panel
from eventstudy.market.limits import NO_LIMIT_CENTS

_NO_LIMIT: Final = NO_LIMIT_CENTS


def _ohlcv(
    rng: np.random.Generator,
    close: np.ndarray,
    prev: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    latent_c: np.ndarray,
    sigma: np.ndarray,
    vol_level: np.ndarray,
    boost: tuple[np.ndarray, np.ndarray, np.ndarray],
    lock_margin: float,
) -> dict[str, np.ndarray]:
    """Open, high, low (cents) and volume (shares) consistent with the close and limits.

    Open = prev x (1 + 0.4 x move + 0.4 sigma z); high and low stretch max/min(open,
    close) by half-normal noise of sd 0.5 sigma; all clipped to the limit prices.
    A limit close with the latent price beyond the limit by ``lock_margin`` is a
    locked one-price day.  Log volume = firm level + 0.35 z + 0.25 min(|move| /
    sigma, 6) (+ ``boost`` on given cells), and a tenth of that on locked days.
    Computed in place, one (days x firms) temporary at a time.
    """
    shape = close.shape
    move = close / prev.astype(float)
    move -= 1.0

    def noise(scale: float) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32) * (scale * sigma)

    op = noise(0.4)
    op += 0.4 * move
    op += 1.0
    op *= prev
    op += 0.5
    op = np.clip(np.floor(op, out=op), down, up).astype(np.int64)
    hi = np.abs(noise(0.5))
    hi += 1.0
    hi *= np.maximum(op, close)
    hi += 0.5
    hi = np.minimum(np.floor(hi, out=hi).astype(np.int64), up)
    lo = -np.abs(noise(0.5))
    lo += 1.0
    lo *= np.minimum(op, close)
    lo += 0.5
    lo = np.maximum(np.floor(lo, out=lo).astype(np.int64), down)
    has_limit = up < _NO_LIMIT
    locked = has_limit & (
        ((close == up) & (latent_c >= up * (1.0 + lock_margin)))
        | ((close == down) & (latent_c <= down * (1.0 - lock_margin)))
    )
    for arr in (op, hi, lo):
        arr[locked] = close[locked]
    logv = rng.standard_normal(shape, dtype=np.float32) * 0.35 + np.log(vol_level)
    np.abs(move, out=move)
    move /= sigma
    np.minimum(move, 6.0, out=move)
    logv += 0.25 * move
    del move
    np.add.at(logv, (boost[0], boost[1]), boost[2])
    logv[locked] += np.log(0.1)
    np.exp(logv, out=logv)
    logv /= 100.0
    logv += 0.5
    volume = np.maximum(np.floor(logv, out=logv), 1.0).astype(np.int64) * 100
    return {"open": op, "high": hi, "low": lo, "volume": volume}


def _build_panel(
    sessions: pd.DatetimeIndex,
    tickers: np.ndarray,
    close: np.ndarray,
    prev: np.ndarray,
    traded: np.ndarray,
    ohlcv: dict[str, np.ndarray],
    provenance: dict[str, Any],
) -> Panel:
    """Long return and price frames of the traded (day, column) cells, by ticker then date."""
    n_days, n_col = close.shape
    order = np.argsort(tickers.astype(str), kind="stable")
    mask = traded[:, order].T  # (columns in ticker order, days)
    j, t = np.nonzero(mask)
    flat = t * n_col + order[j]  # positions in the (days, columns) matrices
    # span = sessions since the previous traded session (the sample start counts as one)
    last = np.maximum.accumulate(np.where(mask, np.arange(n_days)[None, :], -1), axis=1)
    before = np.concatenate([np.full((n_col, 1), -1), last[:, :-1]], axis=1)
    span = t - before[j, t]
    c = close.ravel()[flat] / 100.0
    p = prev.ravel()[flat] / 100.0  # the last observed close, carried over suspensions
    dates = sessions.values.astype("datetime64[ns]")[t]
    names = pd.array(tickers[order].astype(str), dtype="str")
    ticker = names.take(j)
    returns = pd.DataFrame(
        {"date": dates, "ticker": ticker, "ret": c / p - 1.0, "span": span.astype(np.int64)},
        copy=False,
    )
    prices = pd.DataFrame(
        {
            "date": dates,
            "ticker": ticker,
            **{k: ohlcv[k].ravel()[flat] / 100.0 for k in ("open", "high", "low")},
            "close": c,
            "volume": ohlcv["volume"].ravel()[flat],
            "prev_close": p,
        },
        copy=False,
    )
    notes = [
        "SIMULATED prices: not market data",
        f"simulated on {n_days} XSHG sessions {sessions[0].date()}..{sessions[-1].date()}; "
        f"the index {tickers[0]} has no price limit and is never suspended",
        "a suspended day has no row; the first return after it spans the gap (span > 1)",
    ]
    return Panel(
        returns=returns, prices=prices, source="simulated", provenance=provenance, notes=notes
    )


def _suspension_frame(
    susp: np.ndarray,
    tickers: np.ndarray,
    sessions: pd.DatetimeIndex,
    pos: np.ndarray,
    cols: np.ndarray,
    designated: np.ndarray,
    ids: np.ndarray,
) -> pd.DataFrame:
    """Every suspension run: ticker, first and last session, length, kind, event."""
    width = susp.shape[0] + 2  # each firm's days padded with one idle day on both sides
    flat = np.zeros((susp.shape[1], width), dtype=np.int8)
    flat[:, 1:-1] = susp.T
    d = np.diff(flat.ravel())
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    firm_i, first, last = starts // width, starts % width, ends % width - 1
    kind = np.full(len(firm_i), "random", dtype=object)
    event_id = np.full(len(firm_i), "", dtype=object)
    starts += 1
    for label, offset in (("pre-event", -1), ("day0", 0)):
        sel = np.flatnonzero(
            (designated == label) & (pos + offset >= 0) & (pos + offset < susp.shape[0])
        )
        if len(sel):
            key = cols[sel] * width + pos[sel] + offset + 1
            spell = np.searchsorted(starts, key, side="right") - 1
            kind[spell] = label
            event_id[spell] = ids[sel]
    frame = pd.DataFrame(
        {
            "ticker": tickers[firm_i].astype(str),
            "start": sessions.values[first],
            "end": sessions.values[last],
            "sessions": (last - first + 1).astype(np.int64),
            "kind": kind.astype(str),
            "event_id": event_id.astype(str),
        }
    )
    return frame.sort_values(["ticker", "start"], kind="stable").reset_index(drop=True)
