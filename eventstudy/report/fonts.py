"""Chinese text in figures and in report.html.

Figures use a CJK-capable font when one is installed, so that firm names
such as 鸿博股份 can appear in them; nothing changes matplotlib's global
settings: the few texts that hold CJK characters carry their own font
family list (the usual sans-serif first, then the CJK font, which
matplotlib uses per glyph as a fallback).  Without a CJK font, firm names
in CJK are left out of the figures (they would show as empty boxes) and
the figures label events by id and ticker.

On Debian or Ubuntu the fonts come with ``apt-get install fonts-noto-cjk``
(on macOS and Windows a CJK font is installed with the system).

The CSS of report.html names the same fonts (:data:`CSS_FONT_STACK`), so
the browser falls back to a CJK font for Chinese text wherever one exists.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["CJK_FONTS", "CSS_FONT_STACK", "cjk_font", "firm_text", "text_font"]

#: CJK-capable font families, most preferred first (Linux, macOS, Windows)
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
    "Arial Unicode MS",
)

#: the font stack of report.html: the system UI font, then CJK fallbacks
CSS_FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)


#: file names of CJK fonts (to find one installed after matplotlib cached its font list)
_CJK_FILES = ("notosanscjk", "notosanssc", "sourcehansans", "wqy", "droidsansfallback",
              "msyh", "simhei", "pingfang", "hiragino")  # fmt: skip


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None.

    matplotlib caches its list of system fonts; a CJK font installed after
    that (``apt-get install fonts-noto-cjk``) is found among the system's
    font files and registered with matplotlib's font manager (no setting
    of matplotlib is changed).
    """
    from matplotlib import font_manager

    fm = font_manager.fontManager
    names = {f.name for f in fm.ttflist}
    found = next((n for n in CJK_FONTS if n in names), None)
    if found is not None:
        return found
    known = {f.fname for f in fm.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        base = path.replace("-", "").replace("_", "").lower().rsplit("/", 1)[-1]
        if path not in known and any(k in base for k in _CJK_FILES):
            try:
                fm.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in fm.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def _has_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def text_font(text: str) -> dict[str, Any]:
    """Keyword arguments for a matplotlib text: a font family list with the CJK font
    when ``text`` holds CJK characters and one is installed (else nothing)."""
    font = cjk_font()
    if font is None or not _has_cjk(text):
        return {}
    from matplotlib import rcParams

    return {"fontfamily": [*rcParams["font.sans-serif"][:1], font]}


def firm_text(name: Any) -> str:
    """A firm name for a figure: as is when it can be drawn, else empty."""
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = str(name).strip()
    if not text or (_has_cjk(text) and cjk_font() is None):
        return ""
    return text
