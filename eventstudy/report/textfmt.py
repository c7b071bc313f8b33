"""Cell formatting shared by the Markdown, HTML, text and LaTeX renderings.

p-values below ``1e-4`` print as ``<0.0001`` everywhere (columns named
``pvalue``, ``p``, ``p_<test>``, the test columns of the p-value tables, and
the ``p = ...`` of the plain-language text); other numbers print with four
decimals.  Firm, ticker and date columns never wrap (``class="nowrap"`` in
HTML), so a Chinese firm name stays on one line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.inference import TESTS

__all__ = [
    "NOWRAP_COLUMNS",
    "P_FLOOR",
    "fmt_cell",
    "floor_p_text",
    "fmt_p",
    "html_table",
    "is_p_column",
    "md_table",
]

#: below this a p-value prints as "<0.0001"
P_FLOOR = 1e-4
#: columns whose cells never wrap (firm names, tickers, dates, windows, ids)
NOWRAP_COLUMNS = frozenset(
    {
        "event_id",
        "firm",
        "company_cn",
        "ticker",
        "date",
        "date_input",
        "day0",
        "window",
        "other",
        "group",
        "board",
        "test",
        "comparison",
    }  # fmt: skip
)
#: test names whose column in a p-value table holds p-values (the registry's
#: tests and the calendar-time regression)
TEST_COLUMNS = frozenset(TESTS) | {"calendar_time"}


def is_p_column(name: Any, p_columns: Iterable[str] = ()) -> bool:
    """True for a column of p-values (``pvalue``, ``p``, ``p_*``, ``*_p``, a test name)."""
    c = str(name)
    return (
        c in ("pvalue", "p", "p-value")
        or c.startswith("p_")
        or c.startswith("p(")
        or c.endswith("_p")
        or c in TEST_COLUMNS
        or c in set(p_columns)
    )


def fmt_p(p: Any) -> str:
    """A p-value: ``<0.0001`` below 1e-4, else four decimals (empty when missing)."""
    try:
        v = float(p)
    except (TypeError, ValueError):
        return "" if p is None else str(p)
    if np.isnan(v):
        return ""
    return "<0.0001" if v < P_FLOOR else f"{v:.4f}"


_P_EQ = re.compile(r"\bp = ([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)")


def floor_p_text(text: str) -> str:
    """``p = 6.86e-06`` in a sentence becomes ``p < 0.0001`` (larger p-values stay)."""

    def one(m: re.Match[str]) -> str:
        return "p < 0.0001" if float(m.group(1)) < P_FLOOR else m.group(0)

    return _P_EQ.sub(one, text)


def fmt_cell(v: Any, *, pvalue: bool = False) -> str:
    """One table cell as text (dates as YYYY-MM-DD, missing values empty)."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        return fmt_p(v) if pvalue else f"{v:.4f}"
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else str(v.date())
    if v is pd.NaT or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v)


def _text_frame(df: pd.DataFrame) -> list[list[str]]:
    pcols = [is_p_column(c) for c in df.columns]
    return [
        [fmt_cell(v, pvalue=p) for v, p in zip(row, pcols, strict=True)]
        for row in df.itertuples(index=False, name=None)
    ]


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def md_text(text: str) -> str:
    """``text`` with what Markdown would read as raw HTML made literal.

    A ``<`` that could open a tag (``<b>``, ``</x>``, ``<!--``) is written
    ``&lt;`` and an ``&`` that would start an entity ``&amp;`` (both
    CommonMark and Python-Markdown show them as written; a backslash escape
    of ``<`` is CommonMark only); ``p<0.001`` and ``R&D`` are left as they are.
    Group labels, firm names, titles and questions come from the user's files.
    """
    return _TAG_START.sub("&lt;", _ENTITY.sub("&amp;", text))


_BLOCK_START = re.compile(
    r"^(?:#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|\||`{3}|~{3}|={3}|_{3}|-{3}|\*{3})"
)


def md_paragraph(text: str) -> str:
    """``text`` as one Markdown paragraph: no raw HTML (:func:`md_text`), and a start that
    Markdown would read as a block (a heading ``#``, a quote ``>``, a list item ``-``
    or ``1.``, a table ``|``, a code fence, a rule) escaped with a backslash (in both
    CommonMark and Python-Markdown), so a user's question stays a paragraph."""
    text = md_text(text)
    m = _BLOCK_START.match(text)
    if m is None:
        return text
    if m.group(0).isdigit():  # "1. text": escape the dot, "1\. text"
        end = m.end()
        return text[:end] + "\\" + text[end:]
    return "\\" + text


def md_table(df: pd.DataFrame) -> str:
    """GitHub-flavoured Markdown table (``|`` escaped, raw HTML made literal, p-values floored)."""
    cols = [md_text(str(c)).replace("|", "\\|") for c in df.columns]
    rows = [[md_text(c).replace("|", "\\|") for c in r] for r in _text_frame(df)]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def html_table(df: pd.DataFrame, *, css_class: str = "eventstudy") -> str:
    """An HTML table in a horizontal scroll container; firm/date columns do not wrap."""
    cols = [str(c) for c in df.columns]
    nowrap = [c in NOWRAP_COLUMNS for c in cols]

    def cls(i: int) -> str:
        return " class='nowrap'" if nowrap[i] else ""

    head = "".join(f"<th{cls(i)}>{html.escape(c)}</th>" for i, c in enumerate(cols))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{html.escape(v)}</td>" for i, v in enumerate(r)) + "</tr>"
        for r in _text_frame(df)
    )
    return (
        f"<div class='wide'><table class='{css_class}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )
