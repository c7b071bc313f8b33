"""Announcement calendars: loading them, placing them on trading days, printing them.

A calendar lists announcements, one row each, with at least a ticker and a
date (DESIGN 2.2).  :func:`load_calendar` reads the bundled calendar, a CSV
file or a DataFrame (vendor exports through a column mapping or a preset)
and returns a new, normalised frame with one row per input row, in input
order.  Rows that cannot be placed on a trading day (no ticker, no date, a
date known only to the month) are kept and marked ``excluded`` with a reason
from :data:`EXCLUSION_REASONS`; nothing is guessed.  Malformed input (a
missing column, a date that is not a date, a duplicated ``event_id``) raises
:class:`~eventstudy.exceptions.CalendarError` naming the row and the value.

The work is split in two modules: :mod:`eventstudy.calendar.reading` (files,
frames, encodings, column mappings and presets) and
:mod:`eventstudy.calendar.validate` (dates, tickers, timing, precision and
statuses, column by column).

:func:`calendar_table` adds day 0 to each row (see
:func:`~eventstudy.calendar.sessions.align_day0`) and
:func:`format_calendar_table` renders the result as text for the
``eventstudy calendar`` command.  The schema is documented in
``docs/calendar.md``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

from eventstudy._text import terminal_safe
from eventstudy.calendar.reading import (
    BUNDLED_CALENDARS,
    CALENDAR_PRESETS,
    CALENDAR_TARGETS,
    CalendarSource,
    apply_columns,
    find_columns,
)
from eventstudy.calendar.reading import cell_text as _cell_text
from eventstudy.calendar.reading import read_source as _read_source
from eventstudy.calendar.sessions import align_day0, xshg_sessions
from eventstudy.calendar.types import add_type_columns
from eventstudy.calendar.validate import (
    EXCLUSION_REASONS,
    REASON_AFTER_LAST,
    REASON_BEFORE_FIRST,
    TIMING_FLAG,
    normalise,
    reason_category,
    ticker_notes,
)
from eventstudy.exceptions import CalendarError

__all__ = [
    "BUNDLED_CALENDARS",
    "CALENDAR_PRESETS",
    "CALENDAR_TARGETS",
    "EXCLUSION_REASONS",
    "TIMING_FLAG",
    "calendar_table",
    "format_calendar_table",
    "load_calendar",
    "reason_category",
]


def load_calendar(
    source: CalendarSource = "compute-leasing",
    *,
    columns: Mapping[str, str] | str | None = None,
    preset: str | None = None,
) -> pd.DataFrame:
    """Read and normalise an announcement calendar.

    Parameters
    ----------
    source : str, path-like or DataFrame, default "compute-leasing"
        A bundled calendar name (:data:`BUNDLED_CALENDARS`), the path of a
        CSV file (UTF-8; GBK/GB18030 is read with a warning) or a DataFrame.
        The DataFrame is not modified.
    columns : str or dict, optional
        Column mapping ``target=column`` for files with other column names,
        e.g. ``"ticker=ts_code,date=ann_date"`` or ``{"ticker": "代码"}``.
        Targets are :data:`CALENDAR_TARGETS`; a mapped column is renamed to
        its target.  Overrides the preset's entries.
    preset : {"tushare", "akshare", "eastmoney", "csmar"}, optional
        Column names of a vendor's announcement list
        (:data:`CALENDAR_PRESETS`; ``docs/calendar.md`` lists each one's
        columns and units).

    Returns
    -------
    DataFrame
        A new frame, one row per input row in input order (RangeIndex), with
        ``event_id`` (input or ``R0001``...), ``ticker`` (Yahoo style),
        ``ticker_input`` (raw, only when a ticker was rewritten), ``firm``
        (when the input names firms), ``date`` (datetime64[ns], NaT unless
        known to the day), ``date_input`` (raw text), ``date_precision``
        (day, month, unknown), ``timing`` (one of :data:`TIMINGS`),
        ``calendar_status`` (ok, excluded) and ``calendar_reason`` (empty
        when ok, else a reason from :data:`EXCLUSION_REASONS`), followed by
        every other input column unchanged.

    Raises
    ------
    CalendarError
        No ticker or date column; an unknown preset or mapping target, or a
        mapped column the file lacks (the message lists what exists); a
        date, date_precision, timing or time that cannot be read (the
        message names the row, event_id and value), including a day-first
        or month-first date (ambiguous); a timing or time that contradicts
        the time of day in the date; a duplicated event_id.

    Warns
    -----
    CalendarWarning
        Tickers were rewritten to Yahoo style (each rewrite listed), except
        a ``.SH`` suffix read as ``.SS``: that is every Chinese vendor's
        spelling, kept in ``ticker_input`` and reported once in the study's
        notes (:func:`~eventstudy.calendar.validate.ticker_notes`); several
        candidate ticker or date columns; a non-UTF-8 file.

    Notes
    -----
    Dates follow the one date policy of :mod:`eventstudy.dates`: year first
    (``20230602`` is YYYYMMDD), zones converted to China time, and a time of
    day in the date feeds the timing rule (``2023-07-03 15:30`` is
    after-close).  Each distinct value is parsed once, so a calendar of a
    million rows loads in seconds.  Passing a frame returned by this
    function gives the same frame back, so code may call it on whatever
    calendar it is handed.

    Examples
    --------
    A Tushare ``anns_d`` export:

    >>> anns = pd.DataFrame({"ann_date": ["20230621"], "ts_code": ["600590.SH"],
    ...                      "name": ["泰豪科技"], "title": ["董事会决议公告"]})
    >>> cal = load_calendar(anns, preset="tushare")
    >>> cal[["ticker", "ticker_input", "firm", "date", "title"]].iloc[0].tolist()
    ['600590.SS', '600590.SH', '泰豪科技', Timestamp('2023-06-21 00:00:00'), '董事会决议公告']
    """
    raw, origin = _read_source(source)
    if len(raw) == 0:
        raise CalendarError(f"calendar {origin} has no rows")
    raw, pre = apply_columns(raw, origin, columns, preset)
    cols, ticker_col, date_col, firm_col = find_columns(raw, origin, pre)
    out = normalise(raw, origin, cols, ticker_col, date_col, firm_col)
    return add_type_columns(out, strict=origin in BUNDLED_CALENDARS)  # types.py


# --------------------------------------------------------------------------- table


def _check_sessions(sessions: pd.DatetimeIndex | None) -> pd.DatetimeIndex:
    if sessions is None:
        return xshg_sessions()
    if not isinstance(sessions, pd.DatetimeIndex):
        raise CalendarError(f"sessions must be a DatetimeIndex, not {type(sessions).__name__}")
    if len(sessions) == 0 or sessions.hasnans:
        raise CalendarError("sessions must be non-empty and contain no NaT")
    s = sessions.tz_localize(None) if sessions.tz is not None else sessions
    s = pd.DatetimeIndex(s.normalize().as_unit("ns"))
    if not (s.is_monotonic_increasing and s.is_unique):
        raise CalendarError("sessions must be sorted and unique (one entry per trading day)")
    return s


def calendar_table(
    calendar: CalendarSource, sessions: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """Place each calendar row on a trading day, for ``eventstudy calendar``.

    Parameters
    ----------
    calendar : DataFrame, str or path-like
        A calendar as accepted by :func:`load_calendar` (a loaded one is
        passed through unchanged).
    sessions : DatetimeIndex, optional
        Sorted trading sessions; the XSHG sessions of ``exchange_calendars``
        by default.

    Returns
    -------
    DataFrame
        ``event_id``, ``ticker``, ``firm`` (when the calendar has one),
        ``date_input``, ``timing``, ``day0`` (NaT unless placed), ``status``
        (ok, excluded), ``reason`` (the calendar reason, or
        "date before the first known session" / "day 0 after the last known
        session") and ``flag`` (:data:`TIMING_FLAG` for placed rows whose
        timing is unknown, else empty).

    Examples
    --------
    An announcement released after the close of Monday 2023-07-03 has day 0
    on Tuesday 2023-07-04:

    >>> cal = pd.DataFrame({"ticker": ["300657.SZ"], "date": ["2023-07-03"],
    ...                     "timing": ["after-close"]})
    >>> str(calendar_table(cal)["day0"].iloc[0].date())
    '2023-07-04'
    """
    cal = load_calendar(calendar)
    sess = _check_sessions(sessions)
    ok = cal["calendar_status"].eq("ok").to_numpy()
    dates = cal["date"].where(ok)
    pos, day0 = align_day0(dates, cal["timing"], sess)
    reason = cal["calendar_reason"].to_numpy(dtype=object).copy()
    before = ok & (dates < sess[0]).to_numpy()
    after = ok & (pos >= len(sess))
    reason[before] = REASON_BEFORE_FIRST
    reason[after] = REASON_AFTER_LAST
    placed = ok & ~before & ~after
    day0_values = day0.to_numpy(dtype="datetime64[ns]").copy()
    day0_values[~placed] = np.datetime64("NaT")
    unknown = cal["timing"].eq("unknown").to_numpy()
    out = cal[
        [c for c in ("event_id", "ticker", "firm", "date_input", "timing") if c in cal.columns]
    ].copy()
    out["day0"] = day0_values
    out["status"] = np.where(placed, "ok", "excluded").tolist()
    out["reason"] = reason.tolist()
    out["flag"] = np.where(placed & unknown, TIMING_FLAG, "").tolist()
    out.attrs["notes"] = ticker_notes(cal)
    return out


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_calendar_table(df: pd.DataFrame) -> str:
    """Render :func:`calendar_table` output as fixed-width text with a summary.

    The last column, ``note``, holds the exclusion reason of excluded rows
    and the timing flag of placed ones.  Wide (CJK) characters count as two
    columns so that the table lines up in a terminal; control characters
    (ANSI escape sequences, line breaks) in a cell are shown as escapes
    (``\\x1b``), never sent to the terminal.
    """
    missing = [
        c
        for c in ("event_id", "ticker", "date_input", "timing", "day0", "status", "reason", "flag")
        if c not in df.columns
    ]
    if missing:
        raise CalendarError(
            f"not a calendar table (missing columns {missing}); build it with calendar_table()"
        )
    shown = [
        c
        for c in ("event_id", "ticker", "firm", "date_input", "timing", "day0", "status")
        if c in df.columns
    ]
    rows = [
        [terminal_safe(_cell_text(rec[c]), lines=False) for c in shown]
        + [terminal_safe(_cell_text(rec["reason"]) or _cell_text(rec["flag"]), lines=False)]
        for rec in df.to_dict("records")
    ]
    header = [*shown, "note"]
    widths = [max([_width(h)] + [_width(r[j]) for r in rows]) for j, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        body = "  ".join(
            c + " " * (w - _width(c)) for c, w in zip(cells[:-1], widths[:-1], strict=True)
        )
        return f"{body}  {cells[-1]}".rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    status = df["status"].astype(str)
    n_ok = int(status.eq("ok").sum())
    lines += ["", f"{len(df)} rows: {n_ok} ok, {len(df) - n_ok} excluded"]
    excluded = df.loc[status.ne("ok"), "reason"].astype(str).map(reason_category)
    for why, count in excluded.value_counts(sort=True).items():
        lines.append(f"  excluded, {why}: {count}")
    n_flag = int(df["flag"].astype(str).ne("").sum())
    if n_flag:
        lines.append(f"  ok, {TIMING_FLAG}: {n_flag}")
    lines += [f"note: {terminal_safe(str(n))}" for n in df.attrs.get("notes", ())]
    return "\n".join(lines) + "\n"
