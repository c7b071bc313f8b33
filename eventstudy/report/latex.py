r"""LaTeX export of the summary tables (``results.summary().as_latex()``, ``--latex``).

One ``table`` environment per summary table, each a booktabs ``tabular``
(``\toprule``, ``\midrule``, ``\bottomrule``; load ``\usepackage{booktabs}``)
with text columns left-aligned and numbers right-aligned.  Text is escaped
(``& % $ # _ { } ~ ^ \``); Chinese text is left as it is (compile with
XeLaTeX or LuaLaTeX and ``ctex`` or ``xeCJK``); p-values below 1e-4 print
as ``$<$0.0001``.  The reading follows as an ``itemize`` list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.report.textfmt import fmt_cell, is_p_column

if TYPE_CHECKING:
    from eventstudy.report.summary import Summary

__all__ = ["latex_escape", "latex_table", "summary_latex"]

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex_escape(text: Any) -> str:
    """``text`` with LaTeX's special characters escaped (CJK and other text as is)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in str(text))


def _cell(v: Any, pvalue: bool) -> str:
    s = fmt_cell(v, pvalue=pvalue)
    if pvalue and s.startswith("<"):
        return "$<$" + s[1:]
    return latex_escape(s)


def latex_table(df: pd.DataFrame, caption: str = "") -> str:
    """One booktabs ``tabular`` in a ``table`` environment (caption escaped)."""
    cols = [str(c) for c in df.columns]
    numeric = [
        pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        for c in df.columns
    ]
    pcols = [is_p_column(c) for c in cols]
    spec = "".join("r" if n else "l" for n in numeric)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(latex_escape(c) for c in cols) + r" \\")
    lines.append(r"\midrule")
    for row in df.itertuples(index=False, name=None):
        lines.append(" & ".join(_cell(v, p) for v, p in zip(row, pcols, strict=True)) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


def summary_latex(summary: Summary) -> str:
    """Every table of a :class:`~eventstudy.report.summary.Summary` and its reading."""
    parts = [
        # a comment line: a line break in the title would end it and put the rest in the text
        f"% {latex_escape(' '.join(str(summary.title).split()))}: tables written by eventstudy "
        r"(needs \usepackage{booktabs}; Chinese text: XeLaTeX with ctex or xeCJK)",
        r"\begin{tabular}{ll}",
        r"\toprule",
    ]
    parts += [rf"{latex_escape(k)} & {latex_escape(v)} \\" for k, v in summary.header]
    parts += [r"\bottomrule", r"\end{tabular}", ""]
    for title, table in summary.tables:
        parts += [latex_table(table, title), ""]
    if summary.notes:
        parts.append(r"\begin{itemize}")
        parts += [rf"\item {latex_escape(n)}" for n in summary.notes]
        parts.append(r"\end{itemize}")
    return "\n".join(parts) + "\n"
