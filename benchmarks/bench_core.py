"""Time ``EventStudy(...).fit()`` against a bare numpy kernel, and where the time goes.

The panel: the built-in simulated market with 2,000 firms on the XSHG
sessions of 2019-01-02..2025-03-31 (about 1,500 sessions), as a long frame
``date, ticker, ret`` (about 3 million rows).  Events: random firms and dates.

Two window sets:

* ``[-10,+10]``: estimation [-260,-11], event window [-10,+10], CAR windows
  [-1,+1], [0,0], [0,+5], [-10,+10];
* ``defaults``: the library's defaults, estimation [-250,-21], event window
  [-20,+20] and its 9 CAR windows.

For each set and 100 / 1,000 / 10,000 / 50,000 events, in one process:

* the bare kernel: a minimal numpy event study on pre-aligned arrays (gather,
  OLS from sums, ARs, SARs, one CAR, three statistics), no validation, no labels;
* the three-test fit: ``tests=["csect_t", "patell", "bmp"]``, no calendar-time
  regression, no leakage diagnostics;
* the default fit: every test (bootstrap 999 replications), the calendar-time
  regression and the leakage diagnostics, with the test table read
  (``results.tests``).

Each is the best of ``--repeat`` runs (one run at 50,000 events), written as
seconds and as a multiple of the kernel.  Then one default fit per window set
at 10,000 events runs under :mod:`cProfile`, and the cumulative time of each
part (alignment, each test, calendar time, leakage, results) is printed and
written: the breakdown of what remains.

Then the fixed cost of a panel: 100 events (window set ``[-10,+10]``) on
a synthetic full-market wide frame, 5,000 tickers x 5,000 sessions (about
20 years), against the same 100 events on a 2,000 x 1,500 wide frame
made the same way, and each fit's peak traced memory (:mod:`tracemalloc`).
Last, the command line in fresh processes: ``eventstudy --help``,
``eventstudy demo`` and ``eventstudy reproduce`` of the demo's output.

Usage: ``python benchmarks/bench_core.py [--repeat 3] [--sizes 100,1000,10000,50000]
[--write docs/performance.md] [--skip-full-market] [--skip-cli]``
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _sections import write_section

from eventstudy import EventStudy, simulate_market
from eventstudy.align import align_panel
from eventstudy.inference import TESTS

THREE = ["csect_t", "patell", "bmp"]
WINDOW_SETS: dict[str, dict[str, Any]] = {
    "[-10,+10]": dict(
        estimation_window=(-260, -11),
        event_window=(-10, 10),
        car_windows=[(-1, 1), (0, 0), (0, 5), (-10, 10)],
    ),
    "defaults": dict(),  # [-250,-21], [-20,+20], 9 CAR windows
}
SPANS = {"[-10,+10]": ((-260, -11), (-10, 10)), "defaults": ((-250, -21), (-20, 20))}


def build_panel(seed: int = 1) -> pd.DataFrame:
    sim = simulate_market(None, seed=seed, start="2019-01-02", end="2025-03-31", n_firms=2000)
    return sim.panel.returns[["date", "ticker", "ret"]]


def make_events(returns: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = np.sort(returns["date"].unique())
    firms = np.array(sorted(set(returns["ticker"]) - {"000300.SS"}))
    return pd.DataFrame(
        {
            "event_id": [f"B{i:05d}" for i in range(n)],
            "ticker": rng.choice(firms, n),
            "date": pd.DatetimeIndex(dates[rng.integers(300, len(dates) - 25, n)]),
        }
    )


def run_fit(events: pd.DataFrame, returns: pd.DataFrame, wset: str, minimal: bool) -> Any:
    kw = dict(WINDOW_SETS[wset], min_estimation_days=120)
    if minimal:
        kw.update(tests=THREE, calendar_time=False, leakage=False)
    res = EventStudy(events, returns, **kw).fit()
    _ = res.tests  # the test table, computed
    return res


def time_fit(
    events: pd.DataFrame, returns: pd.DataFrame, wset: str, minimal: bool, repeat: int
) -> tuple[float, int]:
    best, n_inc = np.inf, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = run_fit(events, returns, wset, minimal)
        best = min(best, time.perf_counter() - t0)
        n_inc = res.n_included
    return best, n_inc


def bare_kernel(
    firm: np.ndarray,
    mkt: np.ndarray,
    d0: np.ndarray,
    col: np.ndarray,
    est: tuple[int, int],
    evw: tuple[int, int],
) -> float:
    """A minimal numpy event study on pre-aligned arrays (the lower bound)."""
    t0 = time.perf_counter()
    e_idx = d0[:, None] + np.arange(est[0], est[1] + 1)
    v_idx = d0[:, None] + np.arange(evw[0], evw[1] + 1)
    y, x = firm[e_idx, col[:, None]], mkt[e_idx]
    m = ~np.isnan(y)
    n = m.sum(1)
    xb = np.where(m, x, 0).sum(1) / n
    yb = np.where(m, y, 0).sum(1) / n
    xc, yc = np.where(m, x - xb[:, None], 0), np.where(m, y - yb[:, None], 0)
    sxx = (xc * xc).sum(1)
    b = (xc * yc).sum(1) / sxx
    a = yb - b * xb
    s2 = ((yc - b[:, None] * xc) ** 2).sum(1) / (n - 2)
    ar = firm[v_idx, col[:, None]] - a[:, None] - b[:, None] * mkt[v_idx]
    sar = ar / np.sqrt(
        s2[:, None] * (1 + 1 / n[:, None] + (mkt[v_idx] - xb[:, None]) ** 2 / sxx[:, None])
    )
    z0 = -evw[0]
    car = np.nansum(ar[:, z0 - 1 : z0 + 2], 1)
    for z in (ar, sar):
        np.nanmean(z, 0) / np.nanstd(z, 0, ddof=1)
    np.nanmean(car) / np.nanstd(car, ddof=1)
    return time.perf_counter() - t0


def time_kernel(aligned: Any, events: pd.DataFrame, wset: str, repeat: int) -> float:
    est, evw = SPANS[wset]
    d0 = np.searchsorted(aligned.dates.values, events["date"].values.astype("datetime64[ns]"))
    col = aligned.ticker_codes(events["ticker"])
    ok = (d0 + est[0] >= 0) & (d0 + evw[1] < len(aligned.dates)) & (col >= 0)
    return min(
        bare_kernel(aligned.firm, aligned.market, d0[ok], col[ok], est, evw) for _ in range(repeat)
    )


# ------------------------------------------------------------ full market


def wide_panel(n_firms: int, n_days: int, seed: int = 3) -> pd.DataFrame:
    """A wide frame (sessions x tickers) of one-factor returns and the market ``000300.SS``.

    Shanghai main-board codes (limit 10%), business days ending 2025-03-31.
    """
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(end="2025-03-31", periods=n_days)
    mkt = rng.normal(0.0003, 0.012, n_days)
    beta = rng.uniform(0.5, 1.5, n_firms)
    ret = mkt[:, None] * beta[None, :] + rng.normal(0.0, 0.02, (n_days, n_firms))
    np.clip(ret, -0.099, 0.099, out=ret)
    cols = [f"{600000 + i:06d}.SS" for i in range(n_firms)]
    frame = pd.DataFrame(ret, index=dates, columns=cols)
    frame["000300.SS"] = mkt
    return frame


def wide_events(frame: pd.DataFrame, n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    firms = np.array([c for c in frame.columns if c != "000300.SS"])
    return pd.DataFrame(
        {
            "event_id": [f"W{i:04d}" for i in range(n)],
            "ticker": rng.choice(firms, n, replace=False),
            "date": frame.index[rng.integers(len(frame) - 400, len(frame) - 25, n)],
        }
    )


def fit_cost(events: pd.DataFrame, frame: pd.DataFrame, minimal: bool, repeat: int) -> tuple:
    """Best time of ``repeat`` fits and the peak traced memory of one more, in MB."""
    best = min(time_fit(events, frame, "[-10,+10]", minimal, 1)[0] for _ in range(max(repeat, 1)))
    tracemalloc.start()
    run_fit(events, frame, "[-10,+10]", minimal)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak


def full_market(repeat: int) -> list[tuple[str, float, float, float, float, float]]:
    rows = []
    for n_firms, n_days in ((2000, 1500), (5000, 5000)):
        frame = wide_panel(n_firms, n_days)
        ev = wide_events(frame, 100)
        t_min, m_min = fit_cost(ev, frame, True, repeat)
        t_def, m_def = fit_cost(ev, frame, False, repeat)
        panel_mb = frame.memory_usage(index=True).sum() / 2**20
        label = f"{n_firms:,} x {n_days:,}"
        rows.append((label, panel_mb, t_min, m_min, t_def, m_def))
        print(
            f"wide {label}: panel {panel_mb:.0f} MB; 3 tests {t_min:.3f} s "
            f"(peak {m_min:.0f} MB), default {t_def:.3f} s (peak {m_def:.0f} MB)",
            flush=True,
        )
        del frame
    return rows


# ------------------------------------------------------------ command line


def cli_times(repeat: int) -> list[tuple[str, float]]:
    exe = str(Path(sys.executable).with_name("eventstudy"))

    def run(args: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run([exe, *args], check=True, capture_output=True)
        return time.perf_counter() - t0

    rows = [("eventstudy --help", min(run(["--help"]) for _ in range(max(repeat, 1))))]
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "demo")
        rows.append(("eventstudy demo --out DIR", run(["demo", "--out", out])))
        rows.append(("eventstudy reproduce DIR", run(["reproduce", out])))
    for what, sec in rows:
        print(f"{what:28s} {sec:7.2f} s", flush=True)
    return rows


# ------------------------------------------------------------ breakdown


def first_sorter() -> str:
    """The first registered test that sorts the estimation rows (it pays for it)."""
    return next(n for n in TESTS if n in ("csign", "rank", "grank"))


def _parts() -> dict[str, list[tuple[str, int, str]]]:
    """Profile keys (file, first line, name) of each part of ``fit()``."""
    import eventstudy.align as align
    import eventstudy.inference.calendar_time as ct
    import eventstudy.leakage as leak
    import eventstudy.results_build as results
    import eventstudy.study as study

    def key(f: Any) -> tuple[str, int, str]:
        c = f.__code__
        return (c.co_filename, c.co_firstlineno, c.co_name)

    parts = {
        "prepare the calendar": [key(study._prepare_events)],
        "align the panel (wide matrix)": [key(align.align_panel)],
    }
    for name, cls in TESTS.items():
        parts[f"test {name}"] = [key(cls.daily), key(cls.window)]
    parts["calendar-time regression"] = [key(ct.calendar_time_portfolio)]
    parts["leakage diagnostics"] = [key(leak.leakage_diagnostics)]
    parts["labelled results (build_results)"] = [key(results.build_results)]
    return parts


def breakdown(events: pd.DataFrame, returns: pd.DataFrame, wset: str) -> tuple[float, list]:
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    run_fit(events, returns, wset, minimal=False)
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    rows = []
    for part, keys in _parts().items():
        cum = sum(stats[k][3] for k in keys if k in stats)
        rows.append((part, cum))
    covered = sum(c for _, c in rows)
    rows.append(("the rest (day 0, gathers, model, AR/CAR, exclusions)", max(0.0, total - covered)))
    return total, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="100,1000,10000,50000")
    ap.add_argument("--write", type=Path, default=None)
    ap.add_argument("--skip-full-market", action="store_true")
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    returns = build_panel()
    t_sim = time.perf_counter() - t0
    aligned = align_panel(returns, "000300.SS")
    n_days = returns["date"].nunique()
    n_tick = returns["ticker"].nunique() - 1
    n_rows = len(returns)
    rows = []
    for wset in WINDOW_SETS:
        for n in sizes:
            ev = make_events(returns, n)
            rep = 1 if n >= 50_000 else args.repeat
            kern = time_kernel(aligned, ev, wset, rep)
            t_min, inc = time_fit(ev, returns, wset, True, rep)
            t_def, _ = time_fit(ev, returns, wset, False, rep)
            rows.append((wset, n, inc, kern, t_min, t_def))
            print(
                f"{wset:10s} {n:>6} events ({inc} included): kernel {kern:.3f} s, "
                f"3 tests {t_min:.3f} s ({t_min / kern:.1f}x), "
                f"default {t_def:.3f} s ({t_def / kern:.1f}x)",
                flush=True,
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    prof_n = 10_000 if 10_000 in sizes else max(sizes)
    ev = make_events(returns, prof_n)
    parts = {}
    for wset in WINDOW_SETS:
        total, part_rows = breakdown(ev, returns, wset)
        parts[wset] = (total, part_rows)
        print(f"\nwhere a default fit's time goes, {wset}, {prof_n:,} events (cProfile):")
        for part, sec in part_rows:
            print(f"  {part:52s} {sec:7.3f} s  {100 * sec / total:5.1f}%")
    del returns, aligned
    full = [] if args.skip_full_market else full_market(args.repeat)
    cli = [] if args.skip_cli else cli_times(args.repeat)
    if args.write:
        write(args, rows, parts, prof_n, n_tick, n_days, n_rows, t_sim, peak_mb, full, cli)
        print(f"wrote {args.write}")


def write(
    args: argparse.Namespace,
    rows: list,
    parts: dict,
    prof_n: int,
    n_tick: int,
    n_days: int,
    n_rows: int,
    t_sim: float,
    peak_mb: float,
    full: list,
    cli: list,
) -> None:
    lines = [
        "## Core: `EventStudy(...).fit()` against a bare kernel",
        "",
        "Measured by `python benchmarks/bench_core.py --write docs/performance.md` "
        "(never by timed unit tests).",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs "
        f"while this ran), Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}",
        f"- date: {time.strftime('%Y-%m-%d')}",
        f"- panel: simulated market, {n_tick:,} firms x {n_days:,} sessions "
        f"({n_rows:,} rows of date, ticker, ret); simulated in {t_sim:.1f} s",
        "- window sets: `[-10,+10]` = estimation [-260,-11], event window [-10,+10], CAR "
        "windows [-1,+1], [0,0], [0,+5], [-10,+10]; `defaults` = the library's defaults, "
        "estimation [-250,-21], event window [-20,+20], 9 CAR windows",
        "- kernel: a bare numpy event study on pre-aligned arrays (gather, OLS from sums, "
        "AR, SAR, one CAR, three statistics; no validation, no labels), timed in the same "
        "process on the same events",
        "- 3 tests: `tests=['csect_t', 'patell', 'bmp']`, no calendar-time regression, no "
        "leakage diagnostics; default: all "
        f"{len(TESTS)} tests (bootstrap 999 replications), the calendar-time regression and "
        "the leakage diagnostics with their placebo, with `results.tests` read",
        f"- each time is the best of {args.repeat} runs (1 run at 50,000 events), from the "
        "long panel to the labelled results; absolute seconds vary 2-4x with the load of "
        "the machine, the ratios much less",
        "",
        "| window set | events | included | kernel s | 3 tests s | 3 tests / kernel | "
        "default s | default / kernel |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for wset, n, inc, kern, t_min, t_def in rows:
        lines.append(
            f"| `{wset}` | {n:,} | {inc:,} | {kern:.3f} | {t_min:.3f} | {t_min / kern:.1f}x | "
            f"{t_def:.3f} | {t_def / kern:.1f}x |"
        )
    lines += ["", "Targets of issue 12 (10,000 events, window set `[-10,+10]`):", ""]
    for wset, n, _inc, kern, t_min, t_def in rows:
        if wset == "[-10,+10]" and n == 10_000:
            for what, ratio, goal in (
                ("default fit (test table computed)", t_def / kern, 20),
                ("three-test fit", t_min / kern, 3),
            ):
                verdict = "met" if ratio <= goal else "not met yet"
                lines.append(f"- {what}: {ratio:.1f}x the kernel, target {goal}x: {verdict}")
    by = {(w, n): (t_min, t_def) for w, n, _i, _k, t_min, t_def in rows}
    for wset in WINDOW_SETS:
        if (wset, 10_000) in by and (wset, 50_000) in by:
            g_min = by[(wset, 50_000)][0] / by[(wset, 10_000)][0]
            g_def = by[(wset, 50_000)][1] / by[(wset, 10_000)][1]
            lines.append(
                f"- `{wset}`, 10,000 -> 50,000 events (5x): the default fit took {g_def:.1f}x "
                f"as long, the three-test fit {g_min:.1f}x (linear: 5x)"
            )
    lines += [
        "",
        f"Peak resident memory of the benchmark process: {peak_mb:,.0f} MB (the panel, "
        "its wide matrix and the largest fit; a high-water mark, not per fit).",
        "",
        f"Where a default fit's time goes at {prof_n:,} events (one run under `cProfile`, "
        "which adds some overhead; cumulative time of each part; the sort of the "
        "estimation rows and the placement of the event days, shared by `csign`, `rank` "
        f"and `grank`, count in the first of them that runs, `{first_sorter()}`):",
        "",
        "| part | " + " | ".join(f"`{w}` s | share" for w in parts) + " |",
        "|---|" + "---:|---:|" * len(parts),
    ]
    names = [p for p, _ in next(iter(parts.values()))[1]]
    for i, name in enumerate(names):
        cells = []
        for total, prow in parts.values():
            sec = prow[i][1]
            cells.append(f"{sec:.3f} | {100 * sec / total:.0f}%")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = " | ".join(f"{total:.3f} | 100%" for total, _ in parts.values())
    lines.append(f"| **fit() under cProfile** | {totals} |")
    if full:
        lines += [
            "",
            "Fixed cost of the panel: 100 events, window set `[-10,+10]`, on a synthetic "
            "wide frame (sessions x tickers, one-factor returns), the small one against a "
            "full market of about 20 years; a fit validates and aligns only the columns of "
            "the events' tickers and the market. Best of "
            f"{args.repeat} runs; peak memory traced by `tracemalloc` during one more fit "
            "(numpy and Python allocations, the panel itself not included):",
            "",
            "| wide panel (tickers x sessions) | panel MB | 3 tests s | peak MB | "
            "default s | peak MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for label, panel_mb, t_min, m_min, t_def, m_def in full:
            lines.append(
                f"| {label} | {panel_mb:,.0f} | {t_min:.3f} | {m_min:,.0f} | "
                f"{t_def:.3f} | {m_def:,.0f} |"
            )
        if len(full) == 2:
            r_min, r_def = full[1][2] / full[0][2], full[1][4] / full[0][4]
            verdict = "met" if max(r_min, r_def) <= 3 else "not met"
            lines += [
                "",
                f"Full market / small panel: {r_min:.2f}x (3 tests), {r_def:.2f}x (default); "
                f"target of issue 12: within 3x: {verdict}.",
            ]
    if cli:
        lines += [
            "",
            "The command line, each in a fresh process (imports included; `--help` best of "
            f"{args.repeat}; `reproduce` recomputes the demo's output directory):",
            "",
            "| command | s |",
            "|---|---:|",
        ]
        lines += [f"| `{what}` | {sec:.2f} |" for what, sec in cli]
    write_section(args.write, "core", "\n".join(lines))


if __name__ == "__main__":
    main()
