"""Limit-up streaks after day 0, vectorised across events.

Inputs are (events x event days) matrices of the flags of
:mod:`eventstudy.market.flags` gathered on each event's window: ``up`` the
limit-up close flag and ``status`` its status code (0 known, 1 unlimited,
2 no price, other codes unknown).  A day without a price (a suspension) is
not a close at all: it neither extends nor ends a streak, and it is not a
limit-up close.  A day whose flag is unknown for another reason makes the
statistics that need it unknown.

Per event, from day 0 on:

* ``limit_ups_0_4``: limit-up closes in days 0..+4 ("五天四板" is 4);
* ``first_run``: length of the first run of consecutive limit-up closes
  (suspended days skipped), 0 if there is none by the end of the window;
* ``first_open_day``: the first day from 0 on that trades and does not close
  at the up-limit; unknown if the stock is still limit-up at the end of the
  event window;
* ``locked_share``: share of the event window's traded days that were locked
  (one-price) at either limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Streaks", "limit_streaks"]

_NO_PRICE = 2


@dataclass(frozen=True)
class Streaks:
    """Per-event streak statistics (NaN where unknown) and the reason when unknown."""

    limit_ups_0_4: NDArray[np.float64]
    first_run: NDArray[np.float64]
    first_open_day: NDArray[np.float64]
    locked_share: NDArray[np.float64]
    limit_ups_pre: NDArray[np.float64]
    note: NDArray[np.object_]


def limit_streaks(
    up: NDArray[np.int8],
    status: NDArray[np.int8],
    locked: NDArray[np.int8],
    taus: NDArray[np.int64],
    pre: tuple[int, int] = (-5, -1),
) -> Streaks:
    """Streak statistics of every event (rows) over the event days ``taus`` (columns)."""
    n_ev = up.shape[0]
    traded = status != _NO_PRICE
    unknown = (up < 0) & traded
    is_up = up == 1
    after = taus >= 0
    note = np.full(n_ev, "", dtype=object)
    # limit-up closes in [0, +4] and in the pre-event window
    w04 = (taus >= 0) & (taus <= 4)
    cnt04 = (is_up & w04).sum(axis=1).astype(float)
    unk04 = (unknown & w04).any(axis=1)
    cnt04[unk04] = np.nan
    wpre = (taus >= pre[0]) & (taus <= pre[1])
    cntpre = (is_up & wpre).sum(axis=1).astype(float)
    cntpre[(unknown & wpre).any(axis=1)] = np.nan
    if not w04.all() and w04.sum() < 5:
        cnt04[:] = np.nan
    # first open day: first traded day >= 0 that is not a limit-up close
    stop = after & traded & ~is_up  # an open day or an unknown one ends the search
    has_stop = stop.any(axis=1)
    j = np.argmax(stop, axis=1)
    first_unknown = unknown[np.arange(n_ev), j] & has_stop
    first_open = np.where(has_stop & ~first_unknown, taus[j], np.nan).astype(float)
    note[~has_stop] = "limit-up through the end of the event window"
    note[first_unknown] = "a limit flag is unknown before the first open day"
    # first run: consecutive limit-up closes starting at the first one from day 0 on
    start_up = after & is_up
    has_up = start_up.any(axis=1)
    s = np.argmax(start_up, axis=1)
    col = np.arange(up.shape[1])[None, :]
    after_start = col >= s[:, None]
    breaks = after_start & traded & ~is_up
    has_break = breaks.any(axis=1)
    e = np.where(has_break, np.argmax(breaks, axis=1), up.shape[1])
    run = ((col >= s[:, None]) & (col < e[:, None]) & is_up).sum(axis=1).astype(float)
    run[~has_up] = 0.0
    # an unknown day before the run starts hides whether an earlier run existed
    unknown_before = (
        after[None, :] & unknown & (col < np.where(has_up, s, up.shape[1])[:, None])
    ).any(axis=1)
    run[unknown_before] = np.nan
    brk_unknown = has_break & unknown[np.arange(n_ev), np.minimum(e, up.shape[1] - 1)]
    run[has_up & brk_unknown] = np.nan
    # share of traded event-window days locked at a limit
    lk_known = traded & (locked >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (lk_known & (locked == 1)).sum(axis=1) / lk_known.sum(axis=1)
    return Streaks(
        limit_ups_0_4=cnt04,
        first_run=run,
        first_open_day=first_open,
        locked_share=share.astype(float),
        limit_ups_pre=cntpre,
        note=note,
    )
