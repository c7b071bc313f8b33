"""Announcement calendars: reading, checking and normalising them.

A calendar lists announcements, one row each, with at least a ticker and a
date (DESIGN 2.2).  :func:`load_calendar` reads the bundled calendar, a CSV
file or a DataFrame and returns a new, normalised frame with one row per
input row, in input order.  Rows that cannot be placed on a trading day (no
ticker, no date, a date known only to the month) are kept and marked
``excluded`` with a reason from :data:`EXCLUSION_REASONS`; nothing is
guessed.  Malformed input (a missing column, a date that is not a date, a
duplicated ``event_id``) raises :class:`~eventstudy.exceptions.CalendarError`
naming the row and the value.

:func:`calendar_table` adds day 0 to each row (see
:func:`~eventstudy.calendar.sessions.align_day0`) and
:func:`format_calendar_table` renders the result as text for the
``eventstudy calendar`` command.  The schema is documented in
``docs/calendar.md``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Hashable, Sequence
from importlib import resources
from typing import Final

import numpy as np
import pandas as pd

from eventstudy.calendar.sessions import TIMINGS, align_day0, timing_from_time, xshg_sessions
from eventstudy.calendar.types import add_type_columns
from eventstudy.exceptions import CalendarError, CalendarWarning
from eventstudy.tickers import normalize_ticker, normalize_tickers

__all__ = [
    "BUNDLED_CALENDARS",
    "EXCLUSION_REASONS",
    "TIMING_FLAG",
    "calendar_table",
    "format_calendar_table",
    "load_calendar",
    "reason_category",
]

CalendarSource = str | os.PathLike[str] | pd.DataFrame

#: Calendars shipped with the package: name -> file under ``calendar/data``.
BUNDLED_CALENDARS: Final = {"compute-leasing": "compute_leasing.csv"}

REASON_NO_TICKER: Final = "no ticker"
REASON_UNRESOLVED: Final = "unresolved ticker"
REASON_NO_DATE: Final = "no date"
REASON_MONTH: Final = "date only known to the month"
REASON_BEFORE_FIRST: Final = "date before the first known session"
REASON_AFTER_LAST: Final = "day 0 after the last known session"

#: Reasons a calendar row can be excluded, each with what it means.  The
#: month reason is written with the month, e.g.
#: ``"date only known to the month (2023-10)"``; :func:`reason_category`
#: strips the detail in brackets.
EXCLUSION_REASONS: Final = {
    REASON_UNRESOLVED: "the firm could not be identified (name_resolution says "
    "'unresolved', or the ticker is a placeholder such as '?')",
    REASON_NO_TICKER: "the ticker cell is empty",
    REASON_NO_DATE: "the date cell is empty",
    REASON_MONTH: "the date is only known to the month (YYYY-MM, or date_precision "
    "says 'month'); give the day to include the row",
    REASON_BEFORE_FIRST: "the date lies before the first session the calendar table knows",
    REASON_AFTER_LAST: "day 0 falls after the last session the calendar table knows",
}

#: Note given to placed rows whose release time is unknown (DESIGN 3).
TIMING_FLAG: Final = "timing unknown: read [0,+1]"

_TICKER_ALIASES: Final = ("ticker", "ticker_yahoo", "code", "symbol", "id")
_DATE_ALIASES: Final = ("date", "event_date", "announcement_date")
_FIRM_ALIASES: Final = ("firm", "company_cn", "company", "company_name")
_PRECISIONS: Final = ("day", "month", "unknown")
_PLACEHOLDER_TICKERS: Final = frozenset({"?", "-", "unresolved", "unknown", "n/a", "none"})
# Columns a loaded calendar has that are recomputed, not carried, on reload.
_DERIVED: Final = ("ticker_input", "date_input", "calendar_status", "calendar_reason")
# Input columns whose values the output replaces under the same name.
_REPLACED: Final = ("event_id", "ticker", "date", "date_precision", "timing", "firm")

_RE_DAY = re.compile(r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_RE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_RE_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_DATE_HELP: Final = "use YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD (YYYY-MM if only the month is known)"
_TIMING_WORDS: Final = {
    "": "unknown",
    "unknown": "unknown",
    "pre-open": "pre-open",
    "preopen": "pre-open",
    "intraday": "intraday",
    "after-close": "after-close",
    "afterclose": "after-close",
}


def reason_category(reason: str) -> str:
    """Return the reason without its detail in brackets.

    >>> reason_category("date only known to the month (2023-10)")
    'date only known to the month'
    """
    return reason.split(" (", 1)[0]


# --------------------------------------------------------------------------- reading


def _read_source(source: CalendarSource) -> tuple[pd.DataFrame, str]:
    """Return the raw calendar and a name for messages."""
    if isinstance(source, pd.DataFrame):
        return source, "DataFrame"
    if isinstance(source, str) and source in BUNDLED_CALENDARS:
        ref = resources.files("eventstudy.calendar").joinpath("data")
        text = ref.joinpath(BUNDLED_CALENDARS[source]).read_text(encoding="utf-8")
        return _read_csv_text(text), source
    if not isinstance(source, str | os.PathLike):
        raise CalendarError(
            f"calendar must be a bundled name {sorted(BUNDLED_CALENDARS)}, a CSV path or a "
            f"DataFrame, not {type(source).__name__}"
        )
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise CalendarError(
            f"calendar file {path!r} not found; give a CSV path or a bundled calendar "
            f"({', '.join(sorted(BUNDLED_CALENDARS))})"
        )
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise CalendarError(
                f"calendar file {path!r} is neither UTF-8 nor GB18030 text; save it as UTF-8"
            ) from exc
        warnings.warn(
            f"calendar file {path!r} is not UTF-8; read it as GB18030 (GBK)",
            CalendarWarning,
            stacklevel=3,
        )
    return _read_csv_text(text), path


def _read_csv_text(text: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CalendarError(f"calendar is not a readable CSV file: {exc}") from exc


def _cell_text(value: object) -> str:
    """Text of one cell: '' for missing, dates as YYYY-MM-DD, whole floats as integers."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    try:
        if bool(pd.isna(value)):  # type: ignore[call-overload]
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _columns_by_key(df: pd.DataFrame) -> dict[str, Hashable]:
    """Map the stripped, lower-case column name to the column label."""
    out: dict[str, Hashable] = {}
    for col in df.columns:
        key = str(col).strip().lower()
        if key in out:
            raise CalendarError(
                f"calendar columns {out[key]!r} and {col!r} differ only in case or spaces; "
                "rename or drop one"
            )
        out[key] = col
    return out


def _pick_column(
    cols: dict[str, Hashable], aliases: Sequence[str], what: str, origin: str, required: bool
) -> Hashable | None:
    found = [a for a in aliases if a in cols]
    if not found:
        if required:
            raise CalendarError(
                f"calendar {origin} has no {what} column (accepted names: "
                f"{', '.join(aliases)}); columns found: {[str(c) for c in cols.values()]}"
            )
        return None
    if len(found) > 1 and found[0] != what:
        warnings.warn(
            f"calendar {origin} has several {what} columns ({', '.join(found)}); "
            f"using {found[0]!r}",
            CalendarWarning,
            stacklevel=3,
        )
    return cols[found[0]]


# --------------------------------------------------------------------------- values


def _parse_date(text: str) -> tuple[str, pd.Timestamp | None, str]:
    """Parse one date text into (precision, day or None, 'YYYY-MM').

    Raises ValueError with a short description when ``text`` is not a date.
    """
    if text == "":
        return "unknown", None, ""
    m = _RE_DAY.match(text)
    digits: Sequence[str] | None = (m.group(1), m.group(3), m.group(4)) if m else None
    if digits is None and (mc := _RE_COMPACT.match(text)):
        digits = mc.groups()
    if digits is not None:
        year, month, day = (int(g) for g in digits)
        _check_year(year)
        try:
            dt.date(year, month, day)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return "day", pd.Timestamp(year, month, day), f"{year:04d}-{month:02d}"
    mm = _RE_MONTH.match(text)
    if mm:
        year, month = int(mm.group(1)), int(mm.group(2))
        _check_year(year)
        if not 1 <= month <= 12:
            raise ValueError("month must be in 1..12")
        return "month", None, f"{year:04d}-{month:02d}"
    raise ValueError("not a recognised date")


def _check_year(year: int) -> None:
    if not 1678 <= year <= 2261:
        raise ValueError("year out of range")


def _timing_word(text: str) -> str | None:
    """Map a ``timing`` cell to one of TIMINGS (None when not recognised)."""
    key = re.sub(r"[\s_]+", "-", text.strip().lower())
    return _TIMING_WORDS.get(key)


def _timing_from_free_text(text: str) -> str:
    """Timing from the bundled calendar's ``announcement_time`` prose.

    Only a text that *starts* with the class is trusted: "after close (15:56)"
    is after-close, "unknown (likely after close)" stays unknown.
    """
    low = text.strip().lower()
    for prefix, timing in (
        ("after close", "after-close"),
        ("after-close", "after-close"),
        ("pre-open", "pre-open"),
        ("pre open", "pre-open"),
        ("intraday", "intraday"),
    ):
        if low.startswith(prefix):
            return timing
    return "unknown"


def _same_day(a: str, b: str) -> bool:
    try:
        pa, pb = _parse_date(a), _parse_date(b)
    except ValueError:
        return False
    return pa[0] == pb[0] == "day" and pa[1] == pb[1]


def _event_ids(raw: pd.DataFrame, col: Hashable | None) -> list[str]:
    n = len(raw)
    generated = [f"R{i + 1:04d}" for i in range(n)]
    if col is None:
        return generated
    ids = [_cell_text(v) or generated[i] for i, v in enumerate(raw[col].tolist())]
    rows: dict[str, list[int]] = {}
    for i, v in enumerate(ids):
        rows.setdefault(v, []).append(i + 1)
    dups = {k: r for k, r in rows.items() if len(r) > 1}
    if dups:
        listed = "; ".join(f"{k!r} on rows {', '.join(map(str, r))}" for k, r in dups.items())
        raise CalendarError(
            f"duplicate event_id: {listed} (data rows, 1-based); give every event its own event_id"
        )
    return ids


def _raise_problems(origin: str, problems: list[str]) -> None:
    if not problems:
        return
    shown = problems[:20]
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    raise CalendarError(
        f"calendar {origin} has {len(problems)} invalid value(s) "
        "(rows are 1-based data rows):\n  " + "\n  ".join(shown) + more
    )


# --------------------------------------------------------------------------- load


def load_calendar(source: CalendarSource = "compute-leasing") -> pd.DataFrame:
    """Read and normalise an announcement calendar.

    Parameters
    ----------
    source : str, path-like or DataFrame, default "compute-leasing"
        A bundled calendar name (:data:`BUNDLED_CALENDARS`), the path of a
        CSV file (UTF-8; GBK/GB18030 is read with a warning) or a DataFrame.
        The DataFrame is not modified.

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
        No ticker or date column; a date, date_precision, timing or time
        that cannot be read (the message names the row, event_id and value);
        a duplicated event_id.

    Warns
    -----
    CalendarWarning
        Tickers were rewritten to Yahoo style (each rewrite listed); several
        candidate ticker or date columns; a non-UTF-8 file.

    Notes
    -----
    Passing a frame returned by this function gives the same frame back,
    so code may call it on whatever calendar it is handed.
    """
    raw, origin = _read_source(source)
    if len(raw) == 0:
        raise CalendarError(f"calendar {origin} has no rows")
    cols = _columns_by_key(raw)
    ticker_col = _pick_column(cols, _TICKER_ALIASES, "ticker", origin, required=True)
    date_col = _pick_column(cols, _DATE_ALIASES, "date", origin, required=True)
    firm_col = _pick_column(cols, _FIRM_ALIASES, "firm", origin, required=False)
    event_ids = _event_ids(raw, cols.get("event_id"))
    n = len(raw)

    def column(key: str | Hashable | None) -> list[str]:
        if key is None:
            return [""] * n
        return [_cell_text(v) for v in raw[key].tolist()]

    problems: list[str] = []

    def where(i: int) -> str:
        return f"row {i + 1} (event_id {event_ids[i]})"

    # dates and their precision
    date_text = column(date_col)
    prior_dates = column(cols.get("date_input"))
    stated = [p.lower() for p in column(cols.get("date_precision"))]
    dates: list[pd.Timestamp | None] = [None] * n
    precision = ["unknown"] * n
    months = [""] * n
    for i in range(n):
        text, prior = date_text[i], prior_dates[i]
        if prior and (text == "" or _same_day(prior, text)):
            date_text[i] = text = prior  # a calendar loaded before: keep the raw text
        if stated[i] not in ("", *_PRECISIONS):
            problems.append(
                f"{where(i)}: date_precision {stated[i]!r} is not one of {', '.join(_PRECISIONS)}"
            )
        try:
            kind, day, months[i] = _parse_date(text)
        except ValueError as exc:
            problems.append(f"{where(i)}: date {text!r} cannot be read ({exc}); {_DATE_HELP}")
            continue
        if kind == "day" and stated[i] == "month":
            kind, day = "month", None
        precision[i], dates[i] = kind, day

    timings = _timings(raw, cols, where, problems)
    _raise_problems(origin, problems)

    tickers, ticker_input, notes = _tickers(column(ticker_col), column(cols.get("ticker_input")))
    if notes:
        warnings.warn(
            f"calendar {origin}: tickers rewritten to Yahoo style: " + "; ".join(notes),
            CalendarWarning,
            stacklevel=2,
        )
    resolution = [r.lower() for r in column(cols.get("name_resolution"))]

    reasons = []
    for i in range(n):
        t = tickers[i]
        if resolution[i] == "unresolved" or (t is not None and t.lower() in _PLACEHOLDER_TICKERS):
            reasons.append(REASON_UNRESOLVED)
        elif t is None:
            reasons.append(REASON_NO_TICKER)
        elif precision[i] == "month":
            reasons.append(f"{REASON_MONTH} ({months[i]})")
        elif dates[i] is None:
            reasons.append(REASON_NO_DATE)
        else:
            reasons.append("")

    out: dict[Hashable, object] = {
        "event_id": pd.Series(event_ids),
        "ticker": pd.Series(tickers),
    }
    if ticker_input is not None:
        out["ticker_input"] = pd.Series(ticker_input)
    if firm_col is not None:
        out["firm"] = raw[firm_col].reset_index(drop=True)
    out["date"] = pd.Series(
        pd.DatetimeIndex([pd.NaT if d is None else d for d in dates], dtype="datetime64[ns]")
    )
    out["date_input"] = pd.Series(date_text)
    out["date_precision"] = pd.Series(precision)
    out["timing"] = pd.Series(timings)
    out["calendar_status"] = pd.Series(["excluded" if r else "ok" for r in reasons])
    out["calendar_reason"] = pd.Series(reasons)
    consumed = set(_REPLACED) | set(_DERIVED)
    for key, col in cols.items():
        if key not in consumed:
            out[col] = raw[col].reset_index(drop=True)
    return add_type_columns(pd.DataFrame(out), strict=origin in BUNDLED_CALENDARS)  # types.py


def _timings(
    raw: pd.DataFrame, cols: dict[str, Hashable], where: Callable[[int], str], problems: list[str]
) -> list[str]:
    """Timing per row: the timing column, else time (HH:MM), else announcement_time.

    ``announcement_time`` (the bundled calendar's prose) is read only when the
    calendar has neither a ``timing`` nor a ``time`` column.
    """
    n = len(raw)

    def texts(key: str) -> list[str]:
        return [_cell_text(v) for v in raw[cols[key]].tolist()] if key in cols else [""] * n

    given, times, prose = texts("timing"), texts("time"), texts("announcement_time")
    use_prose = "timing" not in cols and "time" not in cols
    out = ["unknown"] * n
    for i in range(n):
        from_timing = _timing_word(given[i])
        if from_timing is None:
            problems.append(f"{where(i)}: timing {given[i]!r} is not one of {', '.join(TIMINGS)}")
            continue
        try:
            from_time = timing_from_time(times[i])
        except CalendarError as exc:
            problems.append(f"{where(i)}: {exc}")
            continue
        if "unknown" not in (from_timing, from_time) and from_timing != from_time:
            problems.append(
                f"{where(i)}: timing {given[i]!r} contradicts time {times[i]!r} ({from_time})"
            )
            continue
        if from_timing != "unknown":
            out[i] = from_timing
        elif from_time != "unknown":
            out[i] = from_time
        elif use_prose:
            out[i] = _timing_from_free_text(prose[i])
    return out


def _restore_zeros(text: str) -> str:
    """Spreadsheets drop leading zeros: a bare code of one to five digits gets them back."""
    return text.zfill(6) if text.isdigit() and len(text) < 6 else text


def _tickers(
    raw: list[str], prior: list[str]
) -> tuple[list[str | None], list[str] | None, list[str]]:
    """Normalise tickers; return (tickers, raw spelling column or None, rewrite notes)."""
    padded = [_restore_zeros(t) for t in raw]
    norm, _ = normalize_tickers(pd.Series([t or None for t in padded], dtype=object))
    tickers: list[str | None] = [None if pd.isna(v) else str(v) for v in norm.tolist()]
    notes: list[str] = []
    for r, p, t in zip(raw, padded, tickers, strict=True):
        note = f"ticker {r} read as {t}" + (" (leading zeros restored)" if p != r else "")
        if t is not None and r != t and note not in notes:
            notes.append(note)
    # A calendar loaded before keeps its original spelling in ticker_input.
    kept = [
        p if p and t is not None and normalize_ticker(_restore_zeros(p)) == t else r
        for p, r, t in zip(prior, raw, tickers, strict=True)
    ]
    changed = any(k and k != t for k, t in zip(kept, tickers, strict=True))
    return tickers, (kept if changed else None), notes


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
    return out


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_calendar_table(df: pd.DataFrame) -> str:
    """Render :func:`calendar_table` output as fixed-width text with a summary.

    The last column, ``note``, holds the exclusion reason of excluded rows
    and the timing flag of placed ones.  Wide (CJK) characters count as two
    columns so that the table lines up in a terminal.
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
        [_cell_text(rec[c]) for c in shown] + [_cell_text(rec["reason"]) or _cell_text(rec["flag"])]
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
    return "\n".join(lines) + "\n"
