"""report.html in a real headless browser (Debian's chromium through chromedriver).

The demo report is opened via ``file://`` in headless chromium driven by Selenium.
The tests check that the page loads completely, that every figure the report lists
decodes and is shown, that the browser console has no errors, that the SIMULATED
banner is visible, and they take a full-page screenshot (kept in pytest's
``tmp_path``).

When chromium, chromedriver or selenium is missing the whole module is skipped,
with the reason and the install command. On Debian::

    apt-get install chromium chromium-driver
    pip install -e '.[test]'   # brings selenium
"""

from __future__ import annotations

import io
import os
import re
import struct
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


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    missing = _missing()
    if missing:
        pytest.skip("report.html browser test needs " + ", and ".join(missing))

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.add_argument(f"--window-size={WIDTH},1000")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield drv
    finally:
        drv.quit()


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
