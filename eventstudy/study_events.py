"""Reading the events frame of a study: the calendar path or a frame, typed like the calendar."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from eventstudy._columns import taken_texts
from eventstudy.calendar.validate import is_sh_respelling
from eventstudy.dates import clock, parse_dates, timing_from_minutes
from eventstudy.exceptions import CalendarWarning
from eventstudy.tickers import check_utf8, normalize_ticker

_SLOW_COLUMNS = {
    "time",
    "date_precision",
    "name_resolution",
    "date_input",
    "ticker_input",
    "announcement_time",
    "announcement_date",
    "event_date",
    "ticker_yahoo",
}


def _prepare_events(events: pd.DataFrame | str) -> pd.DataFrame:
    """Normalise the events; typed frames take a vectorised path.

    A DataFrame whose ``date`` column is already datetime64 (and that has none
    of the columns that need the calendar loader's row-by-row rules, such as
    ``time`` or ``date_precision``) is normalised here with array operations;
    anything else goes through :func:`eventstudy.calendar.load_calendar`.
    """
    if isinstance(events, pd.DataFrame):
        from eventstudy.exceptions import CalendarError

        names = [str(c) for c in events.columns]
        check_utf8(names, "events", "column name", CalendarError, lambda j: f"column {j + 1}")
        for c in events.columns:
            col = events[c]
            if isinstance(col.dtype, pd.CategoricalDtype):  # its categories hold the texts
                if col.cat.categories.dtype != object:
                    continue
                col = col.astype(object)
            if col.dtype == object:  # (text dtypes hold only UTF-8)
                check_utf8(col, "events", f"{c!r}", CalendarError)
    if isinstance(events, pd.DataFrame) and {
        "calendar_status",
        "calendar_reason",
        "event_id",
        "timing",
    } <= set(events.columns):
        return events.copy()
    if (
        isinstance(events, pd.DataFrame)
        and {"ticker", "date"} <= set(events.columns)
        and pd.api.types.is_datetime64_any_dtype(events["date"])
        and not (_SLOW_COLUMNS & set(map(str, events.columns)))
    ):
        return _typed_events(events)
    from eventstudy.calendar import load_calendar

    return load_calendar(events)


def _typed_events(events: pd.DataFrame) -> pd.DataFrame:
    from eventstudy.calendar.sessions import TIMINGS
    from eventstudy.exceptions import CalendarError

    n = len(events)
    if n == 0:
        raise CalendarError("the events frame has no rows")
    if "event_id" in events.columns:
        from eventstudy.calendar.reading import cell_texts, plain_texts

        # as the calendar loader reads them: text, an empty cell gets R0001...
        ids: Any = plain_texts(events["event_id"])  # arrow texts that need no reading
        if ids is None:
            ids = cell_texts(events["event_id"], n)
            for row in np.flatnonzero(ids == "").tolist():
                ids[row] = f"R{row + 1:04d}"
        dup = pd.Series(ids).duplicated(keep=False).to_numpy()
        if dup.any():
            rows = np.flatnonzero(dup)[:5] + 1
            raise CalendarError(
                f"event_id values repeat (rows {[int(r) for r in rows]}, e.g. "
                f"{ids[rows[0] - 1]!r}); give each event a unique event_id"
            )
    else:
        ids = np.array([f"R{i + 1:04d}" for i in range(n)], dtype=object)
    raw_t = events["ticker"]
    codes, uniq = pd.factorize(raw_t.astype("string").str.strip(), use_na_sentinel=True)
    given = [str(u) for u in uniq.tolist()]
    norm = np.array([normalize_ticker(u) for u in given], dtype=object)
    # the normalised tickers of the distinct cells, None (code -1) for no ticker
    each = np.concatenate([norm, np.array([None], dtype=object)])
    each[each == ""] = None
    no_tick = np.asarray(pd.isna(each), dtype=bool)[codes]
    tick = taken_texts(each, codes)
    # the date policy of every boundary: zones -> China time, times of day -> timing
    parsed = parse_dates(events["date"], what="events", allow_missing=True, error=CalendarError)
    dates = parsed.dates
    from_time = timing_from_minutes(parsed.minutes)
    if "timing" in events.columns:
        timing = events["timing"].astype("string").fillna("unknown").str.strip().str.lower()
        timing = timing.str.replace("_", "-").replace({"": "unknown"})
        bad = ~timing.isin(TIMINGS)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CalendarError(
                f"row {i + 1} (event_id {ids[i]}): timing "
                f"{events['timing'].iloc[i]!r} is not one of {list(TIMINGS)}"
            )
        timing_arr = timing.to_numpy(dtype=object)
        clash = (timing_arr != "unknown") & (from_time != "unknown") & (timing_arr != from_time)
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            raise CalendarError(
                f"row {i + 1} (event_id {ids[i]}): timing {timing_arr[i]!r} contradicts "
                f"the time {clock(parsed.minutes[i])} of its date ({from_time[i]}, China time)"
            )
        timing_arr = np.where(timing_arr == "unknown", from_time, timing_arr)
    else:
        timing_arr = from_time
    no_date = np.asarray(dates.isna())
    why = np.where(no_tick, 0, np.where(no_date, 1, 2))  # the first reason
    out = pd.DataFrame(
        {
            "event_id": ids,
            "ticker": tick,
            "date": dates,
            "date_precision": taken_texts(np.array(["day", "unknown"], dtype=object), no_date),
            "timing": timing_arr,
            "calendar_status": taken_texts(np.array(["excluded", "ok"], dtype=object), why == 2),
            "calendar_reason": taken_texts(
                np.array(["no ticker", "no date", ""], dtype=object), why
            ),
        }
    )
    pairs = [(a, b) for a, b in zip(given, norm.tolist(), strict=True) if a != b]
    # .SH -> .SS is every Chinese vendor's spelling: kept in ticker_input, noted once
    changed = [f"{a} read as {b}" for a, b in pairs if not is_sh_respelling(a, b)]
    if pairs:
        out["ticker_input"] = raw_t.to_numpy()
    if changed:
        warnings.warn(
            "events: tickers rewritten to Yahoo style: "
            + "; ".join(changed[:10])
            + (f" (and {len(changed) - 10} more)" if len(changed) > 10 else ""),
            CalendarWarning,
            stacklevel=4,
        )
    for c in events.columns:
        if c not in out.columns:
            out[c] = events[c].to_numpy()
    return out
