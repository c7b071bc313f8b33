"""Trading sessions of the Shanghai/Shenzhen exchanges and day-0 alignment.

Day 0 is the first session in which the market could trade on the news
(DESIGN section 3):

* ``pre-open`` or ``intraday``: the announcement date itself if it is a
  session, else the next session;
* ``after-close``: the next session strictly after the announcement date;
* ``unknown``: the date as given (next session if it is not one); such events
  are flagged so that the [0, +1] window is read as the reaction window.

Sessions come from ``exchange_calendars`` (``XSHG``; Shanghai and Shenzhen
share one calendar).  When a study runs on a return panel, event time counts
the market index's own dates instead (see :func:`align_day0`).
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import pandas as pd

from eventstudy.exceptions import CalendarError

__all__ = ["TIMINGS", "align_day0", "timing_from_time", "xshg_sessions"]

TIMINGS: Final = ("pre-open", "intraday", "after-close", "unknown")


@functools.lru_cache(maxsize=4)
def _xshg_all() -> pd.DatetimeIndex:
    import warnings

    import exchange_calendars as xc

    with warnings.catch_warnings():
        # exchange_calendars 4.x triggers pandas deprecation warnings of its own
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        cal = xc.get_calendar("XSHG", start="2005-01-04")
    sessions = pd.DatetimeIndex(cal.sessions).tz_localize(None).normalize()
    return pd.DatetimeIndex(sessions.astype("datetime64[ns]"))


def xshg_sessions(
    start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
) -> pd.DatetimeIndex:
    """Return the XSHG trading sessions between ``start`` and ``end`` (inclusive).

    Parameters
    ----------
    start, end : date-like, optional
        Bounds of the range; the whole calendar known to
        ``exchange_calendars`` (from 2005) when omitted.
    """
    s = _xshg_all()
    if start is not None:
        s = s[s >= pd.Timestamp(start)]
    if end is not None:
        s = s[s <= pd.Timestamp(end)]
    return s


def timing_from_time(value: str | None) -> str:
    """Map an ``HH:MM`` China-time release time to a timing class.

    Before 09:30 is ``pre-open``, 09:30 up to (not including) 15:00 is
    ``intraday``, 15:00 and later is ``after-close``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return "unknown"
    text = str(value).strip()
    try:
        hh, mm = text.split(":")[:2]
        minutes = int(hh) * 60 + int(mm)
    except ValueError as exc:
        raise CalendarError(f"time {text!r} is not HH:MM (China time)") from exc
    if not (0 <= int(hh) < 24 and 0 <= int(mm) < 60):
        raise CalendarError(f"time {text!r} is not a valid HH:MM (China time)")
    if minutes < 9 * 60 + 30:
        return "pre-open"
    if minutes < 15 * 60:
        return "intraday"
    return "after-close"


def align_day0(
    dates: pd.Series | pd.DatetimeIndex, timings: pd.Series | None, sessions: pd.DatetimeIndex
) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Locate day 0 of each announcement on a sorted session index.

    Parameters
    ----------
    dates : Series or DatetimeIndex of datetime64
        Announcement dates (NaT allowed; gives position -1).
    timings : Series of str, optional
        One of :data:`TIMINGS` per date; ``None`` means all ``unknown``.
    sessions : DatetimeIndex
        Sorted, unique session dates (the market index's dates in a study,
        :func:`xshg_sessions` otherwise).

    Returns
    -------
    positions : ndarray of int64
        Index of day 0 in ``sessions``; ``-1`` where the date is missing and
        ``len(sessions)`` where day 0 falls after the last session.
    day0 : DatetimeIndex
        The day-0 dates (NaT where not placed).
    """
    d = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    vals = d.values.astype("datetime64[ns]").view("i8")
    sess_ns = sessions.values.astype("datetime64[ns]")
    sess = sess_ns.view("i8")
    if timings is None:
        after = np.zeros(len(d), dtype=bool)
    else:
        # each distinct timing checked once (in order of appearance)
        codes, uniq = pd.factorize(pd.Series(timings, copy=False), use_na_sentinel=False)
        kinds = np.asarray(uniq, dtype=object)
        if not all(isinstance(x, str) and x in TIMINGS for x in kinds.tolist()):  # named as given
            given = pd.unique(np.asarray(timings, dtype=object))
            bad = [x for x in given if not (isinstance(x, str) and x in TIMINGS)]
            raise CalendarError(f"unknown timing value(s) {bad}; allowed: {list(TIMINGS)}")
        after = np.asarray(kinds == "after-close", dtype=bool)[codes]
    pos = np.searchsorted(sess, vals, side="left").astype(np.int64)
    if after.any():  # after the close: the first session strictly after the date
        pos[after] = np.searchsorted(sess, vals[after], side="right")
    missing = d.isna()
    pos[missing] = -1
    ok = (pos >= 0) & (pos < len(sess))
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = sess_ns[pos[ok]]
    return pos, pd.DatetimeIndex(out)
