"""Issue 13, finding 11: the docs site renders its formulas, offline, and its lists.

The formulas of ``docs/*.md`` used to be double-backtick code spans, shown as
code.  They are TeX between dollars now, ``pymdownx.arithmatex`` marks them
and MathJax 3, served by the site itself (``docs/hooks/maths.py``), typesets
them.  The hook's ``check_site`` fails the docs build when a formula page has
no rendered maths; these tests pin the converter, the sources, the
configuration and that check (the built site itself is checked by
``bash docs/build.sh`` in CI).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"docs_hooks_{name}", DOCS / "hooks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


texify_mod = _load("texify")
maths = _load("maths")
texify = texify_mod.texify


# ------------------------------------------------------------------ the converter


@pytest.mark.parametrize(
    ("plain", "tex"),
    [
        ("R_it", "R_{it}"),
        ("σ̂_i² (1 + c0_i)", r"\hat{\sigma}_{i}^{2} (1 + c_{0,i})"),
        ("sqrt(Σ_i d_i/(d_i − 2))", r"\sqrt{\sum_{i} d_{i}/(d_{i} - 2)}"),
        ("Σ_{s=τ1..t} AR_is", r"\sum_{s=\tau_{1}}^{t} \mathrm{AR}_{is}"),
        ("t_KP = t_BMP · sqrt(x)", r"t_{\mathrm{KP}} = t_{\mathrm{BMP}} \cdot \sqrt{x}"),
        ("X*(X'X)⁻¹X*'", r"X^{*}(X^{\prime}X)^{-1}X^{*\prime}"),
        ("n*_i²", r"n_{i}^{*2}"),
        ("Z_g,s+δ Z_h,s", r"Z_{g,s+\delta} Z_{h,s}"),
        ("S_Ū²", r"S_{\bar{U}}^{2}"),
        ("#{b : |t*_b| ≥ |t|}", r"\#\{b : \vert t_{b}^{*}\vert \ge \vert t\vert\}"),
        ("1[e_is > 0]", r"\mathbf{1}[e_{is} > 0]"),
        ("floor(4 (T/100)^(2/9))", r"\lfloor 4 (T/100)^{2/9}\rfloor"),
        ("min(120, floor(0.8 × window length))",
         r"\min(120, \lfloor 0.8 \times \text{window length}\rfloor)"),
        ("αN", r"\alpha N"),
        ("CAR_i(τa, τb)", r"\mathrm{CAR}_{i}(\tau_{a}, \tau_{b})"),
        ("G_it = sign(AR_it − median_i)",
         r"G_{it} = \operatorname{sign}(\mathrm{AR}_{it} - \operatorname{median}_{i})"),
        ("L_i < min_estimation_days", r"L_{i} < \texttt{min\_estimation\_days}"),
        ("i = 1..N", r"i = 1, \ldots,N"),
    ],
)  # fmt: skip
def test_texify(plain, tex):
    assert texify(plain) == tex


def test_convert_markdown_display_inline_and_untouched_parts():
    text = (
        "Intro ``x_i`` and `code_name` stay.\n"
        "\n"
        "``z = (w_t − N_t/2) / sqrt(N_t/4)``,\n"
        "\n"
        "```\n"
        "``not a formula``\n"
        "```\n"
        "a span over\n"
        "two lines ``o_ij = max(0, n_w − |d_i −\n"
        "d_j|)`` ends.\n"
    )
    out = texify_mod.convert_markdown(text)
    lines = out.split("\n")
    assert lines[0] == "Intro $x_{i}$ and `code_name` stay."
    assert lines[2] == r"$$z = (w_{t} - N_{t}/2) / \sqrt{N_{t}/4},$$"
    assert lines[5] == "``not a formula``"  # fenced code is left alone
    assert lines[8] == r"two lines $o_{ij} = \max(0, n_{w} - \vert d_{i} -"
    assert lines[9] == r"d_{j}\vert)$ ends."
    assert texify_mod.convert_markdown(out) == out  # idempotent


# ------------------------------------------------------------------ the sources


@pytest.mark.parametrize("page", ["methodology.md", "specification.md", "api.md"])
def test_formula_pages_hold_no_formula_in_code_notation(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    left = [s for s in texify_mod.formula_spans(text) if s not in texify_mod.KEEP]
    assert left == [], f"run: python docs/hooks/texify.py docs/{page}"


def test_methodology_is_written_in_tex():
    text = (DOCS / "methodology.md").read_text(encoding="utf-8")
    inline = re.findall(r"(?<!\$)\$(?!\$)[^$\n]+\$", text)
    display = re.findall(r"^\s*\$\$.+\$\$\s*$", text, re.M)
    assert len(inline) > 300 and len(display) >= 10
    # every formula's braces balance, so MathJax can parse it
    for f in inline + display:
        body = f.replace(r"\{", "").replace(r"\}", "")
        assert body.count("{") == body.count("}"), f


def _continuations_outside_their_item(text: str) -> list[int]:
    """Lines that continue a list item after a blank line but are indented 1-3 spaces.

    Python-Markdown needs 4 spaces there; with fewer the paragraph leaves the
    list and the next item is glued to it (the broken list of issue 13).
    """
    out, in_list, fenced = [], False, False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line.strip():
            continue
        if re.match(r"^\s*([*-]|\d+\.)\s", line):
            in_list = True
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_list = False
        elif in_list and indent < 4 and not lines[i - 1].strip():
            out.append(i + 1)
    return out


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_lists_are_well_formed(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    assert _continuations_outside_their_item(text) == []


def test_the_list_check_finds_the_old_methodology_defect():
    broken = "* **A.**  first,\n\n  ``x``,\n\n  more text.\n* **B.** next\n"
    assert _continuations_outside_their_item(broken) == [3, 5]


def test_site_configuration_renders_maths_offline():
    cfg = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"- pymdownx\.arithmatex:\n\s+generic: true", cfg)
    js = re.search(r"extra_javascript:\n((?:\s+- .+\n)+)", cfg)
    assert js is not None
    scripts = re.findall(r"- (\S+)", js.group(1))
    assert scripts == [maths.MATHJAX_CONFIG, maths.MATHJAX_DEST]  # config before MathJax
    assert not any(s.startswith(("http:", "https:", "//")) for s in scripts)
    assert (DOCS / maths.MATHJAX_CONFIG).is_file()
    assert "docs/hooks/maths.py" in cfg
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"{maths.MATHJAX_DIST}' in pyproject  # the docs extra brings MathJax


# ------------------------------------------------------------------ the build check


def _site(tmp_path: Path, page_html: str, *, mathjax: bool = True) -> Path:
    site = tmp_path / "site"
    (site / "javascripts" / "mathjax").mkdir(parents=True)
    (site / maths.MATHJAX_CONFIG).write_text("window.MathJax = {};")
    if mathjax:
        (site / maths.MATHJAX_DEST).write_bytes(b"x" * 600_000)
    (site / "methodology.html").write_text(page_html, encoding="utf-8")
    return site


def _page(n: int = 120, scripts: str | None = None, extra: str = "") -> str:
    if scripts is None:
        scripts = (
            f'<script src="{maths.MATHJAX_CONFIG}"></script>'
            f'<script src="{maths.MATHJAX_DEST}"></script>'
        )
    spans = '<p><span class="arithmatex">\\(x_i\\)</span></p>\n' * n
    return f"<html><body>{spans}{extra}{scripts}</body></html>"


CDN_SCRIPTS = (
    f'<script src="{maths.MATHJAX_CONFIG}"></script>'
    '<script src="https://cdn.example.org/mathjax/tex-svg.js"></script>'
)


def test_check_site_passes_a_good_site(tmp_path):
    assert maths.check_site(_site(tmp_path, _page())) == []


@pytest.mark.parametrize(
    ("html", "mathjax", "message"),
    [
        (_page(n=0), True, r"methodology.html: 0 rendered formula\(s\), expected at least 100"),
        (_page(scripts=""), True, "does not load javascripts/mathjax-config.js"),
        (_page(), False, "tex-svg-full.js is missing from the site"),
        (_page(scripts=CDN_SCRIPTS), True,
         "loads https://cdn.example.org/mathjax/tex-svg.js from the network"),
        (_page(extra="<p><code>σ̂_i² (1 + c0_i)</code></p>"), True,
         r"1 formula\(s\) still written as code"),
        (_page(extra="<p>No approximation is used.\n* <strong>CAR</strong> the sum</p>"), True,
         "a list item was read as part of a paragraph"),
    ],
)  # fmt: skip
def test_check_site_fails_when_the_maths_would_not_render(tmp_path, html, mathjax, message):
    problems = maths.check_site(_site(tmp_path, html, mathjax=mathjax))
    assert any(re.search(message, p) for p in problems), problems


def test_relative_script_paths_of_pages_in_subfolders():
    assert maths._relative_to_page("notebooks/a.html", "../javascripts/x.js") == "javascripts/x.js"
    assert maths._relative_to_page("methodology.html", "javascripts/x.js?v=1") == "javascripts/x.js"


def test_markdown_renders_arithmatex_for_methodology():
    markdown = pytest.importorskip("markdown")
    pytest.importorskip("pymdownx.arithmatex")  # the docs extra
    text = (DOCS / "methodology.md").read_text(encoding="utf-8")
    html = markdown.markdown(
        text, extensions=["tables", "attr_list", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )  # fmt: skip
    n = len(re.findall(r'class="arithmatex"', html))
    assert n > 300
    assert not re.search(r"<code>[^<]*[α-ωΣ√²][^<]*</code>", html)
    page_problems = maths.check_page("methodology.html", html, Path("/nonexistent"))
    # only the script tags are missing from a bare Markdown rendering
    assert all("does not load" in p for p in page_problems), page_problems
