"""Pieces of a study's run outside the estimation loop: price flags, the limit-aware
window, gathering windows and combining or subsetting model fits, the day-0 cross-check."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.abnormal import car_variance
from eventstudy.align import AlignedPanel, window_values
from eventstudy.calendar.sessions import align_day0, xshg_sessions
from eventstudy.exceptions import CalendarWarning
from eventstudy.models import (
    Regressors,
)

if TYPE_CHECKING:
    from eventstudy.study import EventStudy


def _gather(
    panel: AlignedPanel,
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    offsets: NDArray[np.int64],
    reg: Regressors,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Firm (excess) returns and the model's regressors on ``d0 + offsets`` (NaN outside)."""
    return reg.windows(panel.firm, d0, offsets, tk)


def _price_flags(study: EventStudy, panel: AlignedPanel) -> tuple[Any, Any]:
    """Limit flags and volume on the panel's grid, when the source has prices."""
    prices = getattr(study.returns, "prices", None)
    if prices is None or len(prices) == 0 or "close" not in prices:
        return None, None
    from eventstudy.market.flags import limit_flags

    flags = limit_flags(prices, st=study.st).reindex(panel.dates, panel.tickers)
    volume = None
    if "volume" in prices:
        wide = prices.pivot_table(index="date", columns="ticker", values="volume", aggfunc="last")
        wide.index = pd.to_datetime(wide.index)
        volume = wide.reindex(index=panel.dates, columns=panel.tickers).to_numpy(dtype=float)
    return flags, volume


def _limit_window(
    flags: Any,
    panel: AlignedPanel,
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    taus: NDArray[np.int64],
    fit: Any,
    ar: NDArray[np.float64],
    x_ev: NDArray[np.float64],
) -> dict[str, Any]:
    """Streaks after day 0 and the limit-aware CAR from day 0 to the first open day."""
    from eventstudy.market.streaks import limit_streaks

    up = window_values(flags.limit_up, d0, taus, tk, -1).astype(np.int8)
    status = window_values(flags.status, d0, taus, tk, 2).astype(np.int8)
    locked = window_values(flags.locked, d0, taus, tk, -1).astype(np.int8)
    st = limit_streaks(up, status, locked, taus)
    end = st.first_open_day
    inwin = (taus[None, :] >= 0) & (taus[None, :] <= np.where(np.isnan(end), -1, end)[:, None])
    present = inwin & ~np.isnan(ar)
    n_w = present.sum(axis=1).astype(float)
    car = np.where(present, ar, 0.0).sum(axis=1)
    var = car_variance(fit, x_ev, present)
    ok = ~np.isnan(end) & (n_w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = np.where(ok, car / np.sqrt(var), np.nan)
    return {
        "streaks": st,
        "up": up,
        "locked": locked,
        "car_limit": np.where(ok, car, np.nan),
        "scar_limit": scar,
        "var_limit": np.where(ok, var, np.nan),
        "n_days_limit": n_w,
    }


def _concat_fits(fits: list[Any]) -> Any:
    """One fit from the fits of consecutive blocks of events (fields stacked on axis 0)."""
    from dataclasses import fields, replace

    if len(fits) == 1:
        return fits[0]
    arrays: dict[str, Any] = {
        f.name: np.concatenate([getattr(x, f.name) for x in fits])
        for f in fields(fits[0])
        if isinstance(getattr(fits[0], f.name), np.ndarray)
    }
    cols = getattr(fits[0], "columns", None)
    if isinstance(cols, dict):
        arrays["columns"] = {k: np.concatenate([x.columns[k] for x in fits]) for k in cols}
    return replace(fits[0], **arrays)


def _mask(n: int, idx: NDArray[np.int64]) -> NDArray[np.bool_]:
    out = np.zeros(n, dtype=bool)
    out[idx] = True
    return out


def _subset_fit(fit: Any, keep: NDArray[np.bool_]) -> Any:
    """The rows ``keep`` of a fit or of another dataclass of per-event arrays."""
    if hasattr(fit, "subset"):
        return fit.subset(keep)
    from dataclasses import fields

    return replace(fit, **{f.name: getattr(fit, f.name)[keep] for f in fields(fit)})


def _cross_check(
    dates: pd.Series,
    timing: pd.Series,
    day0: pd.DatetimeIndex,
    panel: AlignedPanel,
    excluded: NDArray[np.bool_],
) -> None:
    """Warn where day 0 on the market's dates differs from the XSHG exchange calendar."""
    try:
        sess = xshg_sessions()
    except Exception:  # pragma: no cover - exchange_calendars unavailable
        return
    if not panel.market_ticker.endswith((".SS", ".SZ", ".BJ")):
        return
    ok = np.asarray(
        ~excluded
        & np.asarray(day0.notna())
        & (dates >= sess[0]).to_numpy()
        & (dates < sess[-1]).to_numpy(),
        dtype=bool,
    )
    if not ok.any():
        return
    _, xday0 = align_day0(dates[ok], timing[ok], sess)
    diff = np.asarray(xday0 != day0[ok])
    if diff.any():
        n = int(diff.sum())
        i = int(np.flatnonzero(ok)[np.flatnonzero(diff)[0]])
        warnings.warn(
            f"{n} event(s) have a day 0 on the market's dates that differs from the XSHG "
            f"exchange calendar, e.g. row {i + 1}: {day0[i].date()} vs "
            f"{xday0[np.flatnonzero(diff)[0]].date()} (the market's dates are used)",
            CalendarWarning,
            stacklevel=4,
        )
