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

from eventstudy.align import window_values
from eventstudy.exceptions import EventStudyError, WindowError
from eventstudy.longrun_tests import bhar_tests, lbt_bootstrap, lbt_skewness_t, reversal_table
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
                "windows": [json_row(r) for r in self.tests.to_dict(orient="records")],
            },
            "reversal": {
                "initial_window": self.settings.get("initial_window"),
                "rows": [json_row(r) for r in self.reversal.to_dict(orient="records")],
            },
        }


def json_row(row: Mapping[Any, Any]) -> dict[str, Any]:
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


def _last_valid_before(valid: NDArray[np.bool_]) -> NDArray[np.int32]:
    """``out[t, j]``: last index ``<= t`` where column ``j`` is valid, else -1."""
    t_len = valid.shape[0]
    idx = np.where(valid, np.arange(t_len, dtype=np.int32)[:, None], -1)
    return np.maximum.accumulate(idx, axis=0) if t_len else idx


def buy_and_hold(
    firm: FloatArray,
    market: FloatArray,
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    window: Window,
    *,
    expected: Callable[[NDArray[np.int64], NDArray[np.int64]], FloatArray] | None = None,
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
        ``expected(d0, offsets)`` gives the (E, L) benchmark returns on
        ``d0 + offsets`` (the normal-return model's expected returns, risk-free
        rate included for excess-return models); ``None``: the market itself.
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
    bench = rm if expected is None else expected(d0, off)
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
    gaps = has & (n_days < (last + 1))
    status[gaps] = "gaps"
    reason[gaps] = [
        f"{int(k)} session(s) without a return inside the window (spanned by the next return)"
        for k in (last + 1 - n_days)[gaps]
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
    # a benchmark return the products need but that is missing (the model's expected
    # return on a session without factors, or benchmark data that end before the
    # window does): no BHAR, and the reason names the count and the first such day
    gap = bench_mask & np.isnan(bench)
    n_nan = gap.sum(axis=1)
    no_bench = (n_nan > 0) & ~bad & (status != "excluded")
    first = np.argmax(gap, axis=1)
    status[no_bench] = "excluded"
    reason[no_bench] = [
        f"no benchmark return on day {window.start + int(k):+d} ({int(n)} session(s) of the "
        "window without one): the model's expected return needs every regressor (a "
        "session without factors or with a missing factor value) and the benchmark's "
        "data must cover the window"
        for k, n in zip(first[no_bench], n_nan[no_bench], strict=True)
    ]
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
    expected: Callable[[NDArray[np.int64], NDArray[np.int64]], FloatArray] | None = None,
    missing: str = "fill",
    reps: int = 1000,
    fraction: float = 0.25,
    seed: int = 0,
    initial: Window | None = None,
) -> BHARResult:
    """BHAR of every event over every window, their tests and the reversal table.

    ``expected(d0, offsets)`` gives the (events x days) expected returns of a
    window for the model benchmark (``benchmark="model"``); the market otherwise.  ``initial`` (default
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
    too_long = [w.label for w in wins if w.length > len(dates)]
    if too_long:  # no event can be measured; refuse before allocating events x window
        raise WindowError(
            f"BHAR window(s) {too_long} span more trading days than the returns hold "
            f"({len(dates)}"
            + (f", {dates[0].date()} to {dates[-1].date()}" if len(dates) else "")
            + "); shorten them"
        )
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
