r"""Specification of the long-horizon BHAR tests on the simulated market (LBT 1999).

Lyon, Barber & Tsai (1999) show that buy-and-hold abnormal returns over long
horizons are positively skewed, so that the conventional t statistic of the
mean BHAR is misspecified: its sampling distribution is skewed to the left
(the sample mean and standard deviation are positively correlated), it
rejects too often in the lower tail and too rarely in the upper tail.  Their
skewness-adjusted t, and more so its bootstrap version, restore the balance.

This study reproduces that experiment on the built-in simulated A-share
market.  The null holds by construction: every firm has beta 1 and alpha 0
(``beta_range=(1, 1)``, ``alpha_sd=0``), so its return is the market's plus
a mean-zero shock and, with independent shocks,
:math:`E[\prod(1+R_{it}) \mid R_m] = \prod(1+R_{mt})`: the BHAR against the
market has mean zero.  Each of ``trials`` samples draws ``events`` distinct
firms with random day 0s, computes their BHAR over ``window`` exactly as a
study does (:func:`eventstudy.longrun.buy_and_hold`, with suspensions and the
``missing`` rule), and applies the three tests.  Reported per test: the
two-sided rejection rate at level :math:`\alpha` and the one-sided rates in
the lower and upper tails at :math:`\alpha/2` each (a well-specified test
rejects :math:`\alpha/2` in each tail), with Monte Carlo standard errors
:math:`\sqrt{\hat p(1-\hat p)/K}`.

The tests are vectorised across trials (a leading batch axis); the
bootstrap draws of trial ``k`` come from ``numpy.random.default_rng([seed,
1999, k])``, so the results do not depend on the block size.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.exceptions import EventStudyError
from eventstudy.longrun import MISSING_RULES, buy_and_hold
from eventstudy.specification import computed_level
from eventstudy.windows import Window

__all__ = ["BHARSpecification", "bhar_specification"]

BHAR_TESTS = ("t", "skew_t_lbt", "bootstrap_lbt")
LEVELS = (0.05, 0.10)


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sd (n - 1) and LBT skewness along the last axis (no NaN)."""
    n = x.shape[-1]
    mean = x.mean(axis=-1)
    dev = x - mean[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((dev * dev).sum(axis=-1) / (n - 1.0))
        gamma = (dev**3).sum(axis=-1) / (n * sd**3)
    return mean, sd, gamma


def _t_sa(s: np.ndarray, gamma: np.ndarray, n: int) -> np.ndarray:
    return np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n))


@dataclass(frozen=True)
class BHARSpecification:
    """Rejection rates (``test, tail, level, rate, mc_se, n_valid``), per-trial statistics."""

    rates: pd.DataFrame
    trials: pd.DataFrame
    params: dict[str, Any]
    seconds: float

    def table(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per test: two-sided, lower- and upper-tail rates at significance ``alpha``."""
        r = self.rates[np.isclose(self.rates["level"], computed_level(alpha))]
        wide = r.pivot(index="test", columns="tail", values="rate").reindex(list(BHAR_TESTS))
        se = r.pivot(index="test", columns="tail", values="mc_se").reindex(list(BHAR_TESTS))
        out = wide[["two-sided", "lower", "upper"]].copy()
        out["mc_se(two-sided)"] = se["two-sided"]
        out["mean_skewness"] = float(self.trials["skewness"].mean())
        return out.reset_index()

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write ``bhar_rejection_rates.csv``, ``bhar_trials.csv`` and ``bhar_specification.json``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "csv": out / "bhar_rejection_rates.csv",
            "trials": out / "bhar_trials.csv",
            "json": out / "bhar_specification.json",
        }
        self.rates.to_csv(paths["csv"], index=False, float_format="%.6g", lineterminator="\n")
        self.trials.to_csv(paths["trials"], index=False, float_format="%.6g", lineterminator="\n")
        meta = {"params": self.params, "seconds": round(self.seconds, 3)}
        paths["json"].write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return paths


def bhar_specification(
    trials: int = 1000,
    events: int = 200,
    *,
    window: tuple[int, int] = (0, 120),
    missing: str = "fill",
    reps: int = 1000,
    fraction: float = 0.25,
    seed: int = 0,
    n_firms: int = 400,
    limits: bool = True,
    start: str = "2016-01-04",
    end: str = "2024-12-31",
    block: int = 50,
) -> BHARSpecification:
    """Size of the conventional t, the LBT skewness-adjusted t and its bootstrap for BHAR.

    Parameters
    ----------
    trials, events : int
        Monte Carlo samples and events (distinct firms) per sample.
    window : (int, int)
        BHAR window (default [0, +120]).
    missing : {"fill", "truncate", "exclude"}
        Rule for firms whose returns stop before the window ends.
    reps, fraction : int, float
        Bootstrap resamples and resample size as a share of ``events``.
    seed : int
        Seeds the market, the draws and the bootstrap; same seed, same numbers.
    n_firms, limits, start, end : the simulated market (beta 1, alpha 0).
    block : int
        Trials computed at once (memory bound; results do not depend on it).
    """
    from eventstudy.align import align_panel
    from eventstudy.data.simulate import simulate_market

    t0 = time.perf_counter()
    for name, v, lo in (("trials", trials, 1), ("events", events, 12), ("block", block, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise EventStudyError(f"{name} must be an integer >= {lo}, got {v!r}")
    if missing not in MISSING_RULES:
        raise EventStudyError(f"missing must be one of {list(MISSING_RULES)}, got {missing!r}")
    if events > n_firms:
        raise EventStudyError(f"events={events} exceeds n_firms={n_firms}")
    win = Window(*window)
    n_b = int(np.floor(events * fraction))
    if n_b < 3:
        raise EventStudyError(f"bootstrap resamples of events * fraction = {n_b} < 3 events")
    sim = simulate_market(
        n_firms=n_firms,
        seed=seed,
        start=start,
        end=end,
        limits=limits,
        beta_range=(1.0, 1.0),
        alpha_sd=0.0,
    )
    panel = align_panel(sim.panel, sim.params["market"])
    n_t, n_f = panel.firm.shape
    lo_d0 = max(0, -win.start) + 1
    hi_d0 = n_t - 1 - max(win.end, 0)
    if hi_d0 <= lo_d0:
        raise EventStudyError("the simulated period is too short for this window")
    rng = np.random.default_rng([seed, 2])
    d0_all = rng.integers(lo_d0, hi_d0 + 1, size=(trials, events))
    tk_all = np.argsort(rng.random((trials, n_f)), axis=1)[:, :events].astype(np.int64)
    cols: dict[str, np.ndarray] = {
        k: np.full(trials, np.nan)
        for k in ("mean", "sd", "skewness", "t", "t_sa", "n", "boot_lower", "boot_upper")
    }
    for s in range(0, trials, block):
        k = min(block, trials - s)
        out = buy_and_hold(
            panel.firm,
            panel.market,
            d0_all[s : s + k].reshape(-1),
            tk_all[s : s + k].reshape(-1),
            win,
            missing=missing,
        )
        x = out["bhar"].reshape(k, events)
        ok = ~np.isnan(x).any(axis=1)  # a trial with an unmeasurable event is left out
        x = np.where(ok[:, None], x, 0.0)
        mean, sd, gamma = _moments(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = mean / (sd / np.sqrt(events))
            tsa = _t_sa(mean / sd, gamma, events)
        lower = np.full(k, np.nan)
        upper = np.full(k, np.nan)
        for j in range(k):
            if not (ok[j] and np.isfinite(tsa[j])):
                continue
            b_rng = np.random.default_rng([seed, 1999, s + j])
            xb = x[j][b_rng.integers(0, events, size=(reps, n_b))]
            mb, sb, gb = _moments(xb)
            with np.errstate(invalid="ignore", divide="ignore"):
                tb = _t_sa((mb - mean[j]) / sb, gb, n_b)
            tb = tb[np.isfinite(tb)]
            lower[j] = (1.0 + (tb <= tsa[j]).sum()) / (tb.size + 1.0)
            upper[j] = (1.0 + (tb >= tsa[j]).sum()) / (tb.size + 1.0)
        sl = slice(s, s + k)
        cols["mean"][sl] = np.where(ok, mean, np.nan)
        cols["sd"][sl] = np.where(ok, sd, np.nan)
        cols["skewness"][sl] = np.where(ok, gamma, np.nan)
        cols["t"][sl] = np.where(ok, t, np.nan)
        cols["t_sa"][sl] = np.where(ok, tsa, np.nan)
        cols["n"][sl] = np.where(ok, events, 0)
        cols["boot_lower"][sl] = lower
        cols["boot_upper"][sl] = upper
    per_trial = pd.DataFrame({"trial": np.arange(trials), **cols})
    df = events - 1.0
    one_sided = {
        "t": (stats.t.cdf(cols["t"], df), stats.t.sf(cols["t"], df)),
        "skew_t_lbt": (stats.norm.cdf(cols["t_sa"]), stats.norm.sf(cols["t_sa"])),
        "bootstrap_lbt": (cols["boot_lower"], cols["boot_upper"]),
    }
    rows = []
    for name in BHAR_TESTS:
        lo_p, up_p = one_sided[name]
        valid = np.isfinite(lo_p) & np.isfinite(up_p)
        kv = int(valid.sum())
        for level in LEVELS:
            for tail, rej in (
                ("two-sided", np.minimum(1.0, 2.0 * np.minimum(lo_p, up_p)) <= level),
                ("lower", lo_p <= level / 2),
                ("upper", up_p <= level / 2),
            ):
                p = float(rej[valid].mean()) if kv else np.nan
                nominal = level if tail == "two-sided" else level / 2
                rows.append(
                    {
                        "test": name,
                        "tail": tail,
                        "level": level,
                        "nominal": nominal,
                        "rate": p,
                        "mc_se": float(np.sqrt(p * (1 - p) / kv)) if kv else np.nan,
                        "n_valid": kv,
                    }
                )
    params = {
        "trials": trials,
        "events": events,
        "window": [win.start, win.end],
        "benchmark": "market",
        "missing": missing,
        "reps": reps,
        "fraction": fraction,
        "n_b": n_b,
        "seed": seed,
        "n_firms": n_firms,
        "limits": limits,
        "start": start,
        "end": end,
        "null": "beta 1, alpha 0: E[BHAR | market] = 0",
    }
    return BHARSpecification(pd.DataFrame(rows), per_trial, params, time.perf_counter() - t0)
