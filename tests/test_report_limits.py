"""Report output of the price-limit and leakage diagnostics: figures, leakage.csv,
report sections, and graceful absence when the data has no prices."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.report.files import QUESTION, write_outputs
from eventstudy.report.render import build_blocks, render_markdown

SEED = 20240513
NEW_FIGURES = ("ar_heatmap", "runup", "leak_price_paths")
LIMITS = "Price limits after the announcement"
LEAKAGE = "Pre-announcement run-up and leakage"


def _run(out, *, returns_only=False, leakage=True):
    cal = es.load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=SEED)
    data = sim.panel.returns if returns_only else sim.panel
    res = es.EventStudy(cal, data, leakage=leakage).fit()
    write_outputs(
        res,
        out,
        panel=None if returns_only else sim.panel,
        calendar=cal,
        parameters={"seed": SEED},
        title="test",
    )
    return res


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("limits")
    res = _run(out)
    return res, out


def _section(md: str, title: str) -> str:
    start = md.index(f"## {title}")
    nxt = md.find("\n## ", start + 3)
    return md[start : nxt if nxt >= 0 else len(md)]


def _section_tables(blocks, title):
    """Tables between the heading ``title`` and the next heading."""
    i = next(k for k, b in enumerate(blocks) if b.kind == "h2" and b.text == title)
    tables = []
    for b in blocks[i + 1 :]:
        if b.kind in ("h1", "h2"):
            break
        if b.kind == "table":
            tables.append(b.table)
    return tables


def test_demo_writes_new_figures_and_leakage_csv(demo):
    res, out = demo
    for name in NEW_FIGURES:
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{name}.{ext}").is_file(), (name, ext)
    leak = pd.read_csv(out / "leakage.csv")
    assert len(leak) == res.n_included == len(res.leakage)
    assert {"event_id", "p_runup", "leak_flag", "leak_rules"} <= set(leak.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "leakage.csv" in manifest["files"]
    for name in NEW_FIGURES:
        assert f"figures/{name}.png" in manifest["files"]
    md = (out / "report.md").read_text(encoding="utf-8")
    for name in NEW_FIGURES:
        assert f"(figures/{name}.png)" in md


def test_report_sections_name_flagged_events(demo):
    res, out = demo
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"## {LIMITS}" in md and f"## {LEAKAGE}" in md
    assert LIMITS in html and LEAKAGE in html
    lim = _section(md, LIMITS)
    assert "limit-aware CAR" in lim and "csect_t" in lim
    assert "mean CAR[0,+1]" in lim
    leak = _section(md, LEAKAGE)
    info = res.to_dict()["leakage"]
    flagged = info["flagged"]
    assert flagged, "the demo data should flag some events"
    bullets = [ln for ln in leak.splitlines() if ln.startswith("- ")]
    assert len(bullets) == len(flagged)
    for f in flagged:
        line = next(ln for ln in bullets if ln.startswith(f"- {f['event_id']} ("))
        assert f["rules"] in line
    assert f"p* = {info['threshold_p']:.4g}" in leak
    assert f"alpha = {info['alpha']:.0%}" in leak
    assert "<li>" in html


def test_per_event_tables_have_one_row_per_included_event(demo):
    res, _ = demo
    blocks = build_blocks(res, title="t", question=QUESTION, figures=[], simulated=True)
    inc = set(res.events.loc[res.events["status"] == "included", "event_id"])
    lim_tables = _section_tables(blocks, LIMITS)
    per_event, tests = lim_tables[0], lim_tables[1]
    assert len(per_event) == len(inc) and set(per_event["event_id"]) == inc
    for c in ("firm", "ticker", "day0", "first_open_day", "car[0,+1]", "car_limit"):
        assert c in per_event.columns
    assert list(tests["test"]) == list(res.limit_window["test"])
    leak_table = _section_tables(blocks, LEAKAGE)[0]
    assert len(leak_table) == len(inc) and set(leak_table["event_id"]) == inc
    assert {"runup_ratio", "leak_flag", "leak_rules"} <= set(leak_table.columns)
    # markdown rows too
    md = render_markdown(blocks)
    rows = [ln for ln in _section(md, LEAKAGE).splitlines() if ln.startswith("| E")]
    assert len(rows) == len(inc)


def test_new_figures_are_byte_identical_across_runs(demo, tmp_path):
    _, out = demo
    _run(tmp_path / "again")
    for name in NEW_FIGURES:
        for ext in ("png", "pdf"):
            a = (out / "figures" / f"{name}.{ext}").read_bytes()
            b = (tmp_path / "again" / "figures" / f"{name}.{ext}").read_bytes()
            assert a == b, f"{name}.{ext} differs between runs"


def test_returns_only_skips_limit_outputs(tmp_path):
    out = tmp_path / "ret"
    res = _run(out, returns_only=True)
    assert "limit_up" not in res.ar.columns and res.limit_window.empty
    assert not (out / "figures" / "ar_heatmap.png").exists()
    assert not (out / "figures" / "leak_price_paths.png").exists()
    assert (out / "figures" / "caar.png").is_file()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert LIMITS not in md and "ar_heatmap" not in md
    # the return-based run-up diagnostics exist without prices and are reported
    assert len(res.leakage) == res.n_included
    assert (out / "figures" / "runup.png").is_file() and (out / "leakage.csv").is_file()
    assert f"## {LEAKAGE}" in md


def test_no_diagnostics_writes_no_limit_or_leakage_outputs(tmp_path):
    out = tmp_path / "plain"
    res = _run(out, returns_only=True, leakage=False)
    assert res.leakage.empty and res.runup_path.empty
    for name in NEW_FIGURES:
        assert not (out / "figures" / f"{name}.png").exists(), name
    assert not (out / "leakage.csv").exists()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert LIMITS not in md and LEAKAGE not in md
    assert "## Per-event results" in md


def test_plot_functions_without_data(demo):
    from matplotlib.figure import Figure

    from eventstudy.report.plots import plot_ar_heatmap, plot_price_paths, plot_runup

    res, _ = demo
    cal = es.load_calendar("compute-leasing")
    prices = es.simulate_market(cal, seed=SEED).panel.prices
    fig = plot_price_paths(res, prices, [], fig=Figure())
    assert len(fig.axes) == 1 and not fig.axes[0].axison
    fig = plot_price_paths(res, prices, ["E002"], fig=Figure(), before=5, after=3)
    line = fig.axes[0].lines[-1]
    assert np.allclose(line.get_xdata(), np.arange(-5, 4))
    ax = plot_runup(dataclasses.replace(res, _leakage=None), ax=Figure().add_subplot())
    assert not ax.axison
    ax = plot_ar_heatmap(res, ax=Figure().add_subplot())
    assert ax.get_xlabel().startswith("event day")
