"""Ticker normalisation to Yahoo-style A-share codes.

Accepted spellings (DESIGN 2.2): ``600186.SS`` (canonical), ``600186.SH``,
``SH600186``, ``sh600186``, ``600186`` (exchange inferred from the code),
``002575.SZ``, ``SZ002575``, ``830799.BJ``, ``BJ830799``.  Anything that does
not look like a six-digit A-share code is kept as written (stripped), so
other markets' tickers pass through unchanged.

Exchange inference for a bare six-digit code follows the first digits:
``6`` and ``9`` (900 B-shares) Shanghai, ``0``, ``2``, ``3`` Shenzhen,
``4`` and ``8`` and ``92`` Beijing.  Index codes are ambiguous (``000300`` is
the CSI 300 on Shanghai but would read as a Shenzhen share), so give indexes
with their suffix.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["normalize_ticker", "normalize_tickers"]

_SUFFIX = {"SS": "SS", "SH": "SS", "SHA": "SS", "SZ": "SZ", "SZA": "SZ", "BJ": "BJ"}
_RE_SUFFIX = re.compile(r"^(\d{6})\.(SS|SH|SZ|BJ)$", re.IGNORECASE)
_RE_PREFIX = re.compile(r"^(SS|SH|SZ|BJ)\.?(\d{6})$", re.IGNORECASE)
_RE_BARE = re.compile(r"^\d{6}$")


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
    text = str(value).strip()
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
