"""Checking and normalising calendar values: dates, tickers, timing, precision, statuses.

The second half of :func:`~eventstudy.calendar.load_calendar` (the first,
reading the file and naming the columns, is :mod:`eventstudy.calendar.reading`).
:func:`normalise` turns the raw cells into the calendar's columns under the
rules of ``docs/calendar.md``:

* dates follow the one date policy of :mod:`eventstudy.dates` (year first,
  zones converted to China time, a time of day feeds the timing rule),
  parsed once per distinct cell (:func:`~eventstudy.dates.parse_date_cells`);
* tickers are rewritten to Yahoo style once per distinct spelling
  (:func:`~eventstudy.tickers.normalize_ticker`); a ``.SH`` suffix read as
  ``.SS`` is the usual spelling of every Chinese vendor and is recorded in
  ``ticker_input`` and one note (:func:`ticker_notes`), every other rewrite
  is listed in a :class:`~eventstudy.exceptions.CalendarWarning`;
* timing comes from ``timing``, ``time``, the time of the date, then the
  bundled calendar's ``announcement_time`` prose, and sources must agree;
* each row is ``ok`` or ``excluded`` with one reason of
  :data:`EXCLUSION_REASONS`.

Every step works on whole columns (each distinct value handled once), so a
calendar of a million rows loads in seconds; every bad value is still
reported with its row number and event_id.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Hashable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.calendar.reading import cell_texts
from eventstudy.calendar.sessions import TIMINGS, timing_from_time
from eventstudy.dates import clock, parse_date_cells, timing_from_minutes
from eventstudy.exceptions import CalendarError, CalendarWarning
from eventstudy.tickers import normalize_ticker

__all__ = [
    "EXCLUSION_REASONS",
    "TIMING_FLAG",
    "normalise",
    "reason_category",
    "ticker_notes",
]

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

_PRECISIONS: Final = ("day", "month", "unknown")
_PLACEHOLDER_TICKERS: Final = frozenset({"?", "-", "unresolved", "unknown", "n/a", "none"})
# Columns a loaded calendar has that are recomputed, not carried, on reload.
_DERIVED: Final = ("ticker_input", "date_input", "calendar_status", "calendar_reason")
# Input columns whose values the output replaces under the same name.
_REPLACED: Final = ("event_id", "ticker", "date", "date_precision", "timing", "firm")
_SHOWN: Final = 20  # bad values listed in one error, rewrites in one warning

_DATE_HELP: Final = (
    "use YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD, optionally with a time HH:MM (China time, or "
    "with a zone such as +08:00); YYYY-MM if only the month is known"
)
_TIMING_WORDS: Final = {
    "": "unknown",
    "unknown": "unknown",
    "pre-open": "pre-open",
    "preopen": "pre-open",
    "intraday": "intraday",
    "after-close": "after-close",
    "afterclose": "after-close",
}
_SH_SUFFIX = re.compile(r"^\d{6}\.sh$", re.IGNORECASE)


def reason_category(reason: str) -> str:
    """Return the reason without its detail in brackets.

    >>> reason_category("date only known to the month (2023-10)")
    'date only known to the month'
    """
    return reason.split(" (", 1)[0]


# --------------------------------------------------------------------------- helpers


def _by_value(values: NDArray[Any], fn: Callable[[Any], Any]) -> NDArray[Any]:
    """``fn`` of every cell, computed once per distinct value (object array)."""
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    out = np.empty(len(uniq), dtype=object)
    out[:] = [fn(v) for v in np.asarray(uniq, dtype=object)]
    return out[codes]


def _lower(values: NDArray[Any]) -> NDArray[Any]:
    return _by_value(values, lambda v: str(v).lower())


class _Problems:
    """Bad values found column by column, reported in row order like one pass would."""

    def __init__(self, event_ids: NDArray[Any]) -> None:
        self.ids = event_ids
        self.total = 0
        self.hint = ""
        self.first: list[tuple[int, int, int, Callable[[int], str]]] = []

    def add(
        self, phase: int, order: int, mask: NDArray[np.bool_], text: Callable[[int], str]
    ) -> None:
        """Rows in ``mask`` have a problem described by ``text(row)``."""
        rows = np.flatnonzero(mask)
        self.total += len(rows)
        self.first += [(phase, int(i), order, text) for i in rows[:_SHOWN]]

    def where(self, i: int) -> str:
        return f"row {i + 1} (event_id {self.ids[i]})"

    def raise_any(self, origin: str) -> None:
        if not self.total:
            return
        shown = [f"{self.where(i)}: {text(i)}" for _, i, _, text in sorted(self.first)[:_SHOWN]]
        more = f"\n  ... and {self.total - _SHOWN} more" if self.total > _SHOWN else ""
        raise CalendarError(
            f"calendar {origin} has {self.total} invalid value(s) "
            "(rows are 1-based data rows):\n  " + "\n  ".join(shown) + more + self.hint
        )


def _event_ids(raw: pd.DataFrame, col: Hashable | None) -> NDArray[Any]:
    n = len(raw)
    ids = cell_texts(None if col is None else raw[col], n)
    blank = np.flatnonzero(ids == "")
    ids[blank] = [f"R{i + 1:04d}" for i in blank]
    if col is None:
        return ids
    dup = pd.Series(ids, dtype=object).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = pd.Series(np.flatnonzero(dup) + 1).groupby(ids[dup], sort=False).agg(list)
        listed = "; ".join(
            f"{k!r} on rows {', '.join(map(str, r))}" for k, r in rows.iloc[:_SHOWN].items()
        )
        if len(rows) > _SHOWN:
            listed += f"; and {len(rows) - _SHOWN} more"
        raise CalendarError(
            f"duplicate event_id: {listed} (data rows, 1-based); give every event its own event_id"
        )
    return ids


# --------------------------------------------------------------------------- dates


def _dates(
    raw: pd.DataFrame, cols: dict[str, Hashable], date_col: Hashable, problems: _Problems
) -> tuple[NDArray[Any], NDArray[Any], NDArray[np.datetime64], NDArray[Any], NDArray[np.float64]]:
    """(date text, precision, day, month text, minutes of the date's time) per row."""
    n = len(raw)
    text = cell_texts(raw[date_col], n)
    if "date_input" in cols:  # a calendar loaded before: keep the raw text of the same day
        prior = cell_texts(raw[cols["date_input"]], n)
        has = prior != ""
        if has.any():
            pc = parse_date_cells(prior, allow_month=True)
            tc = parse_date_cells(text, allow_month=True)
            same = (
                (pc.per_row(pc.precision, "") == "day")
                & (tc.per_row(tc.precision, "") == "day")
                & (pc.per_row(pc.days, None) == tc.per_row(tc.days, None))
            )
            text = np.where(has & ((text == "") | same), prior, text).astype(object)
    cells = parse_date_cells(text, allow_month=True)
    kind = cells.per_row(cells.precision, "")
    stated = (
        _lower(cell_texts(raw[cols["date_precision"]], n)) if "date_precision" in cols else None
    )
    if stated is not None:
        bad_p = ~np.isin(stated, ("", *_PRECISIONS))
        problems.add(
            0,
            0,
            bad_p,
            lambda i: f"date_precision {stated[i]!r} is not one of {', '.join(_PRECISIONS)}",
        )
    errors = cells.per_row(cells.errors, "")
    bad = kind == ""
    problems.add(
        0, 1, bad, lambda i: f"date {text[i]!r} cannot be read ({errors[i]}); {_DATE_HELP}"
    )
    if bad[:2].any() and not bad[2:].any() and n > 2:
        problems.hint = (
            "\n(only the first rows fail: a second header row, e.g. the labels and units rows "
            "of a CSMAR export? delete it)"
        )
    day = kind == "day"
    if stated is not None:
        day &= stated != "month"
    precision = np.where(day, "day", np.where(np.isin(kind, ("day", "month")), "month", "unknown"))
    months_u = pd.DatetimeIndex(cells.days).strftime("%Y-%m").to_numpy(dtype=object)
    months = cells.per_row(months_u, "")
    dates = np.where(day, cells.per_row(cells.days, None), np.datetime64("NaT"))
    minutes = np.where(day, cells.per_row(cells.minutes, np.nan), np.nan)
    return text, precision.astype(object), dates.astype("datetime64[ns]"), months, minutes


# --------------------------------------------------------------------------- timing


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


def _time_class(text: str) -> tuple[str, str]:
    """(timing of an HH:MM text, error message or '')."""
    try:
        return timing_from_time(text), ""
    except CalendarError as exc:
        return "unknown", str(exc)


def _timings(
    raw: pd.DataFrame,
    cols: dict[str, Hashable],
    problems: _Problems,
    day_minutes: NDArray[np.float64],
) -> NDArray[Any]:
    """Timing per row: the timing column, else time (HH:MM), else the time of the
    date cell, else announcement_time.

    Sources that are given must agree.  ``announcement_time`` (the bundled
    calendar's prose) is read only when the calendar has neither a ``timing``
    nor a ``time`` column and the date has no time.
    """
    n = len(raw)

    def texts(key: str) -> NDArray[Any]:
        return cell_texts(raw[cols[key]] if key in cols else None, n)

    given, times = texts("timing"), texts("time")
    from_timing = _by_value(given, _timing_word)
    time_pairs = _by_value(times, _time_class)
    from_time = np.array([p[0] for p in time_pairs], dtype=object) if n else time_pairs
    time_err = np.array([p[1] for p in time_pairs], dtype=object) if n else time_pairs
    bad_word = np.equal(from_timing, None)  # type: ignore[call-overload]
    problems.add(
        1, 0, bad_word, lambda i: f"timing {given[i]!r} is not one of {', '.join(TIMINGS)}"
    )
    bad_time = ~bad_word & (time_err != "")
    problems.add(1, 0, bad_time, lambda i: str(time_err[i]))
    ok = ~bad_word & ~bad_time
    known_timing = ok & (from_timing != "unknown")
    clash = known_timing & (from_time != "unknown") & (from_timing != from_time)
    problems.add(
        1,
        0,
        clash,
        lambda i: f"timing {given[i]!r} contradicts time {times[i]!r} ({from_time[i]})",
    )
    ok &= ~clash
    from_date = timing_from_minutes(day_minutes)
    stated = np.where(known_timing, from_timing, from_time)
    clash_date = ok & (stated != "unknown") & (from_date != "unknown") & (stated != from_date)

    def told(i: int) -> str:
        src = f"timing {given[i]!r}" if from_timing[i] != "unknown" else f"time {times[i]!r}"
        return (
            f"{src} contradicts the time {clock(day_minutes[i])} of its date "
            f"({from_date[i]}, China time)"
        )

    problems.add(1, 0, clash_date, told)
    out = np.where(stated != "unknown", stated, from_date)
    if "timing" not in cols and "time" not in cols and "announcement_time" in cols:
        prose = _by_value(texts("announcement_time"), _timing_from_free_text)
        out = np.where(out != "unknown", out, prose)
    return np.asarray(out, dtype=object)


# --------------------------------------------------------------------------- tickers


def _restore_zeros(text: str) -> str:
    """Spreadsheets drop leading zeros: a bare code of one to five digits gets them back."""
    return text.zfill(6) if text.isdigit() and len(text) < 6 else text


def _normalised(text: str) -> str | None:
    return normalize_ticker(_restore_zeros(text)) if text else None


def is_sh_respelling(written: str, ticker: str | None) -> bool:
    """True when ``written`` is ``NNNNNN.SH`` (any case) and ``ticker`` its ``.SS`` spelling.

    >>> is_sh_respelling("600186.SH", "600186.SS"), is_sh_respelling("600186", "600186.SS")
    (True, False)
    """
    return (
        ticker is not None
        and _SH_SUFFIX.match(written) is not None
        and ticker == f"{written[:6]}.SS"
    )


def _tickers(
    raw: NDArray[Any], prior: NDArray[Any], origin: str
) -> tuple[NDArray[Any], NDArray[Any] | None, NDArray[np.bool_]]:
    """Normalise tickers and warn of rewrites.

    Returns the tickers (None where empty), the spelling as written when any
    ticker changed (else None) and which rows hold a placeholder such as ``?``.
    """
    codes, uniq = pd.factorize(raw, use_na_sentinel=False)
    u_text = [str(u) for u in np.asarray(uniq, dtype=object)]
    u_norm = np.empty(len(u_text), dtype=object)
    u_norm[:] = [_normalised(u) for u in u_text]
    tickers = u_norm[codes]
    u_placeholder = np.array(
        [t is not None and t.lower() in _PLACEHOLDER_TICKERS for t in u_norm], dtype=bool
    )
    loud: list[str] = []
    quiet: list[str] = []
    for r, t in zip(u_text, u_norm, strict=True):
        if t is None or r == t:
            continue
        if is_sh_respelling(r, t):
            quiet.append(f"ticker {r} read as {t}")
        else:
            zeros = " (leading zeros restored)" if _restore_zeros(r) != r else ""
            loud.append(f"ticker {r} read as {t}{zeros}")
    if loud:
        text = "; ".join(loud[:_SHOWN])
        if len(loud) > _SHOWN:
            text += f"; and {len(loud) - _SHOWN} more"
        if quiet:
            text += (
                f"; and {len(quiet)} ticker(s) from .SH to .SS, e.g. {quiet[0]} (the usual "
                "vendor spelling, kept in ticker_input)"
            )
        warnings.warn(
            f"calendar {origin}: tickers rewritten to Yahoo style: {text}",
            CalendarWarning,
            stacklevel=4,
        )
    # A calendar loaded before keeps its original spelling in ticker_input.
    kept = raw
    if (prior != "").any():
        prior_norm = _by_value(prior, _normalised)
        keep = (prior != "") & np.not_equal(tickers, None) & (prior_norm == tickers)  # type: ignore[call-overload]
        kept = np.where(keep, prior, raw).astype(object)
    changed = bool(((kept != "") & (kept != tickers)).any())
    return tickers, (kept if changed else None), u_placeholder[codes]


def ticker_notes(calendar: pd.DataFrame) -> list[str]:
    """The ledger's note on tickers written with the ``.SH`` suffix, or nothing.

    Chinese vendors (Tushare, Wind, CSMAR's exports with suffixes) write
    Shanghai codes as ``600186.SH``; Yahoo writes ``600186.SS``.  The loader
    reads one as the other without a warning, keeps the spelling as written
    in ``ticker_input`` and the study reports it once, in its notes.

    Examples
    --------
    >>> cal = pd.DataFrame({"ticker": ["600186.SS", "002575.SZ"],
    ...                     "ticker_input": ["600186.SH", "002575.SZ"]})
    >>> ticker_notes(cal)
    ['1 ticker(s) rewritten from .SH to .SS (Yahoo spelling of Shanghai codes; 1 distinct code(s)); the spelling as written is kept in ticker_input']
    """
    if "ticker_input" not in calendar.columns or "ticker" not in calendar.columns:
        return []
    written = calendar["ticker_input"].astype("string").str.strip().fillna("")
    ticker = calendar["ticker"].astype("string")
    sh = (written.str.fullmatch(r"\d{6}\.[sS][hH]") & (ticker == written.str[:6] + ".SS")).fillna(
        False
    )
    n = int(sh.sum())
    if not n:
        return []
    k = int(written[sh].str.upper().nunique())
    return [
        f"{n} ticker(s) rewritten from .SH to .SS (Yahoo spelling of Shanghai codes; "
        f"{k} distinct code(s)); the spelling as written is kept in ticker_input"
    ]


# --------------------------------------------------------------------------- normalise


def normalise(
    raw: pd.DataFrame,
    origin: str,
    cols: dict[str, Hashable],
    ticker_col: Hashable,
    date_col: Hashable,
    firm_col: Hashable | None,
) -> pd.DataFrame:
    """The calendar's columns from the raw cells (see :func:`~eventstudy.calendar.load_calendar`).

    Parameters
    ----------
    raw : DataFrame
        The calendar as read, columns named as the calendar's (after any
        mapping); not modified.
    origin : str
        Name of the calendar for messages.
    cols : dict
        Case-folded column name -> column label.
    ticker_col, date_col, firm_col
        The columns picked for ticker, date and firm (firm may be None).

    Raises
    ------
    CalendarError
        Duplicate event_id; any value that cannot be read (all of them are
        listed, 20 shown, each with its row and event_id).
    """
    n = len(raw)
    event_ids = _event_ids(raw, cols.get("event_id"))
    problems = _Problems(event_ids)
    date_text, precision, dates, months, minutes = _dates(raw, cols, date_col, problems)
    timings = _timings(raw, cols, problems, minutes)
    problems.raise_any(origin)
    prior = cell_texts(raw[cols["ticker_input"]] if "ticker_input" in cols else None, n)
    tickers, ticker_input, placeholder = _tickers(cell_texts(raw[ticker_col], n), prior, origin)
    resolution = cell_texts(raw[cols["name_resolution"]] if "name_resolution" in cols else None, n)
    has_ticker = np.not_equal(tickers, None)  # type: ignore[call-overload]
    unresolved = (_lower(resolution) == "unresolved") | placeholder
    month = precision == "month"
    reasons = np.full(n, "", dtype=object)
    no_date = np.isnat(dates)
    for mask, why in (
        (no_date, REASON_NO_DATE),
        (month, None),
        (~has_ticker, REASON_NO_TICKER),
        (unresolved, REASON_UNRESOLVED),
    ):  # the last that applies wins: ticker problems come before date problems
        if why is None:
            reasons[mask] = REASON_MONTH + " (" + months[mask] + ")"
        else:
            reasons[mask] = why
    out: dict[Hashable, object] = {
        "event_id": pd.Series(event_ids),
        "ticker": pd.Series(tickers),
    }
    if ticker_input is not None:
        out["ticker_input"] = pd.Series(ticker_input)
    if firm_col is not None:
        out["firm"] = raw[firm_col].reset_index(drop=True)
    out["date"] = pd.Series(pd.DatetimeIndex(dates, dtype="datetime64[ns]"))
    out["date_input"] = pd.Series(date_text)
    out["date_precision"] = pd.Series(precision)
    out["timing"] = pd.Series(timings)
    out["calendar_status"] = pd.Series(np.where(reasons == "", "ok", "excluded").astype(object))
    out["calendar_reason"] = pd.Series(reasons)
    consumed = set(_REPLACED) | set(_DERIVED)
    for key, col in cols.items():
        if key not in consumed:
            out[col] = raw[col].reset_index(drop=True)
    return pd.DataFrame(out)
