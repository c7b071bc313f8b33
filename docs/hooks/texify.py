"""Turn the plain-text formulas of the docs into TeX for the site's maths rendering.

Not a MkDocs hook (mkdocs.yml lists the hooks): a helper script kept next to
them.  The pages used to write formulas as double-backtick code spans in a
plain notation (````σ̂_i² (1 + c0_i)````, ````sqrt(N_t)````, ````Σ_{i∈g} z_is````).
This script rewrites each such span as TeX between dollars (``$...$`` inline;
``$$...$$`` when the span is a paragraph of its own), which
``pymdownx.arithmatex`` hands to MathJax (see ``docs/hooks/maths.py``):

    python docs/hooks/texify.py docs/methodology.md          # rewrite in place
    python docs/hooks/texify.py --check docs/methodology.md  # list spans left, exit 1

Only double-backtick spans change; single-backtick code (`` `car.csv` ``),
fenced blocks and every other character of the file stay as they are, and
the whitespace inside a span (line breaks included) is kept.  New formulas
are best written in TeX directly; the script is for pages merged with
formulas in the old notation.

The notation it reads: ``x_i``, ``R_mt`` (index letters), ``t_KP`` (names:
upright), ``x_{...}`` (braced), ``T0``/``τ1`` (digit subscripts), ``x̄``,
``σ̂`` (bar, hat), ``t*``, ``n'``, ``²``, ``³``, ``⁻¹``, ``⁺``, ``^(...)``;
``sqrt(...)``, ``floor(...)``, ``√2``; ``Σ``, ``Σ_{s=a..b}`` (limits);
``mean``, ``median``, ``sign``, ``min``, ``max``, ``log``, ``Var``,
``Cov``, ``se`` (operators); ``AR``, ``CAR``, ... (upright names);
``1[...]`` (indicator); ``#{...}`` (count); ``..`` and ``…`` (ellipses);
``|x|``; ``−``, ``×``, ``·``, ``±``, ``≤``, ``≥``, ``≠``, ``∈``, ``∉``,
``≈``, ``⌊ ⌋``, ``ℓ`` and the Greek letters.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

__all__ = ["convert_markdown", "formula_spans", "texify"]

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "κ": "kappa", "λ": "lambda",
    "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma",
    "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Π": "Pi",
    "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}  # fmt: skip
SYMBOLS = {
    "−": "-", "×": r"\times", "·": r"\cdot", "±": r"\pm", "≤": r"\le",
    "≥": r"\ge", "≠": r"\ne", "∈": r"\in", "∉": r"\notin", "≈": r"\approx",
    "⌊": r"\lfloor", "⌋": r"\rfloor", "…": r"\ldots", "ℓ": r"\ell",
    "#": r"\#", "%": r"\%", "{": r"\{", "}": r"\}", "|": r"\vert",
}  # fmt: skip
SUPERSCRIPTS = {"²": "2", "³": "3", "⁻": "-", "¹": "1", "⁺": "+"}
ACCENTS = {"\u0302": "hat", "\u0304": "bar"}
#: Words set upright as operators.
OPERATORS = {
    "mean": r"\operatorname{mean}", "median": r"\operatorname{median}",
    "sign": r"\operatorname{sign}", "Var": r"\operatorname{Var}",
    "Cov": r"\operatorname{Cov}", "se": r"\operatorname{se}",
    "min": r"\min", "max": r"\max", "log": r"\log",
}  # fmt: skip
#: Lower-case subscripts that are names (upright), not index letters.
SUB_NAMES = {"sa", "up", "down", "ref", "grank", "estudy2"}

_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<range>\.\.)|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<code>[a-z]{2,}(?:_[a-z]+){2,}|[a-z]{3,}_[a-z]{3,})"
    r"|(?P<word>[A-Za-z]+\d*)|(?P<sup>[²³⁻¹⁺]+)|(?P<ch>.)",
    re.S,
)


def _decompose(text: str) -> str:
    """Split precomposed accented letters (``Ū`` -> ``U`` + macron); leave ``≠``, ``∉``."""
    out = []
    for ch in text:
        if unicodedata.category(ch).startswith("L"):
            out.append(unicodedata.normalize("NFD", ch))
        else:
            out.append(ch)
    return "".join(out)


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "ch", m.group()) for m in _TOKEN.finditer(text)]


def _join(parts: list[str]) -> str:
    """Concatenate, with a space where a control word would run into a letter."""
    out = ""
    for p in parts:
        if out and re.search(r"\\[A-Za-z]+$", out) and re.match(r"[A-Za-z0-9]", p):
            out += " "
        out += p
    return out


def _matching(toks: list[tuple[str, str]], i: int, open_: str, close: str) -> int:
    """Index of the token closing the bracket opened at ``toks[i]``."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][1] == open_:
            depth += 1
        elif toks[j][1] == close:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unbalanced {open_!r} in {''.join(t for _, t in toks)!r}")


def _sub_run(toks: list[tuple[str, str]], i: int) -> int:
    """End (exclusive) of an unbraced subscript starting at ``toks[i]``.

    A subscript is one letter run, number or Greek letter (with its accents
    and primes), continued by ``,x``, ``+x`` or ``−x`` with no space
    (``g,s+δ`` in ``Z_g,s+δ``; ``m'`` in ``x_m'``).
    """

    def atom(k: int) -> int:
        """End of the atom at ``k`` (``k`` itself when there is none)."""
        if k >= len(toks):
            return k
        kind, val = toks[k]
        if kind not in ("word", "num") and val not in GREEK:
            return k
        k += 1
        while k < len(toks) and (toks[k][1] in ACCENTS or toks[k][1] == "'"):
            k += 1
        return k

    j = atom(i)
    while j < len(toks) and toks[j][1] in (",", "+", "−") and atom(j + 1) > j + 1:
        j = atom(j + 1)
    return j


def _word(word: str, ctx: str) -> str:
    letters = re.match(r"[A-Za-z]+", word)
    assert letters is not None
    head, digits = letters.group(), word[letters.end() :]
    if ctx == "sub":
        if head in SUB_NAMES or len(head) > 3 or (len(head) > 1 and head.isupper()):
            return rf"\mathrm{{{word}}}"
        return word
    if head in OPERATORS and not digits:
        return OPERATORS[head]
    if len(head) == 1:
        return head + (f"_{{{digits}}}" if digits else "")
    if head[0].isupper():
        return rf"\mathrm{{{word}}}"
    return rf"\text{{{word}}}"


def _convert(toks: list[tuple[str, str]], ctx: str = "main") -> str:
    parts: list[str] = []
    i = 0
    n = len(toks)
    while i < n:
        kind, val = toks[i]
        # functions with a parenthesised argument
        if kind == "word" and val in ("sqrt", "floor") and i + 1 < n and toks[i + 1][1] == "(":
            j = _matching(toks, i + 1, "(", ")")
            inner = _convert(toks[i + 2 : j], ctx)
            parts.append(rf"\sqrt{{{inner}}}" if val == "sqrt" else rf"\lfloor {inner}\rfloor")
            i = j + 1
            continue
        if val == "√":
            k = i + 1
            k2 = k + 1
            parts.append(rf"\sqrt{{{_convert(toks[k:k2], ctx)}}}")
            i = k2
            continue
        if kind == "num" and val == "1" and i + 1 < n and toks[i + 1][1] == "[":
            parts.append(r"\mathbf{1}")
            i += 1
            continue
        if kind == "ws":
            parts.append(val)
            i += 1
            continue
        if kind == "range":
            parts.append(r", \ldots,")
            i += 1
            continue
        if kind == "code":
            parts.append(r"\texttt{" + val.replace("_", r"\_") + "}")
            i += 1
            continue
        # an atom: base, accents, then * ' _ superscripts in any order
        base_is_sum = val == "Σ"
        if kind == "word":
            # a run of lower-case words is text ("window length")
            if ctx == "main" and val.islower() and val not in OPERATORS and len(val) > 2:
                words = [val]
                k = i + 1
                while (
                    k + 1 < n
                    and toks[k][1] == " "
                    and toks[k + 1][0] == "word"
                    and toks[k + 1][1].islower()
                    and toks[k + 1][1] not in OPERATORS
                    and len(toks[k + 1][1]) > 2
                ):
                    words.append(toks[k + 1][1])
                    k += 2
                if len(words) > 1:
                    parts.append(rf"\text{{{' '.join(words)}}}")
                    i = k
                    continue
            base = _word(val, ctx)
        elif val in GREEK:
            base = "\\" + GREEK[val]
        elif val == "Σ":
            base = r"\sum"
        elif val in SYMBOLS:
            base = SYMBOLS[val]
        elif kind == "sup":
            base = ""
        else:
            base = val
        i += 1
        for acc in ACCENTS:
            if i < n and toks[i][1] == acc:
                base = rf"\{ACCENTS[acc]}{{{base}}}"
                i += 1
        subs: list[str] = []
        sups: list[str] = []
        upper: str | None = None
        if kind == "sup":
            sups.append("".join(SUPERSCRIPTS[c] for c in val))
        # Greek letter directly followed by a digit or lower-case letter: a subscript (τ1, τa)
        if val in GREEK and i < n and toks[i][0] in ("num", "word"):
            nxt = toks[i][1]
            if nxt.isdigit() or (len(nxt) == 1 and nxt.islower()):
                subs.append(nxt)
                i += 1
        # a word's digits are already a subscript: T0 -> T_{0}; merge c0_i -> c_{0,i}
        m = re.fullmatch(r"(.*)_\{(\d+)\}", base)
        if m and kind == "word":
            base = m.group(1)
            subs.append(m.group(2))
        while i < n:
            kind2, v2 = toks[i]
            if v2 == "*":
                sups.append("*")
                i += 1
            elif v2 == "'":
                sups.append(r"\prime")
                i += 1
            elif kind2 == "sup":
                sups.append("".join(SUPERSCRIPTS[c] for c in v2))
                i += 1
            elif v2 == "^" and i + 1 < n and toks[i + 1][1] == "(":
                j = _matching(toks, i + 1, "(", ")")
                sups.append(_convert(toks[i + 2 : j], ctx))
                i = j + 1
            elif v2 == "_" and i + 1 < n:
                if toks[i + 1][1] == "{":
                    j = _matching(toks, i + 1, "{", "}")
                    inner = toks[i + 2 : j]
                    cut = [k for k, t in enumerate(inner) if t[0] == "range"]
                    if base_is_sum and cut:
                        subs.append(_convert(inner[: cut[0]], "braced"))
                        upper = _convert(inner[cut[0] + 1 :], "braced")
                    else:
                        subs.append(_convert(inner, "braced"))
                    i = j + 1
                else:
                    j = _sub_run(toks, i + 1)
                    subs.append(_convert(toks[i + 1 : j], "sub"))
                    i = j
            else:
                break
        piece = base
        if subs:
            piece += "_{" + ",".join(subs) + "}"
        sup_text = _join(sups)
        if upper is not None:
            piece += "^{" + upper + "}"
        elif sups:
            piece += "^{" + sup_text + "}"
        parts.append(piece)
    return _join(parts)


def texify(span: str) -> str:
    """TeX for one formula written in the plain notation (see the module docstring).

    >>> texify("σ̂_i² (1 + c0_i)")
    '\\\\hat{\\\\sigma}_{i}^{2} (1 + c_{0,i})'
    """
    return _convert(_tokens(_decompose(span)))


_FENCE = re.compile(r"^\s*(```|~~~)")
_SPAN = re.compile(r"(?<!`)``(?P<body>[^`]+)``(?!`)")
_DISPLAY = re.compile(r"^(?P<indent>[ ]*)``(?P<body>[^`]+)``(?P<punct>[,.;:]?)[ ]*$")


def formula_spans(text: str) -> list[str]:
    """The double-backtick spans of a Markdown text outside fenced code blocks."""
    return [m.group("body") for m in _SPAN.finditer(_without_fences(text))]


def _without_fences(text: str) -> str:
    out, fenced = [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            out.append("")
            continue
        out.append("" if fenced else line)
    return "\n".join(out)


def convert_markdown(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Rewrite every double-backtick span of ``text`` as TeX between dollars.

    A span that is a paragraph of its own (alone on its line, blank lines
    around, optional trailing punctuation) becomes ``$$...$$``; the others
    become ``$...$``.  Spans listed in ``keep`` and spans that start or end
    with a space stay code.  Fenced code blocks are left alone.
    """
    lines = text.split("\n")
    fenced = [False] * len(lines)
    state = False
    for k, line in enumerate(lines):
        if _FENCE.match(line):
            state = not state
            fenced[k] = True
        else:
            fenced[k] = state
    # display formulas first, line by line
    for k, line in enumerate(lines):
        if fenced[k]:
            continue
        m = _DISPLAY.match(line)
        blank_before = k == 0 or not lines[k - 1].strip()
        blank_after = k == len(lines) - 1 or not lines[k + 1].strip()
        if m and blank_before and blank_after and m.group("body") not in keep:
            lines[k] = f"{m.group('indent')}$${texify(m.group('body'))}{m.group('punct')}$$"

    # inline spans, on the text outside fences (spans may cross lines)
    def inline(m: re.Match[str]) -> str:
        body = m.group("body")
        if body in keep or body != body.strip():
            return m.group(0)
        return f"${texify(body)}$"

    out: list[str] = []
    chunk: list[str] = []
    for k, line in enumerate(lines):
        if fenced[k]:
            if chunk:
                out.append(_SPAN.sub(inline, "\n".join(chunk)))
                chunk = []
            out.append(line)
        else:
            chunk.append(line)
    if chunk:
        out.append(_SPAN.sub(inline, "\n".join(chunk)))
    return "\n".join(out)


#: Spans that are code, not formulas (kept as written).
KEEP = frozenset({"max(10, max_placebo // firms)"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="list spans left; exit 1 if any")
    args = parser.parse_args(argv)
    left = 0
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        if args.check:
            spans = [s for s in formula_spans(text) if s not in KEEP]
            for s in spans:
                print(f"{path}: ``{s}``")
            left += len(spans)
            continue
        new = convert_markdown(text, KEEP)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: rewritten")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
