"""A-share boards, read from the six-digit security code.

The board decides the daily price limit (see :mod:`eventstudy.market.limits`).
Codes are matched on their leading digits (DESIGN section 3; check the
exchanges' own code-allocation rules before relying on an edge case):

============  ==========================  ==================
board         code prefixes               exchange suffix
============  ==========================  ==================
``sse_main``  600, 601, 603, 605          ``.SS``
``szse_main`` 000, 001, 002, 003          ``.SZ``
``chinext``   300, 301                    ``.SZ``
``star``      688, 689                    ``.SS``
``bse``       43, 83, 87, 92 (and any     ``.BJ``
              4xxxxx / 8xxxxx on ``.BJ``)
``other``     anything else: B shares, indexes, funds, foreign tickers
============  ==========================  ==================

A ticker is first normalised with :func:`eventstudy.tickers.normalize_ticker`
(so ``600186.SH``, ``SH600186`` and ``600186`` all read as ``600186.SS``).  A
code whose suffix names another exchange than its board's is ``other``: the
main use is that index tickers such as ``000300.SS`` (CSI 300) and
``000001.SS`` (SSE Composite) are not mistaken for Shenzhen shares.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from eventstudy.tickers import normalize_ticker

__all__ = ["BOARDS", "board_of", "boards_of"]

#: Board names, in the order used throughout the package.
BOARDS: Final = ("sse_main", "szse_main", "chinext", "star", "bse", "other")

# (prefix, board, exchange suffix); longest prefixes are tried first.
_PREFIXES: Final = (
    ("600", "sse_main", "SS"), ("601", "sse_main", "SS"), ("603", "sse_main", "SS"),
    ("605", "sse_main", "SS"),
    ("000", "szse_main", "SZ"), ("001", "szse_main", "SZ"), ("002", "szse_main", "SZ"),
    ("003", "szse_main", "SZ"),
    ("300", "chinext", "SZ"), ("301", "chinext", "SZ"),
    ("688", "star", "SS"), ("689", "star", "SS"),
    ("43", "bse", "BJ"), ("83", "bse", "BJ"), ("87", "bse", "BJ"), ("92", "bse", "BJ"),
)


def _split(ticker: str) -> tuple[str, str]:
    """Return (code, suffix) of a normalised ticker; suffix is '' when absent."""
    code, _, suffix = ticker.partition(".")
    return code, suffix.upper()


def board_of(ticker: str) -> str:
    """Return the board of one ticker: one of :data:`BOARDS`.

    Parameters
    ----------
    ticker : str
        Any accepted spelling (``600186.SS``, ``600186.SH``, ``SZ300657``,
        ``830799.BJ``, a bare ``688041``).

    Examples
    --------
    >>> board_of("600186.SS"), board_of("300657.SZ"), board_of("688041.SS")
    ('sse_main', 'chinext', 'star')
    >>> board_of("830799.BJ"), board_of("000300.SS"), board_of("AAPL")
    ('bse', 'other', 'other')
    """
    if not isinstance(ticker, str):
        return "other"
    code, suffix = _split(normalize_ticker(ticker))
    if len(code) != 6 or not code.isdigit():
        return "other"
    for prefix, board, exchange in _PREFIXES:
        if code.startswith(prefix):
            return board if suffix in ("", exchange) else "other"
    if suffix == "BJ" and code[0] in "48":
        return "bse"
    return "other"


def boards_of(tickers: pd.Series) -> pd.Series:
    """Vectorised :func:`board_of`: the board of every ticker in a Series.

    Each distinct ticker is classified once, so the cost grows with the number
    of firms, not of rows.  Missing tickers give ``"other"``.  The index of
    ``tickers`` is kept.
    """
    values = pd.Series(tickers)
    uniq = pd.unique(values.dropna().astype(str))
    mapping = {u: board_of(u) for u in uniq}
    out = values.map(lambda v: mapping.get(str(v), "other") if pd.notna(v) else "other")
    return out.astype(str).rename("board")
