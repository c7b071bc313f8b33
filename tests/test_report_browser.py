"""report.html in a real headless browser (Debian's chromium through chromedriver).

The demo report is opened via ``file://`` in headless chromium driven by Selenium.
The tests check that the page loads completely, that every figure the report lists
decodes and is shown, that the browser console has no errors, that the SIMULATED
banner is visible, and they take a full-page screenshot (kept in pytest's
``tmp_path``).

Issue 13: the headline result is above the fold at 1400x900 for the demo report and
for a report of a user's own study with its own ``--title``; the firm column keeps
Chinese names on one line.  The page is drawn twice: with the system's fonts and with
a font configuration that holds no CJK font (``FONTCONFIG_FILE``).  With a CJK font
installed (Debian: ``apt-get install fonts-noto-cjk``) the firm column must be at
least as wide as the longest name's characters; without one (boxes), the names still
must not wrap.  Screenshots of both are kept in ``tmp_path``.

When chromium, chromedriver or selenium is missing the whole module is skipped,
with the reason and the install command. On Debian::

    apt-get install chromium chromium-driver
    pip install -e '.[test]'   # brings selenium
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from eventstudy.cli import main

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
APT_HINT = "install with `apt-get install chromium chromium-driver`"

#: The network is closed on the test machines: these flags keep chromium from
#: trying to reach out (and from needing a sandbox or a GPU).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
]
WIDTH = 1300
BANNER_RGB = (176, 0, 32)  # .banner{background:#b00020}
FOLD = (1400, 900)
#: Latin fonts only: chromium drawn with this font configuration has no CJK font
NO_CJK_FONTS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")


def _cjk_installed() -> bool:
    """True when fontconfig knows a font for Chinese (e.g. Debian's fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


def _missing() -> list[str]:
    """What is missing to drive chromium, each with how to install it."""
    out = []
    for what, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            out.append(f"{what} (not found at {path}; {APT_HINT})")
    try:
        import selenium  # noqa: F401
    except ImportError:
        out.append(
            "the Python package selenium (not installed; install with `pip install -e '.[test]'`)"
        )
    return out


def _n_colours(rgb: np.ndarray) -> int:
    """Number of distinct colours in an (..., 3) uint8 array."""
    packed = rgb.reshape(-1, 3).astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], np.uint32)
    return int(np.count_nonzero(np.bincount(packed, minlength=1 << 24)))


def _png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG file's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def _chrome(profile: Path, size: tuple[int, int], env: dict[str, str] | None = None):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={size[0]},{size[1]}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=opts)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    missing = _missing()
    if missing:
        pytest.skip("report.html browser test needs " + ", and ".join(missing))
    drv = _chrome(tmp_path_factory.mktemp("chromium-profile"), (WIDTH, 1000))
    try:
        yield drv
    finally:
        drv.quit()


def _no_cjk_env(folder: Path) -> dict[str, str]:
    """The environment of a chromium that sees the Latin fonts only."""
    conf = folder / "fonts.conf"
    dirs = "".join(f"<dir>{d}</dir>" for d in NO_CJK_FONTS if os.path.isdir(d))
    conf.write_text(
        "<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'fonts.dtd'><fontconfig>"
        f"{dirs}<cachedir>{folder / 'cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


@pytest.fixture(scope="module", params=["system-fonts", "no-cjk-font"])
def fold_driver(request, tmp_path_factory):
    """A 1400x900 chromium with the system's fonts, or with no CJK font at all."""
    missing = _missing()
    if missing:
        pytest.skip("report.html browser test needs " + ", and ".join(missing))
    tmp = tmp_path_factory.mktemp(request.param)
    env = _no_cjk_env(tmp) if request.param == "no-cjk-font" else None
    drv = _chrome(tmp / "profile", FOLD, env)
    # the window's chrome (if any) takes from the viewport: make the viewport 1400x900
    drv.get("about:blank")
    w, h = drv.execute_script("return [window.innerWidth, window.innerHeight]")
    drv.set_window_size(2 * FOLD[0] - w, 2 * FOLD[1] - h)
    try:
        yield request.param, drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def own_dir(tmp_path_factory):
    """A user's own study (own calendar with Chinese firm names, own --title)."""
    import pandas as pd
    from helpers import make_events, make_panel

    tmp = tmp_path_factory.mktemp("own-browser")
    returns, tickers = make_panel(n_firms=8, n_days=420, seed=11)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 12, seed=3)
    ev["firm"] = ["莲花健康(现莲花控股)", "鸿博股份", "中贝通信", "Acme Holdings"] * 3
    ev["date"] = pd.to_datetime(ev["date"]).dt.strftime("%Y-%m-%d")
    ev.to_csv(tmp / "events.csv", index=False)
    returns.assign(date=returns["date"].dt.strftime("%Y-%m-%d")).to_csv(
        tmp / "returns.csv", index=False
    )
    out = tmp / "out"
    args = ["run", "--calendar", str(tmp / "events.csv"), "--returns", str(tmp / "returns.csv")]
    args += ["--no-leakage", "--title", "My own study: buybacks", "--out", str(out)]
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-browser")
    assert main(["demo", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def listed_figures(demo_dir) -> list[str]:
    """The figures the report lists (report.md is built from the same blocks as the HTML)."""
    md = (demo_dir / "report.md").read_text(encoding="utf-8")
    figs = re.findall(r"^!\[.*\]\((\S+\.png)\)$", md, flags=re.MULTILINE)
    assert figs, "report.md lists no figure"
    return figs


@pytest.fixture(scope="module")
def page(driver, demo_dir):
    """The report loaded in chromium, with the console log read once (reading drains it)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get((demo_dir / "report.html").resolve().as_uri())
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    return driver, driver.get_log("browser")


def test_page_loads(page):
    drv, _ = page
    assert drv.execute_script("return document.readyState") == "complete"
    assert "SIMULATED" in drv.title


def test_every_figure_decodes_and_shows(page, demo_dir, listed_figures):
    drv, _ = page
    imgs = drv.execute_script(
        "return Array.from(document.images).map(i => ({"
        " complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,"
        " shown_w: i.getBoundingClientRect().width, shown_h: i.getBoundingClientRect().height,"
        " in_figure: i.closest('figure') !== null, alt: i.alt}))"
    )
    n_fig = drv.execute_script("return document.querySelectorAll('figure').length")
    assert len(imgs) == n_fig == len(listed_figures), (len(imgs), n_fig, listed_figures)
    for img, rel in zip(imgs, listed_figures, strict=True):
        assert img["complete"] and img["w"] > 0 and img["h"] > 0, (rel, img)
        # the browser decoded the very PNG the report lists, at its full size
        assert (img["w"], img["h"]) == _png_size(demo_dir / rel), (rel, img)
        assert img["in_figure"] and img["shown_w"] > 0 and img["shown_h"] > 0, (rel, img)


def test_no_console_errors(page):
    _, logs = page
    severe = [e for e in logs if e.get("level") == "SEVERE"]
    assert not severe, severe


def test_simulated_banner_visible(page):
    from selenium.webdriver.common.by import By

    drv, _ = page
    banners = drv.find_elements(By.CSS_SELECTOR, ".banner")
    assert len(banners) == 1
    b = banners[0]
    assert b.is_displayed()
    assert b.text.startswith("SIMULATED DATA")
    assert b.size["width"] > 0 and b.size["height"] > 0
    assert b.value_of_css_property("background-color") in (
        "rgb({}, {}, {})".format(*BANNER_RGB),
        "rgba({}, {}, {}, 1)".format(*BANNER_RGB),
    )


def test_full_page_screenshot(page, tmp_path):
    import matplotlib.image as mpimg

    drv, _ = page
    height = int(drv.execute_script("return document.documentElement.scrollHeight"))
    drv.set_window_size(WIDTH, height)
    # the window's chrome (if any) takes from the viewport: grow until it holds the page
    inner = int(drv.execute_script("return window.innerHeight"))
    if inner < height:
        drv.set_window_size(WIDTH, 2 * height - inner)
    png = drv.get_screenshot_as_png()
    shot = tmp_path / "report.png"
    shot.write_bytes(png)

    assert len(png) > 50_000, len(png)
    arr = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    rgb = np.round(arr * 255).astype(np.uint8) if arr.dtype != np.uint8 else arr
    h, w = rgb.shape[:2]
    assert w >= WIDTH * 0.9 and h >= height * 0.95, (w, h, height)
    assert _n_colours(rgb) > 50, "screenshot is (nearly) one colour"

    # page coordinates == screenshot pixels: the whole page is in the viewport, at scale 1
    assert drv.execute_script("return window.scrollY") == 0
    rects = drv.execute_script(
        "const r = e => { const b = e.getBoundingClientRect();"
        " return [b.left, b.top, b.right, b.bottom].map(Math.round); };"
        "return {banner: r(document.querySelector('.banner')),"
        " imgs: Array.from(document.images).map(r)}"
    )
    x0, y0, _, _ = rects["banner"]
    assert tuple(rgb[y0 + 3, x0 + 3]) == BANNER_RGB, "banner not red in the screenshot"
    for left, top, right, bottom in rects["imgs"]:
        assert 0 <= top < bottom <= h and 0 <= left < right <= w, (left, top, right, bottom)
        assert _n_colours(rgb[top:bottom, left:right]) > 10, f"figure at {(left, top)} shows blank"


# ------------------------------------------------------------- issue 13: fold and CJK


def _open(drv, folder: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get((folder / "report.html").resolve().as_uri())
    WebDriverWait(drv, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


_HEADLINE_JS = """
const h = Array.from(document.querySelectorAll('h2')).find(e => e.textContent.startsWith('Headline'));
let t = h.nextElementSibling;
while (t && !t.querySelector('table')) { t = t.nextElementSibling; }
const r = t.getBoundingClientRect();
return {h2: h.getBoundingClientRect().top, bottom: r.bottom, right: r.right,
        inner: window.innerHeight, width: window.innerWidth,
        first_h2: document.querySelector('h2').textContent};
"""

_FIRM_JS = """
const tables = Array.from(document.querySelectorAll('table'));
for (const tb of tables) {
  const heads = Array.from(tb.querySelectorAll('thead th')).map(e => e.textContent);
  const k = heads.indexOf('firm');
  if (k < 0) continue;
  const cells = Array.from(tb.querySelectorAll('tbody tr')).map(tr => tr.children[k]);
  const probe = document.createElement('span'); probe.textContent = 'E';
  cells[0].appendChild(probe);
  const line = probe.getBoundingClientRect().height;
  probe.remove();
  return cells.map(c => ({text: c.textContent, w: c.getBoundingClientRect().width,
      h: c.getBoundingClientRect().height, nowrap: getComputedStyle(c).whiteSpace,
      font: parseFloat(getComputedStyle(c).fontSize), line: line}));
}
return null;
"""


@pytest.mark.parametrize("which", ["demo", "own"])
def test_headline_above_the_fold(fold_driver, which, demo_dir, own_dir, tmp_path):
    fonts, drv = fold_driver
    folder = demo_dir if which == "demo" else own_dir
    _open(drv, folder)
    r = drv.execute_script(_HEADLINE_JS)
    assert r["first_h2"].startswith("Headline"), r
    assert abs(r["inner"] - FOLD[1]) <= 2 and abs(r["width"] - FOLD[0]) <= 2, r
    assert 0 <= r["h2"] < r["bottom"] <= min(r["inner"], FOLD[1]), (
        f"{which}: the headline table ends at {r['bottom']}px, below the fold"
    )
    (tmp_path / f"{which}-{fonts}-fold.png").write_bytes(drv.get_screenshot_as_png())
    if which == "own":
        assert drv.title == "My own study: buybacks"
        body = drv.find_element("tag name", "body").text
        assert "compute leasing" not in body.lower() and "算力租赁" not in body


@pytest.mark.parametrize("which", ["demo", "own"])
def test_firm_column_is_not_squeezed(fold_driver, which, demo_dir, own_dir, tmp_path):
    fonts, drv = fold_driver
    folder = demo_dir if which == "demo" else own_dir
    _open(drv, folder)
    cells = drv.execute_script(_FIRM_JS)
    assert cells, "no table with a firm column"
    cjk = [c for c in cells if re.search(r"[\u4e00-\u9fff]", c["text"])]
    assert cjk
    for c in cells:
        assert c["nowrap"] == "nowrap", c
        # one line: the cell is less than two text lines high
        assert c["h"] < 2 * c["line"] + 8, c
    longest = max(cjk, key=lambda c: len(c["text"]))
    n = sum(1 for ch in longest["text"] if "\u4e00" <= ch <= "\u9fff")
    if fonts == "system-fonts" and _cjk_installed():
        # every CJK glyph is about one em wide: at least the characters' width
        assert longest["w"] >= 0.9 * n * longest["font"], longest
    else:
        # boxes (no CJK font): still one line, at least a glyph per character
        assert longest["w"] >= 0.4 * n * longest["font"], longest
    size = drv.get_window_size()
    height = int(drv.execute_script("return document.documentElement.scrollHeight"))
    drv.set_window_size(size["width"], height + size["height"] - FOLD[1])
    try:
        (tmp_path / f"{which}-{fonts}-full.png").write_bytes(drv.get_screenshot_as_png())
    finally:
        drv.set_window_size(size["width"], size["height"])
