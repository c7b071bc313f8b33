r"""Specification and power of the tests on the simulated market (Brown & Warner 1985).

One simulated A-share market is generated (the built-in simulator, with
fat-tailed GARCH market returns, t-distributed firm shocks, optional sector
cross-correlation, suspensions and, optionally, the price limits).  Each of
``trials`` samples draws ``events`` (firm, day-0) pairs at random, plants an
abnormal return ``effect`` on day 0, runs the market model and every test on
one CAR window, and records whether each test rejects a zero mean at 1%, 5%
and 10% (two-sided).  The trials of a block are a leading batch axis of the
test kernels, so there is no Python loop over events; the only loop over
trials draws each trial's events from its own generator, keyed by the seed
and the trial number.  So the result does not depend on the block size, and
blocks can run anywhere: with ``client=`` (a ``dask.distributed.Client``)
they are tasks on a cluster (:mod:`eventstudy.distributed`) and the result is
identical to the local run.

Clustered scenario (``cluster=True``): all events of a trial share one day 0
and come from one sector, so with ``sector_corr > 0`` their abnormal returns
are cross-correlated, the situation of Kolari & Pynnönen (2010).

With price limits on, the day-0 return with the planted effect is clipped to
the firm's limit, ``clip(r + effect, -limit, +limit)``, which is how a limit
truncates a jump on the day; the spill-over of the remainder into later days
is not modelled here.

The rejection rate :math:`\hat p` of a test comes with its Monte Carlo
standard error :math:`\sqrt{\hat p(1-\hat p)/K}` over the :math:`K` trials in
which the test could be computed.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.abnormal import compute_abnormal
from eventstudy.exceptions import EventStudyError
from eventstudy.inference import TestData, get_tests
from eventstudy.intervals import check_alpha
from eventstudy.models import get_model
from eventstudy.windows import Window, window_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LEVELS", "SpecificationResult", "plot_rejection_rates", "specification_study"]

LEVELS = (0.01, 0.05, 0.10)


def computed_level(alpha: Any) -> float:
    """``alpha`` checked as a significance level and found among ``LEVELS``."""
    a = check_alpha(alpha)
    if not np.isclose(a, LEVELS).any():
        raise EventStudyError(
            f"alpha={a:g}: rejection rates are computed at alpha in {list(LEVELS)}"
        )
    return a


@dataclass(frozen=True)
class SpecificationResult:
    """Rejection rates (``scenario, test, level, rate, mc_se, n_valid``) and, per
    trial, the mean CAR of the window (``caar``) and every test's p-value."""

    rates: pd.DataFrame
    pvalues: pd.DataFrame  # trial x test
    params: dict[str, Any]
    seconds: float
    events_used: float = field(default=float("nan"))

    def table(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per test: rate and Monte Carlo standard error at significance ``alpha``.

        ``alpha`` is one of the levels the study computed (``LEVELS``: 0.01,
        0.05, 0.10); the CSV and ``rates`` keep them in their ``level`` column.
        """
        r = self.rates[np.isclose(self.rates["level"], computed_level(alpha))]
        return r[["test", "rate", "mc_se", "n_valid"]].reset_index(drop=True)

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write ``rejection_rates.csv``, the figure (PNG and PDF) and ``specification.json``."""
        from eventstudy.report.files import save_figure

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"csv": out / "rejection_rates.csv", "json": out / "specification.json"}
        self.rates[["scenario", "test", "level", "rate", "mc_se"]].to_csv(
            paths["csv"], index=False, float_format="%.6g", lineterminator="\n"
        )
        self.pvalues.to_csv(
            out / "pvalues.csv", index=False, float_format="%.6g", lineterminator="\n"
        )
        paths["pvalues"] = out / "pvalues.csv"
        meta = {
            "params": self.params,
            "seconds": round(self.seconds, 3),
            "events_used_per_trial": self.events_used,
            "n_valid": {
                str(t): int(n) for t, n in self.table(0.05)[["test", "n_valid"]].to_numpy()
            },
        }
        paths["json"].write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.0, 4.8))
        plot_rejection_rates(self, ax=ax)
        paths.update(save_figure(fig, out / "rejection_rates"))
        plt.close(fig)
        return paths


def _scenario(effect: float) -> str:
    return "null" if effect == 0 else f"effect={effect:+g}"


@dataclass(frozen=True)
class _Setup:
    """What every block of trials needs: the aligned simulated market and the
    settings.  Built once; shipped once to each worker of a dask cluster."""

    firm: np.ndarray  # (T, F) firm returns
    market: np.ndarray  # (T,)
    cap: np.ndarray | None  # (T, F) price-limit fractions, or None without limits
    sector: np.ndarray  # (F,)
    big: np.ndarray  # sectors with at least ``events`` firms
    lo_d0: int
    hi_d0: int
    events: int
    effect: float
    cluster: bool
    seed: int
    window: tuple[int, int]
    estimation: tuple[int, int]
    min_estimation_days: int
    tests: tuple[str, ...]
    bootstrap_reps: int


def _draw_trials(setup: _Setup, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Day 0 and firm columns ``(count, events)`` of trials ``first..first+count-1``.

    Every trial has its own generator, keyed by ``(seed, 1, trial)``, so a
    trial's events do not depend on how the trials are split into blocks or
    over workers (the loop is over trials, a few draws each)."""
    n_f = len(setup.sector)
    d0 = np.empty((count, setup.events), dtype=np.int64)
    tk = np.empty((count, setup.events), dtype=np.int64)
    for r in range(count):
        rng = np.random.default_rng([setup.seed, 1, first + r])
        keys = np.empty(n_f)
        if setup.cluster:
            d0[r] = rng.integers(setup.lo_d0, setup.hi_d0 + 1)
            sec = setup.big[rng.integers(0, len(setup.big))]
            keys = rng.random(n_f) + np.where(setup.sector == sec, 0.0, 2.0)
        else:
            d0[r] = rng.integers(setup.lo_d0, setup.hi_d0 + 1, size=setup.events)
            keys = rng.random(n_f)
        tk[r] = np.argsort(keys)[: setup.events]
    return d0, tk


def _run_block(setup: _Setup, first: int, count: int) -> dict[str, np.ndarray]:
    """Trials ``first..first+count-1``: every test's p-value, the CAAR of the
    window and the number of events used, per trial.  All trials of the block
    are one leading batch axis of the test kernels (no loop over events)."""
    from eventstudy.align import window_values

    win = Window(*setup.window)
    est = Window(*setup.estimation)
    model = get_model("market")
    est_off = np.arange(est.start, est.end + 1, dtype=np.int64)
    taus = np.arange(min(win.start, 0), max(win.end, 0) + 1, dtype=np.int64)
    col0 = int(np.flatnonzero(taus == 0)[0])
    k, events = count, setup.events
    d0, tk = _draw_trials(setup, first, count)
    d0f, tkf = d0.reshape(-1), tk.reshape(-1)
    y_est = window_values(setup.firm, d0f, est_off, tkf)
    x_est = window_values(setup.market, d0f, est_off)
    y_ev = window_values(setup.firm, d0f, taus, tkf)
    x_ev = window_values(setup.market, d0f, taus)
    if setup.effect:
        y0 = y_ev[:, col0] + setup.effect
        if setup.cap is not None:
            c = setup.cap[d0f, tkf]
            y0 = np.where(np.isnan(c), y0, np.clip(y0, -c, c))
        y_ev[:, col0] = y0
    fit = model.fit(y_est, x_est)
    keep = (fit.n >= setup.min_estimation_days) & ~np.isnan(y_ev[:, col0]) & (fit.sigma2 > 0)
    y_ev[~keep] = np.nan
    y_est = np.where(keep[:, None], y_est, np.nan)
    ar = model.abnormal(fit, y_ev, x_ev)
    ab = compute_abnormal(fit, ar, x_ev, taus, (win,))
    est_ar = model.abnormal(fit, y_est, x_est)
    sel = (taus >= win.start) & (taus <= win.end)

    def shape(a: np.ndarray) -> np.ndarray:
        return a.reshape((k, events) + a.shape[1:])

    data = TestData(
        ar=shape(ar[:, sel]),
        sar=shape(ab.sar[:, sel]),
        car=shape(ab.car),
        scar=shape(ab.scar),
        dof=shape(np.where(keep, fit.dof, 0)),
        n_est=shape(fit.n),
        est_ar=shape(est_ar),
        taus=taus[sel],
        windows=((win.start, win.end),),
        sigma2=shape(np.where(keep, fit.sigma2, np.nan)),
        day0=shape(d0f),
        est_taus=est_off,
    )
    # the bootstrap draws independently per trial, keyed by the trial number
    opts = {"bootstrap": {"reps": setup.bootstrap_reps, "seed": setup.seed, "first_trial": first}}
    out: dict[str, np.ndarray] = {}
    for t in get_tests(setup.tests, {n: o for n, o in opts.items() if n in setup.tests}):
        out[t.name] = t.window(data).pvalue[:, 0]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out["caar"] = np.nanmean(data.car[..., 0], axis=-1)
    out["used"] = shape(keep).sum(axis=1).astype(np.float64)
    return out


def specification_study(
    trials: int = 1000,
    events: int = 50,
    *,
    effect: float = 0.0,
    cluster: bool = False,
    limits: bool = True,
    seed: int = 0,
    window: tuple[int, int] = (0, 0),
    estimation_window: tuple[int, int] = (-250, -21),
    min_estimation_days: int = 120,
    tests: Sequence[str] | None = None,
    bootstrap_reps: int = 499,
    n_firms: int = 640,
    n_sectors: int = 8,
    sector_corr: float | None = None,
    start: str = "2016-01-04",
    end: str = "2024-12-31",
    block: int = 250,
    client: Any = None,
) -> SpecificationResult:
    """Brown-Warner style specification (``effect=0``) or power study.

    Parameters
    ----------
    trials, events : int
        Number of Monte Carlo samples and events per sample.
    effect : float
        Abnormal return planted on day 0 (0: size of the tests).
    cluster : bool
        All events of a sample on one day 0, from one sector.
    limits : bool
        Simulate the market under the A-share price limits (and cap the
        planted return at the up-limit).
    seed : int
        Seeds the market and the draws; same seed, same numbers.  Trial ``t``
        draws its events from a generator keyed by ``(seed, 1, t)`` and its
        bootstrap from one keyed by the trial too, so the numbers do not
        depend on ``block`` or on how the trials are spread over workers.
    window : (int, int)
        The CAR window tested (default day 0).
    tests : sequence of str, optional
        Tests to run (default every registered test).
    bootstrap_reps : int
        Replications of the bootstrap test in each trial.
    n_firms, n_sectors, sector_corr : market size and cross-correlation
        (``sector_corr`` is the residual correlation of two firms of a sector;
        default 0.1 with ``cluster``, else 0).
    block : int
        Trials computed at once (memory bound), and the size of one task on a
        cluster.
    client : dask.distributed.Client, optional
        Run the blocks of trials on this dask cluster (``pip install
        'ashare-eventstudy[distributed]'``): the simulated market is sent once
        to every worker, each block is one task, and the result is identical to
        the local run with the same arguments.  See
        :mod:`eventstudy.distributed`.
    """
    from eventstudy.align import align_panel
    from eventstudy.data.simulate import simulate_market
    from eventstudy.market.limits import limit_fractions

    t0 = time.perf_counter()
    if sector_corr is None:
        sector_corr = 0.1 if cluster else 0.0
    for name, v, lo in (("trials", trials, 1), ("events", events, 3), ("block", block, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise EventStudyError(f"{name} must be an integer >= {lo}, got {v!r}")
    if not np.isfinite(effect) or abs(effect) >= 1:
        raise EventStudyError(f"effect must be a return in (-1, 1), got {effect!r}")
    win = Window(*window)
    est = Window(*estimation_window)
    if est.end >= min(win.start, 0):
        raise EventStudyError(
            f"estimation window {est.label} must end before the window {win.label} and day 0"
        )
    opts = {"bootstrap": {"reps": bootstrap_reps, "seed": seed}}
    names = tuple(t.name for t in get_tests(None if tests is None else list(tests)))
    get_tests(names, {n: o for n, o in opts.items() if n in names})  # validate the options here
    if client is not None:
        from eventstudy.distributed import check_client

        check_client(client)
    sim = simulate_market(
        n_firms=n_firms,
        seed=seed,
        start=start,
        end=end,
        limits=limits,
        sector_corr=sector_corr,
        n_sectors=n_sectors,
        suspension_rate=0.3,
    )
    panel = align_panel(sim.panel, sim.params["market"])
    firms = sim.firms.set_index("ticker").reindex(panel.tickers)
    sector = firms["sector"].to_numpy(dtype=np.int64)
    n_t, n_f = panel.firm.shape
    big = np.flatnonzero(np.bincount(sector) >= events)
    if cluster and not len(big):
        raise EventStudyError(
            f"cluster needs a sector with at least {events} firms; raise n_firms or lower n_sectors"
        )
    if events > n_f:
        raise EventStudyError(f"events={events} exceeds the {n_f} simulated firms")
    lo_d0 = -est.start
    hi_d0 = n_t - 1 - max(win.end, 0)
    if hi_d0 <= lo_d0:
        raise EventStudyError("the simulated period is too short for these windows")
    cap = None
    if limits:
        cap = limit_fractions(
            firms["board"].to_numpy(dtype=object)[None, :],
            panel.dates.values[:, None],
            firms["st"].to_numpy(dtype=bool)[None, :],
        )
    setup = _Setup(
        firm=panel.firm,
        market=panel.market,
        cap=cap,
        sector=sector,
        big=big,
        lo_d0=lo_d0,
        hi_d0=hi_d0,
        events=int(events),
        effect=float(effect),
        cluster=bool(cluster),
        seed=int(seed),
        window=(win.start, win.end),
        estimation=(est.start, est.end),
        min_estimation_days=int(min_estimation_days),
        tests=names,
        bootstrap_reps=int(bootstrap_reps),
    )
    spans = [(s, min(block, trials - s)) for s in range(0, trials, block)]
    if client is None:
        from eventstudy._progress import tracked

        bar = tracked(spans, "trials", total=trials, unit="trial", size=lambda sk: sk[1])
        parts = [_run_block(setup, s, k) for s, k in bar]
    else:
        from eventstudy.distributed import map_blocks

        parts = map_blocks(client, _run_block, setup, spans)
    pv = {name: np.concatenate([p[name] for p in parts]) for name in names}
    caar = np.concatenate([p["caar"] for p in parts])
    used = np.concatenate([p["used"] for p in parts])
    rows = []
    scen = _scenario(effect)
    for name, p in pv.items():
        ok = ~np.isnan(p)
        n_ok = int(ok.sum())
        for lev in LEVELS:
            rate = float((p[ok] < lev).mean()) if n_ok else np.nan
            se = float(np.sqrt(rate * (1 - rate) / n_ok)) if n_ok else np.nan
            rows.append(
                {
                    "scenario": scen,
                    "test": name,
                    "level": lev,
                    "rate": rate,
                    "mc_se": se,
                    "n_valid": n_ok,
                }
            )
    params = {
        "scenario": scen,
        "trials": trials,
        "events": events,
        "effect": effect,
        "cluster": cluster,
        "limits": limits,
        "seed": seed,
        "window": [win.start, win.end],
        "estimation_window": [est.start, est.end],
        "min_estimation_days": min_estimation_days,
        "bootstrap_reps": bootstrap_reps,
        "n_firms": n_firms,
        "n_sectors": n_sectors,
        "sector_corr": sector_corr,
        "sessions": [str(panel.dates[0].date()), str(panel.dates[-1].date())],
        "tests": list(names),
    }
    pvalues = pd.DataFrame({"trial": np.arange(trials), "caar": caar, **pv})
    return SpecificationResult(
        rates=pd.DataFrame(rows),
        pvalues=pvalues,
        params=params,
        seconds=time.perf_counter() - t0,
        events_used=float(used.mean()),
    )


def plot_rejection_rates(
    res: SpecificationResult, ax: Axes | None = None, *, alpha: float = 0.05
) -> Axes:
    """Bar chart of each test's rejection rate at ``alpha`` with 95% Monte Carlo bands."""
    level = computed_level(alpha)
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    tab = res.table(level)
    y = np.arange(len(tab))[::-1]
    ax.barh(y, tab["rate"], color="#4c72b0", height=0.6)
    ax.errorbar(
        tab["rate"], y, xerr=1.96 * tab["mc_se"], fmt="none", ecolor="black", capsize=3, lw=1
    )
    ax.set_yticks(y, tab["test"])
    ax.axvline(level, color="#c44e52", ls="--", lw=1, label=f"nominal {level:.0%}")
    if res.params.get("effect", 0) == 0:
        ax.axvspan(0.6 * level, 1.4 * level, color="#c44e52", alpha=0.08, label="3%-7% band")
    p = res.params
    ax.set_xlabel(f"rejection rate at {level:.0%} (two-sided), with 95% Monte Carlo interval")
    ax.set_title(
        f"{p['scenario']}: {p['trials']} trials x {p['events']} events, window "
        f"{window_label(*p['window'])}, "
        f"{'clustered' if p['cluster'] else 'random'} dates, "
        f"limits {'on' if p['limits'] else 'off'}",
        fontsize=9,
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, max(1.0 if p.get("effect", 0) else 0.3, float(tab["rate"].max()) * 1.15))
    return ax
