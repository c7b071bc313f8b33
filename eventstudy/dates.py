"""One date policy for every input: CSV files, DataFrames, calendars, ST lists.

Every reader and every DataFrame boundary parses dates here, so a value means
the same thing whichever way it comes in (see ``docs/data.md``, "Dates and
times"):

* **Text is year first.** ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` or
  ``YYYYMMDD``, optionally followed by a time ``HH:MM[:SS[.fff]]`` (after a
  space or ``T``) and a zone (``Z``, ``UTC``, ``+08:00``, ``+0800``,
  ``-05``).  Day-first or month-first text such as ``13/05/2024`` or
  ``05/13/2024`` is refused as ambiguous: pandas would guess, either per
  element or from the first value, and a wrong guess shifts every event.
  Parse such a column yourself with an explicit format
  (``pd.to_datetime(col, format="%d/%m/%Y")``) and pass the frame.
* **Zones are converted to China time** (``Asia/Shanghai``) before the date
  is taken: ``2024-05-12T20:00Z`` is 2024-05-13 04:00 in Beijing, so its date
  is 2024-05-13.  Values without a zone are read as China wall time.
* **Times of day are kept** (minutes after midnight, China time) so that the
  announcement calendar can feed them to the timing rule
  (:func:`eventstudy.calendar.sessions.timing_from_time`).  A time of exactly
  00:00 (what pandas stores for a plain date) counts as *no time*.
* Numbers of eight digits (``20240513``, also ``20240513.0``) are
  ``YYYYMMDD``: spreadsheets turn such dates into numbers.

Parsing works on the distinct values of a column, so a panel of millions of
rows with a few hundred dates costs a few hundred parses.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.exceptions import DataError, EventStudyError

__all__ = [
    "CHINA_TZ",
    "DATE_HELP",
    "DateCells",
    "ParsedDates",
    "clock",
    "factorize_cells",
    "factorize_runs",
    "parse_date_cells",
    "parse_date_value",
    "parse_dates",
    "timing_from_minutes",
]

#: The zone every timestamp is converted to before its date is taken.
CHINA_TZ: Final = "Asia/Shanghai"

#: What the date policy accepts, for error messages.
DATE_HELP: Final = (
    "dates must be year first: YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, optionally with a "
    "time HH:MM[:SS] and a zone (+08:00, Z)"
)

_TIME = r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d{1,9})?)?\s*(?P<Z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?"
_RE_SEP = re.compile(
    rf"^(?P<y>\d{{4}})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}}){_TIME}$"
)
_RE_COMPACT = re.compile(rf"^(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}}){_TIME}$")
_RE_MONTH = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$")
_RE_AMBIGUOUS = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?:[ T].*)?$")
_MISSING_TEXT: Final = frozenset({"", "na", "n/a", "nan", "nat", "null", "none"})


@dataclass(frozen=True)
class ParsedDates:
    """Dates parsed under the policy of this module.

    Attributes
    ----------
    dates : DatetimeIndex
        China trading dates (midnight, no zone, ``datetime64[ns]``); NaT where
        the value was missing.
    minutes : ndarray of float64
        Time of day in minutes after midnight, China time; NaN where the value
        had no time (or exactly 00:00 without a zone).
    """

    dates: pd.DatetimeIndex
    minutes: NDArray[np.float64]


def _zone_minutes(zone: str) -> int:
    if zone in ("Z", "UTC", "GMT"):
        return 0
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours = int(digits[:2])
    mins = int(digits[2:4]) if len(digits) > 2 else 0
    if hours > 14 or mins > 59:
        raise ValueError(f"zone {zone} is not a UTC offset")
    return sign * (hours * 60 + mins)


def _from_text(text: str, *, allow_month: bool) -> tuple[str, pd.Timestamp | None]:
    """(precision, China wall-clock timestamp) of one text; raises ValueError."""
    m = _RE_SEP.match(text) or _RE_COMPACT.match(text)
    if m is None:
        mm = _RE_MONTH.match(text) if allow_month else None
        if mm is not None:
            year, month = int(mm["y"]), int(mm["m"])
            _check_year(year)
            if not 1 <= month <= 12:
                raise ValueError("month must be in 1..12")
            return "month", pd.Timestamp(year, month, 1)
        if _RE_AMBIGUOUS.match(text):
            raise ValueError(
                "day-first or month-first, which is ambiguous; " + DATE_HELP + "; or parse "
                "the column yourself, e.g. pd.to_datetime(col, format='%d/%m/%Y')"
            )
        raise ValueError("not a recognised date; " + DATE_HELP)
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    _check_year(year)
    try:
        dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    stamp = pd.Timestamp(year, month, day)
    if m["H"] is None:
        return "day", stamp
    hh, mi, ss = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    if hh > 23 or mi > 59 or ss > 59:
        raise ValueError(f"{m['H']}:{m['M']} is not a time of day")
    stamp = stamp + pd.Timedelta(hours=hh, minutes=mi, seconds=ss)
    if m["Z"] is not None:
        utc = (stamp - pd.Timedelta(minutes=_zone_minutes(m["Z"]))).tz_localize("UTC")
        stamp = utc.tz_convert(CHINA_TZ).tz_localize(None)
    return "day", stamp


def _check_year(year: int) -> None:
    if not 1678 <= year <= 2261:
        raise ValueError(f"year {year} out of range")


def _split_time(stamp: pd.Timestamp) -> tuple[pd.Timestamp, float]:
    """(date at midnight, minutes after midnight or NaN at exactly 00:00:00)."""
    day = stamp.normalize()
    wall = (stamp - day) / pd.Timedelta(minutes=1)
    return day, (float(np.floor(wall)) if wall > 0 else np.nan)


def parse_date_value(
    value: Any, *, allow_month: bool = False
) -> tuple[str, pd.Timestamp | None, float]:
    """Parse one date value under the policy of this module.

    Parameters
    ----------
    value : str, number, datetime-like or None
        One cell.
    allow_month : bool
        Accept ``YYYY-MM`` (a date known only to the month).

    Returns
    -------
    precision : {"day", "month", "missing"}
    day : Timestamp or None
        China date at midnight (the first of the month for ``"month"``).
    minutes : float
        Time of day in minutes after midnight, China time; NaN without a time
        (or at exactly 00:00:00 China time, which is how dates are stored).

    Raises
    ------
    ValueError
        With a short reason when the value is not a date under the policy.
    """
    if value is None or value is pd.NaT:
        return "missing", None, np.nan
    if isinstance(value, bool | np.bool_):
        raise ValueError("a boolean is not a date")
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return "missing", None, np.nan
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert(CHINA_TZ).tz_localize(None)
        day, minutes = _split_time(ts)
        return "day", day, minutes
    if isinstance(value, dt.date):
        return "day", pd.Timestamp(value.year, value.month, value.day), np.nan
    if isinstance(value, int | np.integer | float | np.floating):
        f = float(value)
        if np.isnan(f):
            return "missing", None, np.nan
        if not f.is_integer() or not 10_000_101 <= f <= 99_991_231:
            raise ValueError("a number that is not YYYYMMDD")
        value = str(int(f))
    text = str(value).strip()
    if text.lower() in _MISSING_TEXT:
        return "missing", None, np.nan
    kind, stamp = _from_text(text, allow_month=allow_month)
    if kind == "month" or stamp is None:
        return kind, stamp, np.nan
    day, minutes = _split_time(stamp)
    return kind, day, minutes


def parse_dates(
    values: pd.Series | pd.Index | NDArray[Any],
    *,
    what: str,
    fmt: str | None = None,
    allow_missing: bool = False,
    error: type[EventStudyError] = DataError,
    header_hint: bool = False,
) -> ParsedDates:
    """Parse a column of dates under the policy of this module (vectorised).

    Parameters
    ----------
    values : Series, Index or array
        Text, numbers or datetimes (naive = China time; zone-aware values are
        converted to China time).
    what : str
        Name of the input for messages (a file name, ``"returns"``, ...).
    fmt : str, optional
        An explicit ``strptime`` format (a preset's, e.g. ``"%Y%m%d"``); then
        the text must match it exactly.
    allow_missing : bool
        Return NaT for empty cells instead of raising.
    error : EventStudyError subclass
        Class of the error raised (:class:`~eventstudy.exceptions.DataError`
        by default).
    header_hint : bool
        When only the first rows fail, suggest a second header row (CSV
        exports with label and unit rows).

    Returns
    -------
    ParsedDates

    Raises
    ------
    EventStudyError
        Of class ``error``, naming the first bad row (1-based) and its value:
        an empty date (unless ``allow_missing``), text that is not year first,
        an impossible date.
    """
    raw = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    raw = raw.reset_index(drop=True)
    n = len(raw)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        local = raw.dt.tz_convert(CHINA_TZ).dt.tz_localize(None)
        return _from_datetimes(local, what, allow_missing, error)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return _from_datetimes(raw, what, allow_missing, error)
    codes, uniq = factorize_cells(raw, what=what, label="date", error=error)
    u_days = np.full(len(uniq), np.datetime64("NaT"), dtype="datetime64[ns]")
    u_min = np.full(len(uniq), np.nan)
    u_bad: dict[int, str] = {}
    if fmt is not None:
        text = pd.Series(np.asarray(uniq, dtype=object)).map(
            lambda v: (
                str(int(v))
                if isinstance(v, float | np.floating) and float(v).is_integer()
                else str(v).strip()
            )
        )
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        for jj in np.flatnonzero(parsed.isna().to_numpy()):
            if text.iloc[jj].lower() not in _MISSING_TEXT:
                u_bad[int(jj)] = f"does not match the format {fmt}"
        ok = parsed.notna().to_numpy()
        stamps = parsed.to_numpy(dtype="datetime64[ns]")
        u_days[ok] = stamps[ok].astype("datetime64[D]").astype("datetime64[ns]")
        walls = (stamps[ok] - u_days[ok]).astype("timedelta64[m]").astype(np.float64)
        u_min[ok] = np.where(walls > 0, walls, np.nan)
    else:
        for j, v in enumerate(uniq):
            try:
                kind, day, minutes = parse_date_value(v)
            except ValueError as exc:
                u_bad[j] = str(exc)
                continue
            if day is not None:
                u_days[j] = day.to_datetime64()
                u_min[j] = minutes
    if u_bad:
        bad_row = np.isin(codes, np.fromiter(u_bad, dtype=np.int64))
        i = int(np.flatnonzero(bad_row)[0])
        raise error(
            f"{what}: row {i + 1} has an unparseable or empty date {_show(raw.iloc[i])} "
            f"({u_bad[int(codes[i])]})" + _hint(bad_row, i, header_hint)
        )
    if len(uniq) == 0:  # nothing but empty cells
        u_days = np.full(1, np.datetime64("NaT"), dtype="datetime64[ns]")
        u_min = np.full(1, np.nan)
    days = np.where(codes >= 0, u_days[np.maximum(codes, 0)], np.datetime64("NaT"))
    mins = np.asarray(np.where(codes >= 0, u_min[np.maximum(codes, 0)], np.nan), np.float64)
    out = ParsedDates(pd.DatetimeIndex(days.astype("datetime64[ns]")), mins.reshape(n))
    if not allow_missing:
        _no_missing(out.dates, raw, what, error, header_hint)
    return out


@dataclass(frozen=True)
class DateCells:
    """Every cell of a column read under the date policy, bad cells included.

    For readers that report *every* bad row instead of the first one (the
    calendar loader).  Values are stored once per distinct cell; ``codes``
    maps each row to its distinct value (-1 for a missing cell).

    Attributes
    ----------
    codes : ndarray of int64
        Row -> index into the per-value arrays; -1 where the cell is missing.
    precision : ndarray of object
        Per value: ``"day"``, ``"month"`` (only with ``allow_month``),
        ``"missing"`` (empty text such as ``"nan"``) or ``""`` when the value
        is not a date under the policy.
    days : ndarray of datetime64[ns]
        Per value: the China date (the first of the month for ``"month"``),
        NaT otherwise.
    minutes : ndarray of float64
        Per value: time of day in minutes after midnight, China time; NaN
        without a time.
    errors : ndarray of object
        Per value: the reason it is not a date (the text of the ValueError of
        :func:`parse_date_value`), ``""`` when it is one.
    """

    codes: NDArray[np.int64]
    precision: NDArray[np.object_]
    days: NDArray[np.datetime64]
    minutes: NDArray[np.float64]
    errors: NDArray[np.object_]

    def per_row(self, values: NDArray[Any], missing: Any) -> NDArray[Any]:
        """Spread a per-value array over the rows, ``missing`` where the cell is missing."""
        out = np.asarray(values)[np.maximum(self.codes, 0)]
        if (self.codes < 0).any():
            out = out.copy()
            out[self.codes < 0] = missing
        return out


def parse_date_cells(
    values: pd.Series | pd.Index | NDArray[Any], *, allow_month: bool = False
) -> DateCells:
    """Read each distinct cell of a column with :func:`parse_date_value`; never raises.

    Parameters
    ----------
    values : Series, Index or array
        Cells (text, numbers, datetimes), e.g. the text of a calendar's date
        column.
    allow_month : bool
        Accept ``YYYY-MM`` (a date known only to the month).

    Returns
    -------
    DateCells
        The outcome per distinct value and the row -> value codes, so that a
        column of a million rows with a few thousand distinct dates costs a few
        thousand parses.

    Examples
    --------
    >>> cells = parse_date_cells(["20230602", "2023-06", "02/06/2023", None], allow_month=True)
    >>> cells.per_row(cells.precision, "missing").tolist()
    ['day', 'month', '', 'missing']
    """
    raw = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    codes, uniq = factorize_cells(raw.reset_index(drop=True), what="dates", label="date")
    k = len(uniq)
    precision = np.full(k, "", dtype=object)
    days = np.full(k, np.datetime64("NaT"), dtype="datetime64[ns]")
    minutes = np.full(k, np.nan)
    errors = np.full(k, "", dtype=object)
    for j, v in enumerate(np.asarray(uniq, dtype=object)):
        try:
            kind, day, mins = parse_date_value(v, allow_month=allow_month)
        except ValueError as exc:
            errors[j] = str(exc)
            continue
        precision[j] = kind
        if day is not None:
            days[j] = day.to_datetime64()
            minutes[j] = mins
    return DateCells(codes, precision, days, minutes, errors)


def _arrow_starts(raw: pd.Series, most: int) -> tuple[bool, NDArray[np.int64] | None]:
    """Rows (from the second) that differ from the row before, for pyarrow text of one width.

    A column of equal-width strings without missing values, held by pyarrow
    in one piece (a panel's codes such as ``600000.SS``), is compared as
    bytes: its data buffer against itself shifted by one string, eight bytes
    at a time; only the words that differ are read byte by byte.  Returns
    (True, rows), or (True, None) for more than ``most`` runs; (False, None)
    for any other column (the caller compares the values).
    """
    if not isinstance(raw.array, pd.arrays.ArrowExtensionArray):
        return False, None
    import pyarrow as pa

    arr = raw.array.__arrow_array__()
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return False, None
        arr = arr.chunk(0)
    large = pa.types.is_large_string(arr.type)
    if arr.null_count or len(arr) < 2 or not (large or pa.types.is_string(arr.type)):
        return False, None
    n = len(arr)
    _, off_buf, data_buf = arr.buffers()
    odt = np.dtype(np.int64 if large else np.int32)
    off = np.frombuffer(off_buf, dtype=odt, count=n + 1, offset=arr.offset * odt.itemsize)
    first = int(off[0])
    width = (int(off[-1]) - first) // n
    if (off[1:] - off[:-1] != width).any():
        return False, None
    if width == 0:  # empty strings only: one run
        return True, np.zeros(0, dtype=np.int64)
    size = (n - 1) * width  # bytes compared: every string against the one before
    words = size // 8
    prev = np.frombuffer(data_buf, dtype=np.uint64, count=words, offset=first)
    this = np.frombuffer(data_buf, dtype=np.uint64, count=words, offset=first + width)
    cand = np.flatnonzero(prev != this) * 8
    if len(cand) > most * (width // 8 + 2):  # a run boundary spans at most that many words
        return True, None
    data = np.frombuffer(data_buf, dtype=np.uint8, count=n * width, offset=first)
    pos = np.concatenate([(cand[:, None] + np.arange(8)).reshape(-1), np.arange(8 * words, size)])
    pos = pos[data[pos] != data[pos + width]]
    rows = pos // width + 1
    return True, rows[np.concatenate([[True], rows[1:] != rows[:-1]])] if len(rows) else rows


def _runs(raw: pd.Series, min_len: int = 50_000) -> NDArray[np.int64] | None:
    """First row of each run of equal neighbours, or None when runs do not pay.

    None for short columns, for more runs than a quarter of the rows, and
    where neighbours cannot be compared elementwise.
    """
    n = len(raw)
    if n < min_len or not isinstance(raw, pd.Series):
        return None
    most = n // 4 - 1  # runs beyond the first
    arrow, starts = _arrow_starts(raw, most)
    if not arrow:
        vals = raw.array
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                diff = vals[1:] != vals[:-1]
            if isinstance(diff, pd.api.extensions.ExtensionArray):
                diff = diff.to_numpy(dtype=bool, na_value=True)
            diff = np.asarray(diff, dtype=bool)
        except (TypeError, ValueError):
            return None
        if diff.shape != (n - 1,):
            return None
        starts = np.flatnonzero(diff) + 1
    if starts is None or len(starts) > most:
        return None
    return np.concatenate([[0], starts]).astype(np.int64)


def factorize_runs(
    raw: pd.Series, *, what: str, label: str, error: type[EventStudyError] = DataError
) -> tuple[NDArray[np.int64] | None, NDArray[np.int64], Any]:
    """:func:`factorize_cells` that keeps a column's runs: ``(starts, codes, uniques)``.

    For a long column made of runs of equal values (a panel sorted by ticker
    or by date), ``starts`` is the first row of each run and ``codes`` holds
    one code per run; otherwise ``starts`` is None and ``codes`` holds one
    code per row.  The codes and distinct values are those of hashing every
    row (``pd.factorize``).
    """
    try:
        runs = _runs(raw)
        if runs is not None:
            codes, uniq = pd.factorize(raw.iloc[runs], use_na_sentinel=True)
            return runs, np.asarray(codes, dtype=np.int64), uniq
        codes, uniq = pd.factorize(raw, use_na_sentinel=True)
    except TypeError:
        for i, v in enumerate(raw):
            try:
                hash(v)
            except TypeError:
                raise error(
                    f"{what}: row {i + 1} has a {type(v).__name__} {v!r:.60} as its {label}"
                ) from None
        raise
    return None, np.asarray(codes, dtype=np.int64), uniq


def factorize_cells(
    raw: pd.Series, *, what: str, label: str, error: type[EventStudyError] = DataError
) -> tuple[NDArray[np.int64], Any]:
    """``pd.factorize`` that reports an unhashable cell (a list, a dict) by its row.

    A long column made of runs of equal values (a panel sorted by ticker or
    by date) is factorised by its runs (:func:`factorize_runs`): the first
    value of each run is factorised and its code repeated, the same codes
    and distinct values in the same order as hashing every row.
    """
    starts, codes, uniq = factorize_runs(raw, what=what, label=label, error=error)
    if starts is not None:
        codes = np.repeat(codes, np.diff(starts, append=len(raw)))
    return codes, uniq


def _from_datetimes(
    local: pd.Series, what: str, allow_missing: bool, error: type[EventStudyError]
) -> ParsedDates:
    vals = local.to_numpy()
    if vals.dtype != np.dtype("datetime64[ns]"):  # s/ms/us reach beyond the ns years
        out = ~np.isnat(vals)
        out &= (vals < np.datetime64("1678-01-01")) | (vals >= np.datetime64("2262-01-01"))
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise error(
                f"{what}: row {i + 1} has an unparseable or empty date {_show(local.iloc[i])} "
                f"(year {pd.Timestamp(vals[i]).year} out of range)"
            )
    stamps = pd.DatetimeIndex(local).as_unit("ns")
    days = stamps.normalize()
    wall = np.asarray((stamps - days) / pd.Timedelta(minutes=1), dtype=np.float64)
    minutes = np.where(wall > 0, np.floor(wall), np.nan)
    if not allow_missing:
        _no_missing(days, local, what, error, False)
    return ParsedDates(pd.DatetimeIndex(days), minutes)


def _no_missing(
    days: pd.DatetimeIndex,
    raw: pd.Series,
    what: str,
    error: type[EventStudyError],
    header_hint: bool,
) -> None:
    miss = np.asarray(days.isna())
    if miss.any():
        i = int(np.flatnonzero(miss)[0])
        raise error(
            f"{what}: row {i + 1} has an unparseable or empty date {_show(raw.iloc[i])}"
            + _hint(miss, i, header_hint)
        )


def _hint(bad: NDArray[np.bool_], i: int, header_hint: bool) -> str:
    if header_hint and i < 2 and bool((~bad[i + 1 :]).any()):
        return " (a second header row, e.g. the labels and units rows of a CSMAR export? delete it)"
    return ""


def _show(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "(empty)"
    return repr(value) if isinstance(value, str) else str(value)


def timing_from_minutes(minutes: NDArray[np.float64]) -> NDArray[np.object_]:
    """Timing class of each time of day (minutes after midnight, China time).

    Before 09:30 ``pre-open``, from 09:30 to before 15:00 ``intraday``, from
    15:00 ``after-close``, and ``unknown`` where there is no time (NaN), as
    :func:`eventstudy.calendar.sessions.timing_from_time` does for ``HH:MM``.
    """
    m = np.asarray(minutes, dtype=np.float64)
    out = np.full(m.shape, "unknown", dtype=object)
    has = ~np.isnan(m)
    out[has & (m < 570)] = "pre-open"
    out[has & (m >= 570) & (m < 900)] = "intraday"
    out[has & (m >= 900)] = "after-close"
    return out


def clock(minutes: float) -> str:
    """``HH:MM`` of a time of day given in minutes after midnight."""
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"
