"""Ticker normalisation to Yahoo-style A-share codes.

Accepted spellings (DESIGN 2.2): ``600186.SS`` (canonical), ``600186.SH``,
``SH600186``, ``sh600186``, ``600186`` (exchange inferred from the code),
``002575.SZ``, ``SZ002575``, ``830799.BJ``, ``BJ830799``.  Anything that does
not look like a six-digit A-share code is kept as written (stripped), so
other markets' tickers pass through unchanged.

Exchange inference for a bare six-digit code follows the first digits:
``6`` and ``9`` (900 B-shares) Shanghai, ``0``, ``2``, ``3`` Shenzhen,
``4`` and ``8`` and ``92`` Beijing.

Index codes are ambiguous: ``000300`` is the CSI 300 on Shanghai but reads
as a Shenzhen share, and ``000001`` is both the SSE Composite (``000001.SS``)
and Ping An Bank (``000001.SZ``).  So there are two entry points:

* :func:`normalize_ticker` (event tickers, the tickers of a return or price
  file) reads a bare code as a *share*: ``000001`` is ``000001.SZ``.
* :func:`normalize_market_ticker` (the ``market=`` argument, ``--market``)
  first looks a bare code up in :data:`INDEX_TICKERS`, the common A-share
  indexes and the exchange Yahoo lists them on: ``000300`` is
  ``000300.SS`` and ``000001`` the SSE Composite ``000001.SS``.  A code with
  a suffix (``000300.SZ``, ``SH000300``) is taken as written.

:func:`near_tickers` suggests what an absent ticker may have meant (the same
code with another suffix, a known index, a close spelling).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = [
    "INDEX_TICKERS",
    "absent_tickers_hint",
    "check_utf8",
    "describe_index",
    "near_tickers",
    "normalize_market_ticker",
    "normalize_ticker",
    "normalize_tickers",
]

#: Common A-share indexes by bare code: (Yahoo ticker, name).  Used only for the
#: market ticker (:func:`normalize_market_ticker`); an event ticker ``000001`` stays
#: Ping An Bank (``000001.SZ``).  Shanghai-listed indexes (SSE and most CSI ones)
#: carry ``.SS``, Shenzhen ones (``399xxx``) ``.SZ``.
INDEX_TICKERS: dict[str, tuple[str, str]] = {
    "000001": ("000001.SS", "SSE Composite (上证指数)"),
    "000009": ("000009.SS", "SSE 380 (上证380)"),
    "000010": ("000010.SS", "SSE 180 (上证180)"),
    "000016": ("000016.SS", "SSE 50 (上证50)"),
    "000300": ("000300.SS", "CSI 300 (沪深300)"),
    "000688": ("000688.SS", "STAR 50 (科创50)"),
    "000852": ("000852.SS", "CSI 1000 (中证1000)"),
    "000903": ("000903.SS", "CSI 100 (中证100)"),
    "000905": ("000905.SS", "CSI 500 (中证500)"),
    "000906": ("000906.SS", "CSI 800 (中证800)"),
    "399001": ("399001.SZ", "SZSE Component (深证成指)"),
    "399005": ("399005.SZ", "SZSE SME 100 (中小100)"),
    "399006": ("399006.SZ", "ChiNext (创业板指)"),
    "399106": ("399106.SZ", "SZSE Composite (深证综指)"),
    "399300": ("399300.SZ", "CSI 300, Shenzhen code (沪深300)"),
    "399330": ("399330.SZ", "SZSE 100 (深证100)"),
    "399673": ("399673.SZ", "ChiNext 50 (创业板50)"),
}
_INDEX_BY_TICKER = {yahoo: (code, name) for code, (yahoo, name) in INDEX_TICKERS.items()}

_SUFFIX = {"SS": "SS", "SH": "SS", "SHA": "SS", "SZ": "SZ", "SZA": "SZ", "BJ": "BJ"}
_RE_SUFFIX = re.compile(r"^(\d{6})\.(SS|SH|SZ|BJ)$", re.IGNORECASE)
_RE_PREFIX = re.compile(r"^(SS|SH|SZ|BJ)\.?(\d{6})$", re.IGNORECASE)
_RE_BARE = re.compile(r"^\d{6}$")
_RE_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _exchange_of_code(code: str) -> str:
    if code.startswith("92") or code[0] in "48":
        return "BJ"
    if code[0] in "69":
        return "SS"
    return "SZ"


def normalize_ticker(value: object) -> str:
    """Return the Yahoo-style spelling of one ticker (see module docstring).

    Examples
    --------
    >>> normalize_ticker("600186.SH"), normalize_ticker("sz002575"), normalize_ticker("300657")
    ('600186.SS', '002575.SZ', '300657.SZ')
    """
    return _normalize_text(str(value).strip())


@lru_cache(maxsize=65_536)  # a pure function of the text; a study asks per ticker, often
def _normalize_text(text: str) -> str:
    m = _RE_SUFFIX.match(text)
    if m:
        return f"{m.group(1)}.{_SUFFIX[m.group(2).upper()]}"
    m = _RE_PREFIX.match(text)
    if m:
        return f"{m.group(2)}.{_SUFFIX[m.group(1).upper()]}"
    if _RE_BARE.match(text):
        return f"{text}.{_exchange_of_code(text)}"
    return text


def normalize_tickers(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Normalise a Series of tickers; return it with notes on what changed.

    Missing values stay missing.  Each distinct rewrite is reported once, for
    example ``"ticker 600186.SH read as 600186.SS"``.
    """
    uniq = pd.unique(values.dropna().astype(str))
    mapping = {u: normalize_ticker(u) for u in uniq}
    notes = [f"ticker {k} read as {v}" for k, v in mapping.items() if k != v]
    out = values.map(lambda v: mapping[str(v)] if pd.notna(v) else v)
    return out, notes


def normalize_market_ticker(value: object) -> tuple[str, str | None]:
    """Return the Yahoo spelling of a *market index* ticker and a note, or None.

    A bare six-digit code found in :data:`INDEX_TICKERS` is read as that index
    (``000300`` -> ``000300.SS``, ``000001`` -> the SSE Composite ``000001.SS``,
    ``399006`` -> ``399006.SZ``) and the note says so; anything else is read
    by :func:`normalize_ticker` (a suffix or prefix is kept as given).

    Examples
    --------
    >>> normalize_market_ticker("000300")[0], normalize_market_ticker("000300.SZ")[0]
    ('000300.SS', '000300.SZ')
    >>> normalize_market_ticker("000001")[1]
    'market ticker 000001 read as 000001.SS, the SSE Composite (上证指数) index'
    """
    text = str(value).strip()
    if _RE_BARE.match(text) and text in INDEX_TICKERS:
        yahoo, name = INDEX_TICKERS[text]
        return yahoo, f"market ticker {text} read as {yahoo}, the {name} index"
    return normalize_ticker(text), None


def near_tickers(wanted: str, available: Iterable[str], n: int = 5) -> list[str]:
    """Tickers of ``available`` that ``wanted`` may have meant, best first.

    In order: the same six-digit code with another suffix (``000300.SZ`` for
    ``000300.SS``), the known indexes of :data:`INDEX_TICKERS` present in
    ``available`` (when ``wanted`` is itself a known index or an index code),
    and, for a ticker without a six-digit code (a typo such as ``00300.SS``,
    ``^GSCP``), close spellings (:func:`difflib.get_close_matches`, cutoff
    0.8).  At most ``n`` are returned; an empty list when nothing is close.

    Examples
    --------
    >>> near_tickers("000300.SS", ["000300.SZ", "600186.SS"])
    ['000300.SZ']
    """
    avail = list(dict.fromkeys(str(a) for a in available))
    want = str(wanted).strip()
    m = _RE_CODE.search(want)
    code = m.group(0) if m else None
    out: list[str] = []
    if code is not None:
        out += [a for a in avail if a != want and code in _RE_CODE.findall(a)]
    if want in _INDEX_BY_TICKER or (code is not None and code in INDEX_TICKERS):
        out += [a for a in avail if a in _INDEX_BY_TICKER]
    if code is None:  # share codes all look alike: spelling matches only for other tickers
        out += difflib.get_close_matches(want, avail, n=n, cutoff=0.8)
    return [t for t in dict.fromkeys(out) if t != want][:n]


def describe_index(ticker: str) -> str | None:
    """Name of the index ``ticker`` (Yahoo spelling) from :data:`INDEX_TICKERS`, or None."""
    hit = _INDEX_BY_TICKER.get(str(ticker))
    return None if hit is None else hit[1]


def absent_tickers_hint(absent: Iterable[str], available: Iterable[str], n: int = 3) -> str | None:
    """One sentence naming event tickers absent from a panel whose code it has under another suffix.

    ``000001.SS`` absent while the panel holds ``000001.SZ`` is a suffix mix-up
    worth a warning; an absent ticker with no such match gets no guess (close
    spellings of share codes are other firms).  None when nothing matches.
    """
    by_code: dict[str, list[str]] = {}
    for a in dict.fromkeys(str(t) for t in available):
        m = _RE_CODE.search(a)
        if m:
            by_code.setdefault(m.group(0), []).append(a)
    pairs = []
    for t in dict.fromkeys(str(t) for t in absent if t):
        m = _RE_CODE.search(t)
        other = [a for a in by_code.get(m.group(0), []) if a != t] if m else []
        if other:
            pairs.append(f"{t} (the returns have {' and '.join(other)})")
    if not pairs:
        return None
    shown = ", ".join(pairs[:n]) + (f" and {len(pairs) - n} more" if len(pairs) > n else "")
    return (
        f"{len(pairs)} event ticker(s) are not in the returns, but their code is under "
        f"another suffix: {shown}; these events are excluded as unknown tickers: check "
        "the exchange suffix (.SS Shanghai, .SZ Shenzhen, .BJ Beijing)"
    )


def check_utf8(
    column: pd.Series | list[Any], what: str, label: str, error: type[Exception], rows: Any = None
) -> None:
    """Raise ``error`` naming the first row whose text is not valid UTF-8 (a lone
    surrogate such as ``'\\udc80'``, which ``surrogateescape`` decoding leaves):
    no text column, arrow file or output can hold it.  ``rows`` names the place of
    a position (default: ``row {position + 1}``)."""
    values = column.tolist() if isinstance(column, pd.Series) else column
    text = [v for v in values if isinstance(v, str)]
    try:
        "".join(text).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return
    for i, v in enumerate(values):
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                place = f"row {i + 1}" if rows is None else rows(i)
                raise error(
                    f"{what}: {place}: the {label} {v!r:.60} is not valid text (a lone "
                    "surrogate: was the file decoded with errors='surrogateescape'?)"
                ) from None
