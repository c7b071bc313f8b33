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
              4xxxxx / 8xxxxx on ``.BJ``
              except 899xxx indexes)
``other``     anything else: B shares, indexes, funds, foreign tickers
============  ==========================  ==================

A ticker is first normalised with :func:`eventstudy.tickers.normalize_ticker`
(so ``600186.SH``, ``SH600186`` and ``600186`` all read as ``600186.SS``).  A
code whose suffix names another exchange than its board's is ``other``: the
main use is that index tickers such as ``000300.SS`` (CSI 300) and
``000001.SS`` (SSE Composite) are not mistaken for Shenzhen shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from eventstudy.tickers import normalize_ticker

__all__ = ["BOARDS", "CODE_PREFIXES", "board_of", "boards_of", "random_tickers"]

#: Board names, in the order used throughout the package.
BOARDS: Final = ("sse_main", "szse_main", "chinext", "star", "bse", "other")

# (prefix, board, exchange suffix); longest prefixes are tried first.
_PREFIXES: Final = (
    ("600", "sse_main", "SS"),
    ("601", "sse_main", "SS"),
    ("603", "sse_main", "SS"),
    ("605", "sse_main", "SS"),
    ("000", "szse_main", "SZ"),
    ("001", "szse_main", "SZ"),
    ("002", "szse_main", "SZ"),
    ("003", "szse_main", "SZ"),
    ("300", "chinext", "SZ"),
    ("301", "chinext", "SZ"),
    ("688", "star", "SS"),
    ("689", "star", "SS"),
    ("43", "bse", "BJ"),
    ("83", "bse", "BJ"),
    ("87", "bse", "BJ"),
    ("92", "bse", "BJ"),
)


def _split(ticker: str) -> tuple[str, str]:
    """Return (code, suffix) of a normalised ticker; suffix is '' when absent."""
    code, _, suffix = ticker.partition(".")
    return code, suffix.upper()


@lru_cache(maxsize=65_536)  # a pure function of its text, asked once per ticker per fit
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
    if suffix == "BJ" and code[0] in "48" and not code.startswith("899"):
        return "bse"
    return "other"


def boards_of(tickers: pd.Series) -> pd.Series:
    """Vectorised :func:`board_of`: the board of every ticker in a Series.

    Each distinct ticker is classified once, so the cost grows with the number
    of firms, not of rows.  Missing tickers give ``"other"``.  The index of
    ``tickers`` is kept.
    """
    values = pd.Series(tickers)
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    distinct = np.asarray(uniq, dtype=object)
    if values.dtype == object and not all(isinstance(u, str) for u in distinct):
        # mixed cells (600186 and 600186.0 hash alike but read differently): one by one
        mapping = {u: board_of(u) for u in pd.unique(values.dropna().astype(str))}
        out = values.map(lambda v: mapping.get(str(v), "other") if pd.notna(v) else "other")
        return out.astype(str).rename("board")
    labels = np.array([board_of(str(u)) for u in distinct] + ["other"], dtype=object)
    return pd.Series(labels[codes], index=values.index, name="board")


#: Code prefixes and exchange suffix used to draw random codes for each board.
CODE_PREFIXES: Final = {
    "sse_main": (("600", "601", "603", "605"), "SS"),
    "szse_main": (("000", "001", "002", "003"), "SZ"),
    "chinext": (("300", "301"), "SZ"),
    "star": (("688",), "SS"),
    "bse": (("83", "87", "43"), "BJ"),
}


def random_tickers(
    rng: np.random.Generator, n: int, *, mix: Mapping[str, float], exclude: Iterable[str] = ()
) -> list[str]:
    """Draw ``n`` distinct, well-formed A-share tickers (for simulations).

    Parameters
    ----------
    rng : numpy Generator
    n : int
        How many tickers.
    mix : mapping of board -> share
        Boards (keys of :data:`CODE_PREFIXES`) and their shares of the draw.
    exclude : iterable of str
        Tickers that must not be drawn (for example the ones already in use).

    Returns
    -------
    list of str
        Yahoo-style tickers in the order drawn; ``board_of`` of each is its
        drawn board.  The codes look real but are chosen at random.
    """
    names = list(mix)
    p = np.array([mix[b] for b in names], dtype=float)
    p = p / p.sum()
    out: list[str] = []
    seen = set(exclude)
    while len(out) < n:
        k = 2 * (n - len(out)) + 16
        boards = rng.choice(len(names), size=k, p=p)
        draws = rng.integers(0, 10**6, size=k)
        for bi, r in zip(boards.tolist(), draws.tolist(), strict=True):
            prefixes, suffix = CODE_PREFIXES[names[bi]]
            head = prefixes[r % len(prefixes)]
            width = 6 - len(head)
            ticker = f"{head}{(r // len(prefixes)) % 10**width:0{width}d}.{suffix}"
            if ticker not in seen:
                seen.add(ticker)
                out.append(ticker)
                if len(out) == n:
                    break
    return out
