"""Time ``EventStudy(...).fit()`` for 100, 1,000 and 10,000 events.

The panel: the built-in simulated market with 2,000 firms on the XSHG
sessions of 2019-01-02..2025-03-31 (about 1,500 sessions), as a long frame
``date, ticker, ret`` (about 3 million rows).  Events: random firms and dates.
Settings: market model, estimation window [-260, -11] (250 days), event
window [-10, +10], CAR windows [-1,+1], [0,0], [0,+5], [-10,+10], tests
csect_t, patell, bmp.  The time covers everything ``fit()`` does, from the
long panel to the tests and the labelled results.

For scale, a bare numpy kernel on pre-aligned arrays (gather, OLS from sums,
ARs, CARs, the three statistics) is timed on the same 10,000 events.

Usage: ``python benchmarks/bench_core.py [--repeat 5] [--write docs/performance.md]``
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _sections import write_section

from eventstudy import EventStudy, simulate_market
from eventstudy.align import align_panel
from eventstudy.inference import TESTS

EST, EVW = (-260, -11), (-10, 10)
CARS = [(-1, 1), (0, 0), (0, 5), (-10, 10)]
THREE = ["csect_t", "patell", "bmp"]


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
            "date": pd.DatetimeIndex(dates[rng.integers(300, len(dates) - 15, n)]),
        }
    )


def time_fit(
    events: pd.DataFrame, returns: pd.DataFrame, repeat: int, tests: list[str] | None = None
) -> tuple[float, int]:
    best, n_inc = np.inf, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = EventStudy(
            events,
            returns,
            estimation_window=EST,
            event_window=EVW,
            car_windows=CARS,
            min_estimation_days=120,
            tests=THREE if tests is None else (None if tests == ["all"] else tests),
            calendar_time=tests == ["all"],
            leakage=tests == ["all"],
        ).fit()
        best = min(best, time.perf_counter() - t0)
        n_inc = res.n_included
    return best, n_inc


def bare_kernel(firm: np.ndarray, mkt: np.ndarray, d0: np.ndarray, col: np.ndarray) -> float:
    """A minimal numpy event study on pre-aligned arrays (the lower bound)."""
    t0 = time.perf_counter()
    est = d0[:, None] + np.arange(EST[0], EST[1] + 1)
    ev = d0[:, None] + np.arange(EVW[0], EVW[1] + 1)
    y, x = firm[est, col[:, None]], mkt[est]
    m = ~np.isnan(y)
    n = m.sum(1)
    xb = np.where(m, x, 0).sum(1) / n
    yb = np.where(m, y, 0).sum(1) / n
    xc, yc = np.where(m, x - xb[:, None], 0), np.where(m, y - yb[:, None], 0)
    sxx = (xc * xc).sum(1)
    b = (xc * yc).sum(1) / sxx
    a = yb - b * xb
    s2 = ((yc - b[:, None] * xc) ** 2).sum(1) / (n - 2)
    ar = firm[ev, col[:, None]] - a[:, None] - b[:, None] * mkt[ev]
    sar = ar / np.sqrt(
        s2[:, None] * (1 + 1 / n[:, None] + (mkt[ev] - xb[:, None]) ** 2 / sxx[:, None])
    )
    car = np.nansum(ar[:, 9:12], 1)
    for z in (ar, sar):
        np.nanmean(z, 0) / np.nanstd(z, 0, ddof=1)
    np.nanmean(car) / np.nanstd(car, ddof=1)
    return time.perf_counter() - t0


def synthetic_factors(returns: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """MKT-RF from the simulated market itself, SMB and HML as seeded noise, RF constant."""
    m = returns[returns["ticker"] == "000300.SS"].set_index("date")["ret"].sort_index()
    rng = np.random.default_rng(seed)
    rf = 0.00008
    return pd.DataFrame(
        {
            "date": m.index,
            "MKT-RF": m.to_numpy() - rf,
            "SMB": rng.normal(0, 0.005, len(m)),
            "HML": rng.normal(0, 0.004, len(m)),
            "RF": rf,
        }
    )


def models_benchmark(returns: pd.DataFrame, repeat: int, write: Path | None) -> None:
    """Normal-return models on the same 10,000 events, in one process: the market model
    (specialised path), FF3 through the batched k-regressor solver, Scholes-Williams and
    Dimson (1 lag, 1 lead); settings as ``time_fit`` with the three tests."""
    ev = make_events(returns, 10_000)
    factors = synthetic_factors(returns)
    models: list[tuple[str, dict[str, object]]] = [
        ("market", {}),
        ("ff3", {"factors": factors}),
        ("scholes-williams", {}),
        ("dimson", {}),
    ]
    # interleaved (each round runs every model once) so that a load change on a
    # shared machine hits all models alike; the best round of each model is kept
    times = {name: (np.inf, 0) for name, _ in models}
    for _ in range(repeat):
        for name, kw in models:
            t0 = time.perf_counter()
            res = EventStudy(
                ev,
                returns,
                model=name,
                estimation_window=EST,
                event_window=EVW,
                car_windows=CARS,
                min_estimation_days=120,
                tests=THREE,
                calendar_time=False,
                leakage=False,
                **kw,  # type: ignore[arg-type]
            ).fit()
            t = time.perf_counter() - t0
            times[name] = (min(times[name][0], t), res.n_included)
    for name, (t, inc) in times.items():
        print(f"model {name:>16}: fit {t:.3f} s ({inc} included)")
    base = times["market"][0]
    if write:
        lines = [
            "## Normal-return models: 10,000 events",
            "",
            "Measured by `python benchmarks/bench_core.py --models --write docs/performance.md`: "
            "the same 10,000 events, panel and settings as the core table (estimation [-260,-11], "
            "event window [-10,+10], 4 CAR windows, tests csect_t, patell, bmp, no calendar-time "
            "regression, no leakage), one process, best of "
            f"{repeat} interleaved rounds of `EventStudy(...).fit()` (each round runs every "
            "model once). FF3 factors: MKT-RF from the simulated "
            "market, SMB and HML seeded noise (the simulator has no factor structure yet).",
            "",
            f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}",
            f"- date: {time.strftime('%Y-%m-%d')}",
            f"- load average (1 min) at the end of the run: {os.getloadavg()[0]:.1f}; on a "
            "shared machine compare the ratios, not the seconds, with other tables",
            "",
            "| model | included | fit() seconds | relative to the market model |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| `{name}` | {inc:,} | {t:.3f} | {t / base:.2f}x |"
            for name, (t, inc) in times.items()
        ]
        lines += [
            "",
            "Target (issue 11): the three-factor fit within 2x of the market model. The "
            "factor models gather one (events x days) matrix per factor and solve a batch of "
            "small k x k systems (`numpy.linalg`), with no per-event loop.",
            "",
        ]
        write_section(write, "models", "\n".join(lines))
        print(f"wrote {write}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--write", type=Path, default=None)
    ap.add_argument("--models", action="store_true", help="only the normal-return models table")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    returns = build_panel()
    if args.models:
        models_benchmark(returns, args.repeat, args.write)
        return
    t_sim = time.perf_counter() - t0
    n_days = returns["date"].nunique()
    n_tick = returns["ticker"].nunique() - 1
    rows = []
    for n in (100, 1_000, 10_000):
        ev = make_events(returns, n)
        t, inc = time_fit(ev, returns, args.repeat)
        t_all, _ = time_fit(ev, returns, args.repeat, tests=["all"])
        rows.append((n, inc, t, t_all))
        print(f"{n:>6} events: fit {t:.3f} s, all tests {t_all:.3f} s, {inc} included")
    ev = make_events(returns, 10_000)
    base, _ = time_fit(ev, returns, 1, tests=[])
    per_test = {}
    for name in TESTS:
        t_one, _ = time_fit(ev, returns, 1, tests=[name])
        per_test[name] = max(0.0, t_one - base)
    for extra_name, kw in (
        ("calendar_time", {"calendar_time": True}),
        ("leakage", {"leakage": True}),
    ):
        t_x = time.perf_counter()
        EventStudy(
            ev,
            returns,
            estimation_window=EST,
            event_window=EVW,
            car_windows=CARS,
            min_estimation_days=120,
            tests=[],
            **{**{"calendar_time": False, "leakage": False}, **kw},
        ).fit()
        per_test[extra_name] = max(0.0, time.perf_counter() - t_x - base)
    print("extra seconds per test, 10,000 events:", {k: round(v, 2) for k, v in per_test.items()})
    ap_ = align_panel(returns, "000300.SS")
    d0 = np.searchsorted(ap_.dates.values, ev["date"].values.astype("datetime64[ns]"))
    col = ap_.ticker_codes(ev["ticker"])
    ok = (d0 + EST[0] >= 0) & (d0 + EVW[1] < len(ap_.dates))
    bare = min(bare_kernel(ap_.firm, ap_.market, d0[ok], col[ok]) for _ in range(args.repeat))
    print(f"bare numpy kernel on pre-aligned arrays, 10,000 events: {bare:.3f} s")
    if args.write:
        lines = [
            "## Core: `EventStudy(...).fit()`",
            "",
            "Measured by `python benchmarks/bench_core.py --write docs/performance.md` "
            "(never by timed unit tests).",
            "",
            f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}",
            f"- date: {time.strftime('%Y-%m-%d')}",
            f"- panel: simulated market, {n_tick:,} firms x {n_days:,} sessions "
            f"({len(returns):,} rows of date, ticker, ret); simulated in {t_sim:.1f} s",
            "- settings: market model, estimation [-260,-11] (250 days), event window "
            "[-10,+10], 4 CAR windows; middle column: tests csect_t, patell, bmp only (no "
            "calendar-time regression, no leakage diagnostics); last column: the defaults, "
            f"all {len(TESTS)} tests (bootstrap 999 replications), the calendar-time "
            "regression and the leakage diagnostics with their placebo (capped near 20,000 "
            "pseudo-events)",
            f"- each time is the best of {args.repeat} runs of `EventStudy(...).fit()`, from the "
            "long panel to the tests and labelled results",
            "",
            "| events | included | fit() seconds, 3 tests | fit() seconds, all tests |",
            "|---:|---:|---:|---:|",
        ]
        lines += [f"| {n:,} | {inc:,} | {t:.3f} | {ta:.3f} |" for n, inc, t, ta in rows]
        lines += [
            "",
            f"A bare numpy kernel on pre-aligned arrays (no validation, no labels) takes "
            f"{bare:.3f} s for the same 10,000 events.",
            "",
            f"Where the time goes: the 100-event time ({rows[0][2]:.3f} s) is almost all "
            "the fixed cost of validating the 3-million-row long panel and aligning it on the "
            "market's dates (factorising tickers and dates, the duplicate check, scattering "
            "into a dates x tickers matrix). The per-event work (one gather per window, OLS "
            "from sums, ARs, CARs, tests, labelled output frames) is vectorised across events "
            "and adds the rest.",
            "",
        ]
        write_section(args.write, "core", "\n".join(lines))
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
