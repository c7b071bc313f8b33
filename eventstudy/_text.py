"""Text that leaves the library: CSV cells for spreadsheets, lines for terminals.

Two boundaries, one helper each:

* :func:`spreadsheet_safe` neutralises a CSV text cell that a spreadsheet
  would run as a formula (OWASP "CSV injection"): a cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (after
  any leading spaces), and is not a number, gets a leading apostrophe.  A
  cell that already starts with an apostrophe gets one more, so that
  :func:`spreadsheet_unescape` restores every value exactly (the data
  snapshot of an output directory is read back through it).
* :func:`terminal_safe` replaces control characters (ANSI escape sequences,
  carriage returns, backspaces, C1 controls, bidirectional overrides) with a
  visible ``\\xNN`` / ``\\uNNNN`` escape before text is printed.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["spreadsheet_safe", "spreadsheet_unescape", "terminal_safe"]

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_START: Final = frozenset("=+-@\t\r\n")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# bidirectional embeddings, overrides and isolates, and the line/paragraph separators
_FORMAT = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_CONTROL_LINES = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_FORMAT}]")
_CONTROL_CELL = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_FORMAT}]")


def _needs_quote(text: str) -> bool:
    if not text:
        return False
    if text[0] == "'":
        return True
    stripped = text.lstrip(" ")
    if not stripped or stripped[0] not in FORMULA_START:
        return False
    return _NUMBER.fullmatch(text) is None


def spreadsheet_safe(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs as a formula.

    Examples
    --------
    >>> spreadsheet_safe("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> spreadsheet_safe("-0.05"), spreadsheet_safe("-ST Foo"), spreadsheet_safe("Foo")
    ('-0.05', "'-ST Foo", 'Foo')
    """
    return "'" + text if _needs_quote(text) else text


def spreadsheet_unescape(text: str) -> str:
    """Inverse of :func:`spreadsheet_safe` (``unescape(safe(x)) == x`` for every string)."""
    if text[:1] == "'" and _needs_quote(text[1:]):
        return text[1:]
    return text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, lines: bool = True) -> str:
    """``text`` with its control characters shown as escapes, fit for a terminal.

    With ``lines=True`` line feeds and tabs are kept (multi-line output);
    with ``lines=False`` they are escaped too (one table cell).

    Examples
    --------
    >>> terminal_safe("\\x1b[31mRed Corp\\x1b[0m")
    '\\\\x1b[31mRed Corp\\\\x1b[0m'
    """
    pattern = _CONTROL_LINES if lines else _CONTROL_CELL
    return pattern.sub(_escape, text)
