r"""Tests of the mean buy-and-hold abnormal return and the reversal table.

The conventional t, the skewness-adjusted t of Lyon, Barber & Tsai (1999,
eq. 5) and its bootstrap version (LBT 1999), per BHAR window, and the drift
after the initial reaction (:func:`reversal_table`).  The BHARs themselves
come from :mod:`eventstudy.longrun`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from eventstudy.estimation_checks import SIGMA_FLOOR
from eventstudy.windows import Window

__all__ = ["bhar_tests", "lbt_bootstrap", "lbt_skewness_t", "reversal_table"]

FloatArray = NDArray[np.float64]


def _moments(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int64]]:
    """Mean, sd (divisor n - 1), skewness and count along the last axis (no NaN)."""
    n = x.shape[-1]
    nf = float(n)
    mean = x.mean(axis=-1)
    dev = x - mean[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((dev * dev).sum(axis=-1) / (nf - 1.0))
        gamma = (dev**3).sum(axis=-1) / (nf * sd**3)
    return mean, sd, gamma, np.full(mean.shape, n, dtype=np.int64)


def lbt_skewness_t(x: FloatArray) -> tuple[float, float]:
    r"""Skewness-adjusted t of Lyon, Barber & Tsai (1999, eq. 5) and the skewness.

    .. math::

       t_{sa} = \sqrt n\Bigl(S + \tfrac13 \hat\gamma S^2 + \tfrac{1}{6n}\hat\gamma\Bigr),
       \qquad S = \frac{\bar x}{s},\qquad
       \hat\gamma = \frac{\sum_i (x_i - \bar x)^3}{n s^3},

    with :math:`s` the sample standard deviation (divisor :math:`n-1`);
    asymptotically N(0, 1) under a zero mean.  ``x`` must hold no NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size < 3:
        return float("nan"), float("nan")
    mean, sd, gamma, _ = _moments(x)
    n = x.size
    s = mean / sd
    return float(np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n))), float(gamma)


def lbt_bootstrap(
    x: FloatArray,
    *,
    reps: int = 1000,
    fraction: float = 0.25,
    seed: int | np.random.Generator | Sequence[int] = 0,
) -> dict[str, float]:
    r"""Bootstrapped skewness-adjusted t (Lyon, Barber & Tsai 1999).

    Draws ``reps`` resamples of :math:`n_b = \lfloor n \cdot fraction \rfloor`
    events with replacement (LBT: :math:`n_b = n/4`, 1000 resamples) and
    computes in each

    .. math::

       t^{*}_b = \sqrt{n_b}\Bigl(S_b + \tfrac13\hat\gamma_b S_b^2
       + \tfrac{1}{6 n_b}\hat\gamma_b\Bigr),\qquad
       S_b = \frac{\bar x_b - \bar x}{s_b},

    centred on the full-sample mean so that the resamples obey the null.  The
    statistic of the sample, :math:`t_{sa}` over all :math:`n` events, is
    compared with the distribution of :math:`t^*_b`: the two-sided p-value is
    :math:`\min\{1, 2\min(1 + \#\{t^*_b \le t_{sa}\}, 1 + \#\{t^*_b \ge
    t_{sa}\})/(B + 1)\}`, and ``lo``/``hi`` are the 2.5% and 97.5% quantiles
    of :math:`t^*_b` (reject at 5% outside them).  Resamples whose standard
    deviation is zero (one event drawn every time) are dropped and the number
    used, ``reps_used``, reported.  Seeded: same ``x``, ``reps``, ``fraction``
    and ``seed`` give the same result.

    Returns
    -------
    dict
        ``stat`` (:math:`t_{sa}`), ``pvalue``, ``lo``, ``hi``, ``n_b``,
        ``reps_used``; NaN where the sample is too small (:math:`n_b < 3`).
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    n_b = int(np.floor(n * fraction))
    stat, _ = lbt_skewness_t(x)
    out = {
        "stat": stat,
        "pvalue": np.nan,
        "lo": np.nan,
        "hi": np.nan,
        "n_b": float(n_b),
        "reps_used": 0.0,
    }
    if n_b < 3 or not np.isfinite(stat):
        return out
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    xs = x[rng.integers(0, n, size=(int(reps), n_b))]
    mean_b, sd_b, gamma_b, _ = _moments(xs)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_b = (mean_b - x.mean()) / sd_b
        t_b = np.sqrt(n_b) * (s_b + gamma_b * s_b * s_b / 3.0 + gamma_b / (6.0 * n_b))
    t_b = t_b[np.isfinite(t_b)]
    b = t_b.size
    if b == 0:
        return out
    lower = 1.0 + float((t_b <= stat).sum())
    upper = 1.0 + float((t_b >= stat).sum())
    out.update(
        pvalue=min(1.0, 2.0 * min(lower, upper) / (b + 1.0)),
        lo=float(np.quantile(t_b, 0.025)),
        hi=float(np.quantile(t_b, 0.975)),
        reps_used=float(b),
    )
    return out


def bhar_tests(
    frame: pd.DataFrame,
    windows: Sequence[Window],
    *,
    reps: int = 1000,
    fraction: float = 0.25,
    seed: int = 0,
) -> pd.DataFrame:
    """Per window: counts, moments, conventional t, LBT skewness-adjusted t and bootstrap.

    ``frame`` is :attr:`BHARResult.frame`.  The bootstrap of window ``k``
    uses the generator ``numpy.random.default_rng([seed, 1999, k])``.
    """
    rows = []
    for k, w in enumerate(windows):
        g = frame[(frame["start"] == w.start) & (frame["end"] == w.end)]
        x = g["bhar"].to_numpy(dtype=np.float64)
        x = x[~np.isnan(x)]
        n = x.size
        row: dict[str, Any] = {
            "window": w.label,
            "start": w.start,
            "end": w.end,
            "n": n,
            "n_excluded": int((g["status"] == "excluded").sum()),
            "n_filled": int((g["status"] == "filled").sum()),
            "n_truncated": int((g["status"] == "truncated").sum()),
            "n_gaps": int((g["status"] == "gaps").sum()),
            "n_span_before": int((g["sessions_before_start"] > 0).sum()),
            "mean": float(x.mean()) if n else np.nan,
            "median": float(np.median(x)) if n else np.nan,
            "sd": float(x.std(ddof=1)) if n > 1 else np.nan,
            "skewness": np.nan,
            "t": np.nan,
            "df": float(n - 1) if n > 1 else np.nan,
            "p_t": np.nan,
            "t_sa": np.nan,
            "p_sa": np.nan,
            "p_boot": np.nan,
            "boot_lo": np.nan,
            "boot_hi": np.nan,
            "n_boot": np.nan,
            "boot_reps": np.nan,
            "reason": "",
        }
        if n >= 3 and row["sd"] > SIGMA_FLOOR:
            t = row["mean"] / (row["sd"] / np.sqrt(n))
            t_sa, gamma = lbt_skewness_t(x)
            boot = lbt_bootstrap(x, reps=reps, fraction=fraction, seed=[int(seed), 1999, k])
            row.update(
                skewness=gamma,
                t=t,
                p_t=float(2.0 * stats.t.sf(abs(t), n - 1)),
                t_sa=t_sa,
                p_sa=float(2.0 * stats.norm.sf(abs(t_sa))),
                p_boot=boot["pvalue"],
                boot_lo=boot["lo"],
                boot_hi=boot["hi"],
                n_boot=boot["n_b"],
                boot_reps=boot["reps_used"],
            )
            if not np.isfinite(boot["pvalue"]):
                row["reason"] = (
                    f"bootstrap needs resamples of at least 3 events "
                    f"(n * {fraction:g} = {n * fraction:g})"
                )
        else:
            row["reason"] = (
                f"needs at least 3 events with a BHAR, has {n}"
                if n < 3
                else f"no cross-sectional variance (sd {row['sd']:.2g} < {SIGMA_FLOOR:g})"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def reversal_table(
    frame: pd.DataFrame,
    initial: Window,
    windows: Sequence[Window],
    tests: pd.DataFrame,
) -> pd.DataFrame:
    r"""Post-announcement drift after the initial reaction.

    For every BHAR window that starts after the ``initial`` window ends (for
    example [+2,+20], [+2,+60], [+2,+120] after [0,+1]), over the events
    with both BHARs: the mean initial BHAR and the mean drift (BHAR and CAR of
    the later window), ``share_of_initial`` = mean drift / mean initial
    reaction (-1 would be a full reversal), ``share_opposite`` = share of
    events whose drift has the sign opposite to their initial reaction, the
    slope of the drift on the initial BHAR (OLS with HC3 standard errors,
    statsmodels; a negative slope means larger reactions reverse more), and the
    drift's tests from ``tests`` (conventional t, LBT skewness-adjusted t and
    its bootstrap, over all events with a drift BHAR).
    """
    import statsmodels.api as sm

    rows = []
    key = ["event_id"]
    ini = frame[(frame["start"] == initial.start) & (frame["end"] == initial.end)]
    ini = ini[key + ["bhar", "car"]].rename(columns={"bhar": "initial", "car": "initial_car"})
    for w in windows:
        if w.start <= initial.end:
            continue
        g = frame[(frame["start"] == w.start) & (frame["end"] == w.end)]
        both = ini.merge(g[key + ["bhar", "car"]], on="event_id").dropna(subset=["initial", "bhar"])
        t = tests[(tests["start"] == w.start) & (tests["end"] == w.end)]
        tr = t.iloc[0] if len(t) else None
        n = len(both)
        m0 = float(both["initial"].mean()) if n else np.nan
        m1 = float(both["bhar"].mean()) if n else np.nan
        slope = slope_p = np.nan
        if n >= 3 and both["initial"].std() > SIGMA_FLOOR:
            fit = sm.OLS(both["bhar"].to_numpy(), sm.add_constant(both["initial"].to_numpy())).fit(
                cov_type="HC3"
            )
            slope, slope_p = float(fit.params[1]), float(fit.pvalues[1])
        opposite = np.sign(both["bhar"]) == -np.sign(both["initial"])
        rows.append(
            {
                "window": w.label,
                "start": w.start,
                "end": w.end,
                "initial_window": initial.label,
                "n": n,
                "initial_bhar": m0,
                "drift_bhar": m1,
                "initial_car": float(both["initial_car"].mean()) if n else np.nan,
                "drift_car": float(both["car"].mean()) if n else np.nan,
                "share_of_initial": m1 / m0 if n and m0 != 0 else np.nan,
                "share_opposite": float(opposite.mean()) if n else np.nan,
                "slope": slope,
                "slope_p": slope_p,
                "n_drift": int(tr["n"]) if tr is not None else 0,
                "t": float(tr["t"]) if tr is not None else np.nan,
                "p_t": float(tr["p_t"]) if tr is not None else np.nan,
                "t_sa": float(tr["t_sa"]) if tr is not None else np.nan,
                "p_sa": float(tr["p_sa"]) if tr is not None else np.nan,
                "p_boot": float(tr["p_boot"]) if tr is not None else np.nan,
            }
        )
    cols = [
        "window",
        "start",
        "end",
        "initial_window",
        "n",
        "initial_bhar",
        "drift_bhar",
        "initial_car",
        "drift_car",
        "share_of_initial",
        "share_opposite",
        "slope",
        "slope_p",
        "n_drift",
        "t",
        "p_t",
        "t_sa",
        "p_sa",
        "p_boot",
    ]
    return pd.DataFrame(rows, columns=cols)
