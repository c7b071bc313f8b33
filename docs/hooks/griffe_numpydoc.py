"""Griffe extension used by the docs build: numpydoc docstrings as MkDocs renders them.

Loaded by mkdocstrings from ``mkdocs.yml`` (``extensions:``); it only changes
what the API reference shows, never the source.  Two things:

1. **Defaults of grouped parameters.**  numpydoc allows one entry for several
   parameters (``estimation_window, event_window : (int, int)``).  Griffe
   gives every name of such an entry the signature default of the *first*
   name, so the reference would show wrong defaults.  Here every documented
   parameter gets the default of its own name in the signature, and a
   grouped entry whose type lists one type per name (``float, int, int``)
   gives each name its own type.
2. **reStructuredText markup.**  The docstrings use Sphinx roles
   (``:class:`~eventstudy.data.Panel```, ``:math:`...```), ``.. math::``
   blocks and simple tables, which Markdown would print literally or turn
   into headings.  Roles become inline code (``~a.b.C`` shows as ``C``),
   math blocks become ``latex`` code blocks and simple tables become
   preformatted text.  Formulas are therefore shown as LaTeX source, like
   the formulas in ``docs/methodology.md``; nothing is fetched to render them.

Only public objects are parsed eagerly (what ``filters: public`` renders), so
this adds no warning for docstrings the reference does not show.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|mod|data|attr|obj|exc|const|math|ref|term):`([^`]+)`"
)
_SIMPLE_TABLE_BORDER = re.compile(r"^\s*=+(\s+=+)+\s*$")
_MATH_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. math::\s*(?P<rest>.*)$")
_PARAMETER_KINDS = {
    griffe.DocstringSectionKind.parameters,
    griffe.DocstringSectionKind.other_parameters,
}


def _role(match: re.Match[str]) -> str:
    text = match.group(1)
    if text.startswith("~"):
        text = text[1:].rsplit(".", 1)[-1]
    return f"`{text}`"


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def rst_to_markdown(text: str) -> str:
    """Turn the reST constructs used in the docstrings into Markdown."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _MATH_DIRECTIVE.match(line)
        if m:
            indent = m.group("indent")
            body = [m.group("rest")] if m.group("rest").strip() else []
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indent_of(lines[i]) > len(indent)):
                body.append(lines[i].strip())
                i += 1
            while body and not body[-1]:
                body.pop()
            while body and not body[0]:
                body.pop(0)
            out += [f"{indent}```latex", *(f"{indent}{b}" for b in body), f"{indent}```", ""]
            continue
        if _SIMPLE_TABLE_BORDER.match(line):
            # a reST simple table: three border lines (top, under the header, bottom)
            end, borders = i, 0
            while end < len(lines) and borders < 3:
                borders += bool(_SIMPLE_TABLE_BORDER.match(lines[end]))
                end += 1
            if borders == 3:
                indent = line[: _indent_of(line)]
                out += [f"{indent}```text", *lines[i:end], f"{indent}```"]
                i = end
                continue
        out.append(line)
        i += 1
    return _ROLE.sub(_role, "\n".join(out))


def _split_types(raw: str, n: int) -> list[str] | None:
    """``float, int, int`` -> three types; None unless there are exactly ``n``.

    Works on the docstring's own text: once parsed, ``float, int`` and
    ``(int, int)`` are the same tuple expression.
    """
    raw = re.sub(r",\s*optional$", "", raw.strip())
    parts, depth, current = [], 0, ""
    for ch in raw:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return parts if len(parts) == n and all(parts) else None


def _raw_type(docstring: str, names: list[str]) -> str | None:
    pattern = r"^\s*" + r",\s*".join(map(re.escape, names)) + r"\s*:\s*(?P<type>.+?)\s*$"
    m = re.search(pattern, docstring, flags=re.MULTILINE)
    return m.group("type") if m else None


def _fix_parameters(obj: griffe.Object) -> None:
    try:
        signature = {p.name: p for p in obj.parameters}  # type: ignore[attr-defined]
    except Exception:
        return
    if not signature or obj.docstring is None:
        return
    for section in obj.docstring.parsed:
        if section.kind not in _PARAMETER_KINDS:
            continue
        params = section.value
        # entries parsed from one "a, b : type" line share the same annotation object
        groups: list[list[Any]] = []
        for p in params:
            if (
                groups
                and p.annotation is groups[-1][0].annotation
                and p.description == groups[-1][0].description
            ):
                groups[-1].append(p)
            else:
                groups.append([p])
        for group in groups:
            raw = (
                _raw_type(obj.docstring.value, [p.name for p in group]) if len(group) > 1 else None
            )
            types = _split_types(raw, len(group)) if raw else None
            for k, p in enumerate(group):
                if p.name in signature:
                    p.value = signature[p.name].default
                if types is not None:
                    p.annotation = types[k]


def _is_public(obj: griffe.Object) -> bool:
    """Public itself, and inside public classes (the module's own ``__all__`` decides)."""
    node: Any = obj
    while node is not None and not node.is_module:
        if node.name != "__init__" and not node.is_public:
            return False
        node = node.parent
    return obj.is_module or obj.name == "__init__" or obj.is_public


class NumpydocForMkDocs(griffe.Extension):
    """See the module docstring."""

    def _walk(self, obj: Any, seen: set[int]) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
            if _is_public(obj):
                _fix_parameters(obj)
        for member in list(obj.members.values()):
            if not member.is_alias:
                self._walk(member, seen)

    def __init__(self) -> None:
        super().__init__()
        self._done: set[str] = set()

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path not in self._done:  # once, even if both hooks below are called
            self._done.add(pkg.path)
            self._walk(pkg, set())

    # the same hook under its older name (griffe 1.x before ``on_package``)
    def on_package_loaded(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_package(pkg=pkg)
