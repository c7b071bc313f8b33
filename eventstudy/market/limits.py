"""Daily price limits of A-shares, kept as a dated rule table.

The limit of a stock on a day depends on its board, on whether it is under
risk warning (ST, \\*ST) and on the date, because the exchanges have changed
the rules (ChiNext went from ±10% to ±20% with the 2020 registration reform;
main-board risk-warning stocks went from ±5% to ±10% in 2025).  The rules
live in :data:`LIMIT_RULES` as data, one row per (board, ST status, period);
the functions here only look rows up.

Limit prices follow the exchanges' formula: previous close times
``1 ± limit``, rounded half-up to the 0.01 CNY tick,

.. math::

    P^{up}_t = \\lfloor 100\\,C_{t-1}(1+\\ell) + 0.5 \\rfloor / 100, \\qquad
    P^{down}_t = \\lfloor 100\\,C_{t-1}(1-\\ell) + 0.5 \\rfloor / 100 .

Not covered (documented gaps): the first trading days of new listings (no
limit), special resumption rules, B shares and funds (board ``other``: no
limit known, ``nan``), and stocks priced below a few cents, where the
exchanges move the limit price by one tick if rounding would leave it equal to
the previous close.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from eventstudy.exceptions import EventStudyError
from eventstudy.market.boards import BOARDS

__all__ = [
    "LIMIT_RULES",
    "NO_LIMIT_CENTS",
    "LimitRule",
    "close_under_limits",
    "limit_for",
    "limit_fractions",
    "limit_prices",
    "limit_table",
    "tick_round",
]


@dataclass(frozen=True)
class LimitRule:
    """One row of the price-limit table.

    Attributes
    ----------
    board : str
        One of :data:`~eventstudy.market.boards.BOARDS`.
    st : bool
        True for risk-warning stocks (ST, \\*ST), False for the others.
    limit : float
        Daily limit as a fraction of the previous close (0.10 = ±10%).
    effective_from : datetime.date
        First calendar day the rule applies (inclusive).
    effective_to : datetime.date or None
        Last calendar day the rule applies (inclusive); None while in force.
        Consecutive rows of one (board, st) pair leave no gap, so every
        calendar day, not only sessions, has a rule once the board exists.
    source : str
        The exchange rule the row rests on, with what still needs verifying.
    """

    board: str
    st: bool
    limit: float
    effective_from: _dt.date
    effective_to: _dt.date | None
    source: str


_D = _dt.date

_SRC_MAIN_10 = (
    "SSE and SZSE: daily price limit of ±10% on listed shares since 1996-12-16 (exchange "
    "notices of December 1996); kept in the SSE Trading Rules and SZSE Trading Rules "
    "(交易规则, section on 价格涨跌幅限制) in every later revision."
)
_SRC_MAIN_ST_5 = (
    "SSE and SZSE: risk-warning (ST, *ST) shares on the main boards limited to ±5% "
    "(Trading Rules; Stock Listing Rules, risk-warning chapter). Start date taken as the "
    "start of special treatment, 1998-04-22 -- verify. Last session under ±5%: 2025-07-04."
)
_SRC_MAIN_ST_10 = (
    "SSE and SZSE: main-board risk-warning shares moved from ±5% to ±10% (revised "
    "Trading Rules; proposal published 2025-06-27). Effective 2025-07-07 per the exchanges' "
    "notices as understood here -- verify the effective date against the SSE/SZSE notice."
)
_SRC_CHINEXT_10 = (
    "SZSE ChiNext: ±10% like the main board from the board's first session (2009-10-30) "
    "to the last session before the registration reform, 2020-08-21. Before 2020 ChiNext "
    "did not mark shares ST in the main-board way; risk-warning shares are given the "
    "board's limit here -- verify for any pre-2020 ChiNext risk-warning case."
)
_SRC_CHINEXT_20 = (
    "SZSE ChiNext Market Trading Special Provisions (创业板交易特别规定, registration "
    "reform): ±20% for all ChiNext shares, risk-warning shares included, from 2020-08-24."
)
_SRC_STAR_20 = (
    "SSE STAR Market Trading Special Provisions (科创板股票交易特别规定): ±20% for all "
    "STAR shares, risk-warning shares included, since the first session 2019-07-22."
)
_SRC_BSE_30 = (
    "Beijing Stock Exchange Trading Rules (北京证券交易所交易规则(试行)): ±30% for all "
    "shares, risk-warning shares included, since the exchange opened on 2021-11-15."
)

#: The dated price-limit rules, one row per (board, ST status, period).
LIMIT_RULES: Final[tuple[LimitRule, ...]] = (
    LimitRule("sse_main", False, 0.10, _D(1996, 12, 16), None, _SRC_MAIN_10),
    LimitRule("szse_main", False, 0.10, _D(1996, 12, 16), None, _SRC_MAIN_10),
    LimitRule("sse_main", True, 0.05, _D(1998, 4, 22), _D(2025, 7, 6), _SRC_MAIN_ST_5),
    LimitRule("szse_main", True, 0.05, _D(1998, 4, 22), _D(2025, 7, 6), _SRC_MAIN_ST_5),
    LimitRule("sse_main", True, 0.10, _D(2025, 7, 7), None, _SRC_MAIN_ST_10),
    LimitRule("szse_main", True, 0.10, _D(2025, 7, 7), None, _SRC_MAIN_ST_10),
    LimitRule("chinext", False, 0.10, _D(2009, 10, 30), _D(2020, 8, 23), _SRC_CHINEXT_10),
    LimitRule("chinext", True, 0.10, _D(2009, 10, 30), _D(2020, 8, 23), _SRC_CHINEXT_10),
    LimitRule("chinext", False, 0.20, _D(2020, 8, 24), None, _SRC_CHINEXT_20),
    LimitRule("chinext", True, 0.20, _D(2020, 8, 24), None, _SRC_CHINEXT_20),
    LimitRule("star", False, 0.20, _D(2019, 7, 22), None, _SRC_STAR_20),
    LimitRule("star", True, 0.20, _D(2019, 7, 22), None, _SRC_STAR_20),
    LimitRule("bse", False, 0.30, _D(2021, 11, 15), None, _SRC_BSE_30),
    LimitRule("bse", True, 0.30, _D(2021, 11, 15), None, _SRC_BSE_30),
)

#: Up-limit sentinel (in cents) of :func:`close_under_limits` where no limit applies.
NO_LIMIT_CENTS: Final = np.int64(1) << 60
_NS_PER_DAY: Final = 86_400 * 10**9
_FAR_FUTURE: Final = np.iinfo(np.int64).max


def _day_ns(day: _dt.date) -> int:
    return int(pd.Timestamp(day).value)


def _check_rules(rules: tuple[LimitRule, ...]) -> None:
    """Raise if two rows of one (board, st) pair overlap or a row is malformed."""
    by_key: dict[tuple[str, bool], list[LimitRule]] = {}
    for r in rules:
        if r.board not in BOARDS:
            raise EventStudyError(f"limit rule for unknown board {r.board!r}; allowed {BOARDS}")
        if not 0 < r.limit < 1:
            raise EventStudyError(f"limit rule {r.board}/{r.st}: limit {r.limit} not in (0, 1)")
        if r.effective_to is not None and r.effective_to < r.effective_from:
            raise EventStudyError(f"limit rule {r.board}/{r.st} ends before it starts")
        by_key.setdefault((r.board, r.st), []).append(r)
    for (board, st), rows in by_key.items():
        rows = sorted(rows, key=lambda x: x.effective_from)
        for a, b in zip(rows[:-1], rows[1:], strict=True):
            if a.effective_to is None or a.effective_to >= b.effective_from:
                raise EventStudyError(
                    f"limit rules for {board} (st={st}) overlap at {b.effective_from}"
                )


_check_rules(LIMIT_RULES)


def limit_table() -> pd.DataFrame:
    """Return :data:`LIMIT_RULES` as a DataFrame (one row per rule).

    Columns ``board, st, limit, effective_from, effective_to, source``; the
    dates are ``datetime64[ns]`` and ``effective_to`` is NaT for rules still in
    force.
    """
    frame = pd.DataFrame(
        {
            "board": [r.board for r in LIMIT_RULES],
            "st": [r.st for r in LIMIT_RULES],
            "limit": [r.limit for r in LIMIT_RULES],
            "effective_from": [pd.Timestamp(r.effective_from) for r in LIMIT_RULES],
            "effective_to": [
                pd.NaT if r.effective_to is None else pd.Timestamp(r.effective_to)
                for r in LIMIT_RULES
            ],
            "source": [r.source for r in LIMIT_RULES],
        }
    )
    frame["effective_from"] = frame["effective_from"].astype("datetime64[ns]")
    frame["effective_to"] = frame["effective_to"].astype("datetime64[ns]")
    return frame


def _as_ns(dates: Any) -> np.ndarray:
    """Dates (any array-like or scalar) as int64 nanoseconds; NaT as int64 min."""
    arr = np.asarray(dates)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]").view("i8")
    flat = pd.to_datetime(pd.Series(arr.ravel(), dtype=object), errors="raise")
    if getattr(flat.dt, "tz", None) is not None:
        flat = flat.dt.tz_localize(None)
    values = flat.to_numpy(dtype="datetime64[ns]").view("i8")
    return values.reshape(arr.shape)


def limit_fractions(boards: ArrayLike, dates: ArrayLike, st: ArrayLike | None = None) -> np.ndarray:
    """Look up the daily limit for many (board, date, ST) triples at once.

    The three inputs are broadcast against each other with numpy rules, so
    ``boards[:, None]`` and ``dates[None, :]`` give a (firms x days) matrix.

    Parameters
    ----------
    boards : array-like of str
        Board names from :data:`~eventstudy.market.boards.BOARDS`.
    dates : array-like of datetime64 or date-like
        Calendar dates (a time of day is ignored).  NaT gives ``nan``.
    st : array-like of bool, optional
        Risk-warning status; all False when omitted.

    Returns
    -------
    ndarray of float64
        The limit as a fraction (0.10 = ±10%); ``nan`` where no rule applies
        (board ``other``, or a date before the board's rules begin).

    Raises
    ------
    EventStudyError
        If a board name is not one of :data:`~eventstudy.market.boards.BOARDS`.
    """
    b = np.asarray(boards, dtype=object)
    d = _as_ns(dates)
    s = np.zeros(b.shape, dtype=bool) if st is None else np.asarray(st, dtype=bool)
    b, d, s = np.broadcast_arrays(b, d, s)
    uniq, inv = np.unique(b.astype(str), return_inverse=True)
    bad = [u for u in uniq if u not in BOARDS]
    if bad:
        raise EventStudyError(
            f"unknown board name(s) {bad}; allowed: {list(BOARDS)} "
            "(use board_of(ticker) to classify a ticker)"
        )
    code = inv.reshape(b.shape)
    lookup = {u: i for i, u in enumerate(uniq)}
    out = np.full(b.shape, np.nan)
    for rule in LIMIT_RULES:
        if rule.board not in lookup:
            continue
        lo = _day_ns(rule.effective_from)
        hi = _FAR_FUTURE if rule.effective_to is None else _day_ns(rule.effective_to) + _NS_PER_DAY
        mask = (code == lookup[rule.board]) & (s == rule.st) & (d >= lo) & (d < hi)
        out[mask] = rule.limit
    return out


def limit_for(board: str, date: Any, st: bool = False) -> float:
    """Return the daily limit of one board on one date (``nan`` if none applies).

    Examples
    --------
    >>> limit_for("chinext", "2020-08-21"), limit_for("chinext", "2020-08-24")
    (0.1, 0.2)
    >>> limit_for("sse_main", "2024-05-13", st=True)
    0.05
    """
    day = np.array([pd.Timestamp(date).to_datetime64()], dtype="datetime64[ns]")
    return float(limit_fractions(np.array([board], dtype=object), day, np.array([bool(st)]))[0])


def tick_round(price: ArrayLike) -> np.ndarray:
    """Round prices half-up to the 0.01 CNY tick, robust to binary float error.

    The product is first rounded to 1e-6 cent, which removes representation
    error such as ``2.25 * 0.9 == 2.0249999999999999``, then rounded half-up.
    """
    cents = np.round(np.asarray(price, dtype=float) * 100.0, 6)
    return np.floor(cents + 0.5) / 100.0


def limit_prices(prev_close: ArrayLike, limit: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Up- and down-limit prices from the previous close.

    Parameters
    ----------
    prev_close : array-like of float
        Previous close in CNY.
    limit : array-like of float
        Limit fraction (broadcast against ``prev_close``); ``nan`` gives ``nan``
        prices (no limit).

    Returns
    -------
    up, down : ndarray of float64
        ``prev_close * (1 ± limit)`` rounded half-up to 0.01 CNY (0-d arrays
        for scalar inputs).

    Examples
    --------
    >>> up, down = limit_prices(9.99, 0.10)
    >>> float(up), float(down)
    (10.99, 8.99)
    """
    p = np.asarray(prev_close, dtype=float)
    lim = np.asarray(limit, dtype=float)
    return tick_round(p * (1.0 + lim)), tick_round(p * (1.0 - lim))


def close_under_limits(
    latent_cents: np.ndarray, limit_bp: np.ndarray, traded: np.ndarray, start_cents: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closes that track a latent price path but never cross the daily limits.

    Each day the close is the latent price clipped to the limit prices of the
    previous *observed* close, so a latent move beyond the limit spills into
    the next days (a +30% latent jump on a ±10% board closes limit-up twice,
    then catches up).  A day that is not traded keeps the previous close as
    the reference of the next traded day.  Integer cents throughout, so the
    half-up rounding of the limit prices is exact.  The loop runs over days;
    each step is vectorised across firms.

    Parameters
    ----------
    latent_cents : int ndarray, (days, firms)
        Latent price on the tick, in cents.
    limit_bp : int ndarray, (days, firms)
        Limit in basis points (1000 = ±10%); negative = no limit.
    traded : bool ndarray, (days, firms)
        False on suspended days.
    start_cents : ndarray, (firms,)
        Close before the first day, in cents.

    Returns
    -------
    close, prev_close, up, down : int64 ndarrays, (days, firms)
        Close (also computed on untraded days, where it means nothing), the
        reference close, and the up and down limit prices; where there is no
        limit ``up`` is :data:`NO_LIMIT_CENTS` and ``down`` one cent.
    """
    n_days, n_firms = latent_cents.shape
    close = np.zeros((n_days, n_firms), dtype=np.int64)
    prev = np.empty_like(close)
    up = np.empty_like(close)
    down = np.empty_like(close)
    last = np.asarray(start_cents).astype(np.int64)
    for t in range(n_days):
        b = limit_bp[t]
        nolim = b < 0
        u = (last * (10_000 + b) + 5_000) // 10_000
        d = np.maximum((last * (10_000 - b) + 5_000) // 10_000, 1)
        u[nolim] = NO_LIMIT_CENTS
        d[nolim] = 1
        c = np.minimum(np.maximum(latent_cents[t], d), u)
        prev[t] = last
        up[t] = u
        down[t] = d
        close[t] = c
        last = np.where(traded[t], c, last)
    return close, prev, up, down
