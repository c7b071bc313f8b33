r"""Long-horizon buy-and-hold abnormal returns (BHAR) and their tests.

For event ``i`` and a window :math:`[\tau_1, \tau_2]` of trading days relative
to day 0 (Barber & Lyon 1997; Lyon, Barber & Tsai 1999):

.. math::

   BHAR_i = \prod_{t=\tau_1}^{\tau_2} (1 + R_{it}) - \prod_{t=\tau_1}^{\tau_2} (1 + R_{bt}),

compounding the daily simple returns exactly (a limit-up streak of +10%, +10%
and +7.4% is :math:`1.1 \cdot 1.1 \cdot 1.074 - 1 = 0.30`, not the sum 0.274).
The benchmark :math:`R_{bt}` is the market index (``benchmark="market"``,
the default) or the fitted normal-return model (``benchmark="model"``:
:math:`E[R_{it}] = \hat\alpha_i + \hat\beta_i R_{mt}` for the market model,
:math:`R_{mt}` for the market-adjusted and :math:`\bar R_i` for the
constant-mean model), with the parameters of the event's estimation window.

Rules for missing returns (documented in docs/methodology.md):

* a day without a firm return inside the window (a suspension) contributes no
  firm return: the first return after it spans the suspension, so the
  product over the returns present is the buy-and-hold return; the benchmark
  compounds over every session of the window;
* a first return in the window that spans sessions *before* the window start
  (the firm was suspended on day :math:`\tau_1 - 1`) is used as it is and
  counted in ``sessions_before_start``;
* when the firm's returns stop before the window ends (delisting, end of its
  data, or a suspension that lasts past the window end), ``missing="fill"``
  (default; Barber & Lyon 1997, Lyon, Barber & Tsai 1999) fills the missing
  tail with the benchmark's returns, so the event earns no abnormal return
  after its last return; ``missing="truncate"`` ends both products on the
  firm's last return day; ``missing="exclude"`` drops the event from that
  window.  Every such event is counted and its status and reason reported;
* a window that runs past the end (or before the start) of the market's data
  cannot be measured: the event is excluded from that window with the reason.

Tests of a zero mean BHAR (per window, over the events with a BHAR): the
conventional t, the skewness-adjusted t of Lyon, Barber & Tsai (1999, eq. 5)
and its bootstrap version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from eventstudy.align import window_values
from eventstudy.exceptions import EventStudyError
from eventstudy.windows import Window, as_window

__all__ = [
    "BENCHMARKS",
    "MISSING_RULES",
    "BHARResult",
    "bhar_tests",
    "buy_and_hold",
    "lbt_bootstrap",
    "lbt_skewness_t",
    "reversal_table",
]

FloatArray = NDArray[np.float64]
BENCHMARKS = ("market", "model")
MISSING_RULES = ("fill", "truncate", "exclude")


@dataclass(frozen=True)
class BHARResult:
    """Buy-and-hold abnormal returns of a study (see :mod:`eventstudy.longrun`).

    Attributes
    ----------
    frame : DataFrame
        One row per (included event, window): ``event_id, ticker, window,
        start, end, bhar, ret_firm, ret_bench, car, n_days, n_sessions,
        n_filled, sessions_before_start, first_date, last_date, status,
        reason``.
    tests : DataFrame
        One row per window: ``window, start, end, n, n_excluded, n_filled,
        n_truncated, n_gaps, mean, median, sd, skewness`` and the tests
        ``t, p_t, df, t_sa, p_sa, p_boot, boot_lo, boot_hi, n_boot, boot_reps``.
    reversal : DataFrame
        The drift after the initial reaction (:func:`reversal_table`).
    settings : dict
        Benchmark, missing-return rule, bootstrap settings, initial window.
    """

    frame: pd.DataFrame
    tests: pd.DataFrame
    reversal: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The ``bhar`` and ``reversal`` blocks of ``summary.json``."""
        return {
            "bhar": {
                **self.settings,
                "windows": [_row_dict(r) for r in self.tests.to_dict(orient="records")],
            },
            "reversal": {
                "initial_window": self.settings.get("initial_window"),
                "rows": [_row_dict(r) for r in self.reversal.to_dict(orient="records")],
            },
        }


def _row_dict(row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in row.items():
        k = str(key)
        if isinstance(v, (np.integer,)):
            out[k] = int(v)
        elif isinstance(v, (float, np.floating)):
            out[k] = None if not np.isfinite(v) else float(v)
        else:
            out[k] = v
    if "start" in out and "end" in out:
        out["window"] = [int(out.pop("start")), int(out.pop("end"))]
    return out


def as_windows(windows: Iterable[Any] | None, name: str = "bhar_windows") -> tuple[Window, ...]:
    """Validate BHAR windows: pairs ``(a, b)`` or ``"A,B"`` with ``a <= b``, no repeats."""
    if windows is None:
        return ()
    if isinstance(windows, (str, Window)) or (
        isinstance(windows, Sequence)
        and len(windows) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in windows)
    ):
        windows = [windows]
    out: list[Window] = []
    for w in windows:
        win = as_window(w, name=name)
        if win not in out:
            out.append(win)
    return tuple(out)


# ------------------------------------------------------------------ compounding


def _last_valid_before(valid: NDArray[np.bool_]) -> NDArray[np.int64]:
    """``out[t, j]``: last index ``<= t`` where column ``j`` is valid, else -1."""
    t_len = valid.shape[0]
    idx = np.where(valid, np.arange(t_len, dtype=np.int64)[:, None], -1)
    return np.maximum.accumulate(idx, axis=0) if t_len else idx


def buy_and_hold(
    firm: FloatArray,
    market: FloatArray,
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    window: Window,
    *,
    expected: Callable[[FloatArray], FloatArray] | None = None,
    missing: str = "fill",
) -> dict[str, NDArray[Any]]:
    r"""Buy-and-hold returns of every event over one window, vectorised over events.

    Parameters
    ----------
    firm : ndarray (T, N)
        Firm returns on the market's trading days (NaN: no return that day).
    market : ndarray (T,)
        Market index returns.
    d0, tk : ndarray (E,)
        Position of day 0 on the trading-day axis and column of the firm.
    window : Window
        Offsets :math:`[\tau_1, \tau_2]` from day 0.
    expected : callable, optional
        Maps the (E, L) market returns of the window to the (E, L) benchmark
        returns (the normal-return model); ``None``: the market itself.
    missing : {"fill", "truncate", "exclude"}
        Rule for a firm whose returns stop before the window ends (module
        docstring).

    Returns
    -------
    dict of arrays (E,)
        ``bhar, ret_firm, ret_bench, car, n_days, n_sessions, n_filled,
        sessions_before_start, status, reason, first_pos, last_pos``.
        ``car`` is the sum of the daily abnormal returns
        :math:`R_{it} - R_{bt}` over the days with a firm return (the study's
        ``car_missing="present"`` convention).
    """
    if missing not in MISSING_RULES:
        raise EventStudyError(f"bhar missing rule must be one of {MISSING_RULES}, got {missing!r}")
    t_len = firm.shape[0]
    e = len(d0)
    off = np.arange(window.start, window.end + 1, dtype=np.int64)
    big_l = len(off)
    if e == 0 or t_len == 0:
        z = np.zeros(0)
        zi = np.zeros(0, dtype=np.int64)
        zo = np.zeros(0, dtype=object)
        return {
            **{k: z for k in ("bhar", "ret_firm", "ret_bench", "car")},
            **{k: zi for k in ("n_days", "n_sessions", "n_filled", "sessions_before_start")},
            **{"status": zo, "reason": zo, "first_pos": zi, "last_pos": zi},
        }
    pos0 = d0 + window.start
    pos1 = d0 + window.end
    ri = window_values(firm, d0, off, tk)
    rm = window_values(market, d0, off)
    bench = rm if expected is None else expected(rm)
    present = ~np.isnan(ri)
    n_days = present.sum(axis=1).astype(np.int64)
    idx = np.arange(big_l)
    has = n_days > 0
    last = np.where(has, big_l - 1 - np.argmax(present[:, ::-1], axis=1), -1)
    first = np.where(has, np.argmax(present, axis=1), -1)
    tail = idx[None, :] > last[:, None]
    n_tail = np.where(has, big_l - 1 - last, 0)
    # what lies around the window in the firm's own data (only the firms used)
    cols, ci = np.unique(tk, return_inverse=True)
    valid = ~np.isnan(firm[:, cols])
    lvb = _last_valid_before(valid)
    last_any = lvb[-1]
    in_data = (pos0 >= 0) & (pos1 < t_len)
    # sessions before the window start spanned by the first return in the window:
    # that return covers the sessions after the firm's previous return
    p_first = pos0 + np.maximum(first, 0)
    prior = np.where(p_first - 1 >= 0, lvb[np.clip(p_first - 1, 0, t_len - 1), ci], -1)
    before = np.where(has & in_data & (prior >= 0), np.maximum(0, pos0 - prior - 1), 0)
    # the compounding
    with np.errstate(invalid="ignore"):
        if missing == "fill":
            ri_used = np.where(tail & has[:, None], bench, ri)
            firm_mask = ~np.isnan(ri_used)
            bench_mask = np.ones_like(present)
        else:
            ri_used = ri
            firm_mask = present
            bench_mask = idx[None, :] <= last[:, None]
        g_firm = np.prod(np.where(firm_mask, 1.0 + ri_used, 1.0), axis=1)
        g_bench = np.prod(np.where(bench_mask, 1.0 + bench, 1.0), axis=1)
        car = np.where(present, ri - bench, 0.0).sum(axis=1)
    n_sessions = bench_mask.sum(axis=1).astype(np.int64)
    status = np.full(e, "complete", dtype=object)
    reason = np.full(e, "", dtype=object)
    gaps = has & (n_days < (last - first + 1))
    status[gaps] = "gaps"
    reason[gaps] = [
        f"{int(k)} session(s) without a return inside the window (spanned by the next return)"
        for k in (last - first + 1 - n_days)[gaps]
    ]
    short = has & (n_tail > 0)
    suspended = last_any[ci] > pos1
    for j in np.flatnonzero(short):
        why = (
            f"suspended from day {window.start + last[j] + 1:+d} past the window end"
            if suspended[j]
            else f"firm's returns end on day {window.start + last[j]:+d} (delisted or end of data)"
        )
        if missing == "fill":
            status[j] = "filled"
            reason[j] = why + f"; {int(n_tail[j])} day(s) filled with the benchmark"
        elif missing == "truncate":
            status[j] = "truncated"
            reason[j] = why + "; firm and benchmark truncated on that day"
        else:
            status[j] = "excluded"
            reason[j] = why + " (bhar_missing='exclude')"
    bad = np.zeros(e, dtype=bool)
    for mask, why in (
        (pos0 < 0, "window starts before the market's data"),
        (pos1 >= t_len, "window ends after the market's data"),
        (~has, "no firm return inside the window"),
    ):
        new = mask & ~bad
        status[new] = "excluded"
        reason[new] = why
        bad |= mask
    bad |= status == "excluded"
    nan = np.full(e, np.nan)
    bhar = np.where(bad, nan, g_firm - g_bench)
    return {
        "bhar": bhar,
        "ret_firm": np.where(bad, nan, g_firm - 1.0),
        "ret_bench": np.where(bad, nan, g_bench - 1.0),
        "car": np.where(bad, nan, car),
        "n_days": np.where(bad, 0, n_days),
        "n_sessions": np.where(bad, 0, n_sessions),
        "n_filled": np.where(bad | (missing != "fill"), 0, n_tail),
        "sessions_before_start": np.where(bad, 0, before),
        "status": status,
        "reason": reason,
        "first_pos": np.clip(pos0, 0, t_len - 1),
        "last_pos": np.clip(pos1, 0, t_len - 1),
    }


# ------------------------------------------------------------------ tests


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
        if n >= 3 and row["sd"] > 0:
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
                else "zero cross-sectional variance"
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
        if n >= 3 and both["initial"].std() > 0:
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


def long_run(
    *,
    firm: FloatArray,
    market: FloatArray,
    dates: pd.DatetimeIndex,
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    event_ids: NDArray[Any],
    tickers: NDArray[Any],
    windows: Sequence[Window],
    benchmark: str = "market",
    expected: Callable[[FloatArray], FloatArray] | None = None,
    missing: str = "fill",
    reps: int = 1000,
    fraction: float = 0.25,
    seed: int = 0,
    initial: Window | None = None,
) -> BHARResult:
    """BHAR of every event over every window, their tests and the reversal table.

    ``expected(rm)`` maps the (events x days) market returns of a window to
    the model benchmark (``benchmark="model"``); the market otherwise.  ``initial`` (default
    [0,+1]) is the initial reaction of the reversal table; it is added to the
    windows when missing and some window starts after it.
    """
    if benchmark not in BENCHMARKS:
        raise EventStudyError(f"bhar_benchmark must be one of {BENCHMARKS}, got {benchmark!r}")
    initial = initial or Window(0, 1)
    wins = list(windows)
    added = False
    if any(w.start > initial.end for w in wins) and initial not in wins:
        wins.insert(0, initial)
        added = True
    if benchmark == "model" and expected is None:
        raise EventStudyError("bhar_benchmark='model' needs the fitted model's expected returns")
    fn = expected if benchmark == "model" else None
    frames = []
    for w in wins:
        out = buy_and_hold(firm, market, d0, tk, w, expected=fn, missing=missing)
        fr = pd.DataFrame(
            {
                "event_id": event_ids,
                "ticker": tickers,
                "window": w.label,
                "start": w.start,
                "end": w.end,
                "bhar": out["bhar"],
                "ret_firm": out["ret_firm"],
                "ret_bench": out["ret_bench"],
                "car": out["car"],
                "n_days": out["n_days"],
                "n_sessions": out["n_sessions"],
                "n_filled": out["n_filled"],
                "sessions_before_start": out["sessions_before_start"],
                "first_date": dates.values[out["first_pos"]] if len(dates) else [],
                "last_date": dates.values[out["last_pos"]] if len(dates) else [],
                "status": out["status"],
                "reason": out["reason"],
            }
        )
        outside = out["reason"] == "window starts before the market's data"
        outside |= out["reason"] == "window ends after the market's data"
        fr.loc[outside, ["first_date", "last_date"]] = pd.NaT
        frames.append(fr)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    tests = bhar_tests(frame, wins, reps=reps, fraction=fraction, seed=seed)
    rev = reversal_table(frame, initial, wins, tests)
    settings = {
        "benchmark": benchmark,
        "missing": missing,
        "windows": [[w.start, w.end] for w in wins],
        "initial_window": [initial.start, initial.end],
        "initial_added": added,
        "bootstrap": {"reps": int(reps), "fraction": float(fraction), "seed": int(seed)},
    }
    return BHARResult(frame, tests, rev, settings)
