"""MkDocs hook: rendered maths, offline, and a build check that it is there.

Formulas are written in TeX between dollars in the pages (``$...$``,
``$$...$$``); ``pymdownx.arithmatex`` (``generic: true``) wraps each in an
element of class ``arithmatex``, and MathJax 3 typesets them in the browser
(``docs/javascripts/mathjax-config.js`` sets it up).

* ``on_files`` adds MathJax to the site as ``javascripts/mathjax/tex-svg-full.js``
  (one self-contained file: every TeX extension, SVG output, so no web fonts
  and nothing loaded later) with its licence (Apache-2.0), taken from the
  ``django-static-mathjax`` package that the ``docs`` extra installs.  No CDN
  is involved at build or at view time, and the pages also work from disk.
* ``on_post_build`` checks the built site and fails the build when the maths
  would not render (:func:`check_site`): a formula page (``MATH_PAGES``)
  without typeset formulas, a page with formulas that does not load the
  local MathJax or whose MathJax file is missing, a script or stylesheet from
  the network, a formula left in the old code notation, or a list that the
  Markdown parser merged into a paragraph.

The check functions take plain paths, so tests can run them without MkDocs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: Where MathJax goes in the site, relative to the site root.
MATHJAX_DEST = "javascripts/mathjax/tex-svg-full.js"
#: The MathJax configuration (a page of docs/ itself).
MATHJAX_CONFIG = "javascripts/mathjax-config.js"
#: The distribution that ships MathJax 3 and where its files are inside it.
MATHJAX_DIST = "django-static-mathjax"
MATHJAX_SRC = "mathjax/static/mathjax/es5/tex-svg-full.js"
MATHJAX_LICENSE = "mathjax/static/mathjax/LICENSE"
MATHJAX_LICENSE_DEST = "javascripts/mathjax/LICENSE"
#: Pages that must contain rendered formulas, and how many at least.
MATH_PAGES = {"methodology.html": 100}

_ARITHMATEX = re.compile(r'<(?:span|div) class="arithmatex">')
_SCRIPT_SRC = re.compile(r'<script[^>]*\bsrc="([^"]*)"')
_REMOTE = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]*)"')
_CODE = re.compile(r"<code>([^<]*)</code>")
# signs of a formula written as code: Greek letters, maths symbols, accents
_MATHS_CHARS = re.compile(r"[α-ωΑ-ΩΣ√²³⁻⁺≤≥≠∈∉±×·⌊⌋\u0302\u0304]")
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_LIST_MARKER = re.compile(r"\n[ ]*\*[ ]")


def mathjax_files() -> dict[str, Path]:
    """Site path -> file of MathJax and its licence, from the installed ``django-static-mathjax``."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(MATHJAX_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"{MATHJAX_DIST} is not installed, so the site would have no MathJax: "
            "pip install -e '.[docs]'"
        ) from None
    out = {}
    for dest, src in ((MATHJAX_DEST, MATHJAX_SRC), (MATHJAX_LICENSE_DEST, MATHJAX_LICENSE)):
        path = Path(str(dist.locate_file(src)))
        if not path.is_file():
            raise FileNotFoundError(f"{MATHJAX_DIST} has no {src} (looked at {path})")
        out[dest] = path
    return out


def _relative_to_page(page: str, src: str) -> str:
    """Site path a ``src`` attribute of ``page`` points at (``../x/y.js`` -> ``x/y.js``)."""
    parts = page.split("/")[:-1]
    for piece in src.split("?")[0].split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def check_page(page: str, html: str, site: Path) -> list[str]:
    """Problems of one built page (``page`` relative to the site root)."""
    problems = []
    n_maths = len(_ARITHMATEX.findall(html))
    need = MATH_PAGES.get(page, 0)
    if n_maths < need:
        problems.append(
            f"{page}: {n_maths} rendered formula(s), expected at least {need}; write "
            "formulas as $...$ (python docs/hooks/texify.py converts ``...`` spans)"
        )
    if n_maths:
        loaded = {_relative_to_page(page, s) for s in _SCRIPT_SRC.findall(html)}
        for js in (MATHJAX_CONFIG, MATHJAX_DEST):
            if js not in loaded:
                problems.append(f"{page}: has formulas but does not load {js}")
            elif not (site / js).is_file():
                problems.append(f"{page}: loads {js}, which is missing from the site")
    for url in _REMOTE.findall(html):
        problems.append(f"{page}: loads {url} from the network; the site must work offline")
    if n_maths or need:
        left = sorted({c for c in _CODE.findall(html) if _MATHS_CHARS.search(c)})
        if left:
            shown = "; ".join(left[:5])
            problems.append(
                f"{page}: {len(left)} formula(s) still written as code ({shown}); "
                "convert them: python docs/hooks/texify.py docs/<page>.md"
            )
    for para in _PARAGRAPH.findall(html):
        m = _LIST_MARKER.search(para)
        if m:
            snippet = re.sub(r"<[^>]+>", "", para[max(0, m.start() - 60) : m.start() + 60])
            problems.append(
                f"{page}: a list item was read as part of a paragraph "
                f"({' '.join(snippet.split())!r}); put a blank line before the list "
                "and indent a list item's later paragraphs by 4 spaces"
            )
    return problems


def check_site(site: Path) -> list[str]:
    """Problems of a built site; empty when every formula will render offline."""
    site = Path(site)
    problems = []
    js = site / MATHJAX_DEST
    if not js.is_file() or js.stat().st_size < 500_000:
        problems.append(f"{MATHJAX_DEST} is missing from the site or truncated")
    for page in MATH_PAGES:
        if not (site / page).is_file():
            problems.append(f"{page} is missing from the site")
    for path in sorted(site.rglob("*.html")):
        page = path.relative_to(site).as_posix()
        if page.startswith(("reference/", "assets/")) or page in ("404.html",):
            continue
        problems += check_page(page, path.read_text(encoding="utf-8"), site)
    return problems


# --- the MkDocs events ---------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    try:
        wanted = mathjax_files()
    except FileNotFoundError as exc:
        raise PluginError(str(exc)) from exc
    for dest, path in wanted.items():
        if files.get_file_from_path(dest) is None:
            files.append(File.generated(config, dest, abs_src_path=str(path)))
    return files


def on_post_build(config: Any) -> None:
    from mkdocs.exceptions import PluginError

    problems = check_site(Path(config.site_dir))
    if problems:
        raise PluginError(
            "rendered maths check failed (docs/hooks/maths.py):\n  " + "\n  ".join(problems)
        )
