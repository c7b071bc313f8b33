"""Reading announcement calendars: files, frames, encodings, column mappings and presets.

The first half of :func:`~eventstudy.calendar.load_calendar` (the second,
checking and normalising the values, is :mod:`eventstudy.calendar.validate`):

* :func:`read_source` turns a bundled calendar name, a CSV path or a
  DataFrame into a raw frame of the cells as written (a CSV is read as text,
  UTF-8 with or without a byte-order mark, else GB18030 with a warning);
* :func:`apply_columns` renames a vendor's columns to the calendar's names,
  from a column mapping (``"ticker=ts_code,date=ann_date"`` or a dict) or a
  preset (:data:`CALENDAR_PRESETS`: ``"tushare"``, ``"akshare"``,
  ``"eastmoney"``, ``"csmar"``), the same mechanism as the price readers'
  (:mod:`eventstudy.data.presets`);
* :func:`find_columns` picks the ticker, date and firm columns among their
  accepted names and returns every column by its case-folded name.

The presets, their columns and units are documented in ``docs/calendar.md``.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

import numpy as np
import pandas as pd

from eventstudy._columns import TEXT_DTYPE
from eventstudy.data.presets import parse_column_mapping
from eventstudy.dates import CHINA_TZ
from eventstudy.exceptions import CalendarError, CalendarWarning

__all__ = [
    "BUNDLED_CALENDARS",
    "CALENDAR_PRESETS",
    "CALENDAR_TARGETS",
    "CalendarPreset",
    "CalendarSource",
    "apply_columns",
    "cell_text",
    "cell_texts",
    "plain_texts",
    "find_columns",
    "parse_calendar_columns",
    "read_source",
]

CalendarSource = str | os.PathLike[str] | pd.DataFrame

#: Calendars shipped with the package: name -> file under ``calendar/data``.
BUNDLED_CALENDARS: Final = {"compute-leasing": "compute_leasing.csv"}

#: Names a calendar column mapping may assign (``target=column``).
CALENDAR_TARGETS: Final = (
    "ticker",
    "date",
    "event_id",
    "time",
    "timing",
    "date_precision",
    "firm",
    "title",
    "category",
    "url",
    "source",
)


@dataclass(frozen=True)
class CalendarPreset:
    """Column names of one vendor's announcement list.

    Attributes
    ----------
    name : str
        Preset name as given to ``preset=``.
    columns : dict
        ``target -> candidate source columns``, in order of preference; the
        first candidate present in the file is used.  ``ticker`` and
        ``date`` must be found (or already be in the file under the
        calendar's own names); the others are optional.
    description : str
        What the preset reads, for messages and docs.
    """

    name: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""


_CHINESE_HEADERS: Final = {
    "ticker": ("代码", "股票代码", "证券代码"),
    "date": ("公告日期", "公告时间", "披露日期"),
    "firm": ("名称", "简称", "股票简称", "证券简称"),
    "title": ("公告标题",),
    "category": ("公告类型",),
    "url": ("网址", "公告链接"),
}

#: Built-in presets; columns and units are documented in ``docs/calendar.md``.
CALENDAR_PRESETS: Final[dict[str, CalendarPreset]] = {
    # Tushare pro ``anns`` / ``anns_d``: ann_date is YYYYMMDD, ts_code 600186.SH.
    # rec_time (the release time) is carried, not read: see docs/calendar.md.
    "tushare": CalendarPreset(
        name="tushare",
        columns={
            "ticker": ("ts_code",),
            "date": ("ann_date",),
            "firm": ("name",),
            "title": ("title",),
            "url": ("url",),
        },
        description="Tushare pro anns / anns_d (ts_code, ann_date YYYYMMDD, name, title, url)",
    ),
    # akshare stock_notice_report (eastmoney notice centre): 代码 名称 公告标题
    # 公告类型 公告日期 网址; stock_zh_a_disclosure_report_cninfo (cninfo):
    # 代码 简称 公告标题 公告时间 公告链接.  Codes are bare (600186).
    "akshare": CalendarPreset(
        name="akshare",
        columns=dict(_CHINESE_HEADERS),
        description="akshare stock_notice_report / stock_zh_a_disclosure_report_cninfo "
        "(代码, 名称 or 简称, 公告标题, 公告类型, 公告日期 or 公告时间)",
    ),
    "eastmoney": CalendarPreset(
        name="eastmoney",
        columns=dict(_CHINESE_HEADERS),
        description="东方财富 (eastmoney) notice lists, the headers akshare gives them "
        "(代码 or 股票代码, 名称 or 股票简称, 公告标题, 公告日期)",
    ),
    # CSMAR event tables: Stkcd (6 digits, or fewer when a spreadsheet dropped
    # the zeros) and an announcement date, DeclareDate in most tables, Annodt
    # in the report-disclosure and governance files (YYYY-MM-DD).
    "csmar": CalendarPreset(
        name="csmar",
        columns={
            "ticker": ("Stkcd", "Symbol"),
            "date": ("DeclareDate", "Annodt"),
            "firm": ("ShortName", "Stknme"),
            "title": ("Title",),
        },
        description="CSMAR event tables (Stkcd, DeclareDate or Annodt, ShortName)",
    ),
}

_TICKER_ALIASES: Final = ("ticker", "ticker_yahoo", "code", "symbol", "id")
_DATE_ALIASES: Final = ("date", "event_date", "announcement_date")
_FIRM_ALIASES: Final = ("firm", "company_cn", "company", "company_name")


# --------------------------------------------------------------------------- source


def read_source(source: CalendarSource) -> tuple[pd.DataFrame, str]:
    """Return the raw calendar (cells as written) and a name for messages.

    A DataFrame is returned as it is (never modified downstream); a bundled
    name or a CSV path is read as text, so that codes keep their leading
    zeros.  A file that is not UTF-8 is read as GB18030 (the superset of
    GBK) with a :class:`~eventstudy.exceptions.CalendarWarning`.
    """
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
    if os.path.isdir(path):
        raise CalendarError(f"calendar {path!r} is a directory; give the path of a CSV file")
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
    return _read_csv_text(text, path), path


def _read_csv_text(text: str, name: str = "") -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise CalendarError(
            f"calendar {name + ' ' if name else ''}is empty: no header row (a calendar needs "
            "at least ticker and date columns)"
        ) from None
    except pd.errors.ParserError as exc:
        raise CalendarError(
            f"calendar {name + ' ' if name else ''}is not a readable CSV file: {exc}"
        ) from exc


# --------------------------------------------------------------------------- cells


def cell_text(value: object) -> str:
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
        if value.tzinfo is not None:  # one date policy: zones are converted to China time
            value = pd.Timestamp(value).tz_convert(CHINA_TZ).tz_localize(None)
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def cell_texts(column: pd.Series | None, n: int) -> np.ndarray:
    """:func:`cell_text` of every cell of a column, each distinct value converted once.

    Returns an object array of ``n`` strings (all ``""`` for ``column=None``).
    """
    if column is None:
        return np.full(n, "", dtype=object)
    try:
        codes, uniq = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # an unhashable cell (a list): read cell by cell
        return np.array([cell_text(v) for v in column.tolist()], dtype=object)
    values = np.asarray(uniq.astype(object) if hasattr(uniq, "astype") else uniq, dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind == "string":  # the usual case (text cells): strip them in one pass
        texts = np.append(pd.Series(values, dtype=object).str.strip().to_numpy(object), "")
    elif column.dtype == object and any(isinstance(v, bool | np.bool_) for v in values):
        # pandas merges True with 1 and False with 0 (equal hashes): read cell by cell
        return np.array([cell_text(v) for v in column.tolist()], dtype=object)
    else:
        texts = np.array([cell_text(v) for v in values] + [""], dtype=object)
    return texts[np.where(codes < 0, len(values), codes)]


#: The characters ``str.strip()`` removes (those of ``str.isspace``), as an RE2 class.
_SPACE = (
    r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
    r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
#: A cell that :func:`cell_texts` would change: empty, or with surrounding whitespace.
_NOT_PLAIN = f"^$|^{_SPACE}|{_SPACE}$"


def plain_texts(column: pd.Series) -> pd.api.extensions.ExtensionArray | None:
    """The column's own texts when :func:`cell_texts` would return them unchanged.

    That is an arrow text column (``str``) with no missing or empty cell and
    none with surrounding whitespace, checked in one arrow pass; anything else
    gives ``None`` (read it with :func:`cell_texts`).
    """
    arrow_text = isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"
    if not arrow_text or column.dtype != TEXT_DTYPE or len(column) == 0 or column.isna().any():
        return None  # (pandas 2 reads text as object: the general path)
    import pyarrow as pa
    import pyarrow.compute as pc

    changed = pc.match_substring_regex(pa.array(column.array), _NOT_PLAIN)
    if pc.any(changed).as_py():
        return None
    return column.array


# --------------------------------------------------------------------------- columns


def parse_calendar_columns(columns: Mapping[str, str] | str | None) -> dict[str, str]:
    """A calendar ``columns=`` argument as a checked ``{target: file column}`` dict.

    Parameters
    ----------
    columns : str, mapping or None
        ``"ticker=ts_code,date=ann_date"`` or ``{"ticker": "ts_code", ...}``;
        the targets are :data:`CALENDAR_TARGETS`.

    Raises
    ------
    CalendarError
        An unknown target (the message lists the allowed ones), an item that
        is not ``target=column``, an empty name or a target given twice.

    Examples
    --------
    >>> parse_calendar_columns("ticker=ts_code, date=ann_date")
    {'ticker': 'ts_code', 'date': 'ann_date'}
    """
    if columns is None:
        return {}
    if isinstance(columns, str):
        try:
            return parse_column_mapping(columns, targets=CALENDAR_TARGETS, error=CalendarError)
        except CalendarError as exc:
            raise CalendarError(f"calendar {exc}") from None
    if not isinstance(columns, Mapping):
        raise CalendarError(
            f"calendar columns must be a 'target=column,...' text or a dict, "
            f"not {type(columns).__name__}"
        )
    out: dict[str, str] = {}
    for target, source in columns.items():
        if target not in CALENDAR_TARGETS:
            raise CalendarError(
                f"calendar columns: unknown target {target!r}; allowed targets are "
                f"{', '.join(CALENDAR_TARGETS)}"
            )
        if not isinstance(source, str) or not source.strip():
            raise CalendarError(f"calendar columns: {target}= needs a column name, not {source!r}")
        out[str(target)] = source
    return out


def get_calendar_preset(name: str | None) -> CalendarPreset | None:
    """The calendar preset called ``name`` (case-insensitive); None for None."""
    if name is None:
        return None
    preset = CALENDAR_PRESETS.get(name.lower()) if isinstance(name, str) else None
    if preset is None:
        raise CalendarError(
            f"calendar preset: unknown preset {name!r}; choose one of "
            f"{', '.join(sorted(CALENDAR_PRESETS))}, or map the columns with "
            "columns='ticker=...,date=...'"
        )
    return preset


def _key(col: Hashable) -> str:
    return str(col).strip().lower()


def _lookup(raw: pd.DataFrame, name: str) -> Hashable | None:
    """The column called ``name``: exactly, else by its case-folded, stripped name."""
    if name in raw.columns:
        return name
    hits = [c for c in raw.columns if _key(c) == _key(name)]
    return hits[0] if len(hits) == 1 else None


def apply_columns(
    raw: pd.DataFrame,
    origin: str,
    columns: Mapping[str, str] | str | None = None,
    preset: str | None = None,
) -> tuple[pd.DataFrame, CalendarPreset | None]:
    """Rename a vendor's columns to the calendar's names.

    Parameters
    ----------
    raw : DataFrame
        The calendar as read; not modified (a renamed shallow copy is
        returned when anything is mapped).
    origin : str
        Name of the calendar for messages.
    columns : str or mapping, optional
        ``target=column`` items (:func:`parse_calendar_columns`); they
        override the preset's entries.
    preset : str, optional
        A name of :data:`CALENDAR_PRESETS`.

    Returns
    -------
    (DataFrame, CalendarPreset or None)
        The frame with each mapped column renamed to its target (the column
        is consumed: its values live on under the target's name) and the
        preset used.

    Raises
    ------
    CalendarError
        An unknown preset or target; a mapped column that the file lacks; a
        target that the file already has as another column.
    """
    user = parse_calendar_columns(columns)
    pre = get_calendar_preset(preset)
    if not user and pre is None:
        return raw, None
    renames: dict[Hashable, str] = {}
    for target, source in user.items():
        col = _lookup(raw, source)
        if col is None:
            raise CalendarError(
                f"calendar {origin}: column mapping {target}={source}: the file has no column "
                f"{source!r} (columns found: {[str(c) for c in raw.columns]})"
            )
        if col in renames:  # one column cannot become two: the first target would vanish
            raise CalendarError(
                f"calendar {origin}: column mapping maps the column {str(col)!r} to both "
                f"{renames[col]!r} and {target!r}; map each column once"
            )
        renames[col] = target
    if pre is not None:
        for target, candidates in pre.columns.items():
            if target in user:
                continue
            found = [c for c in (_lookup(raw, s) for s in candidates) if c is not None]
            found = [c for c in found if c not in renames]
            if not found:
                continue
            if len(found) > 1:
                warnings.warn(
                    f"calendar {origin}: preset {pre.name!r} finds several {target} columns "
                    f"({', '.join(map(str, found))}); using {str(found[0])!r} (map another "
                    f"with columns='{target}=...')",
                    CalendarWarning,
                    stacklevel=3,
                )
            renames[found[0]] = target
    for col, target in renames.items():
        other = _lookup(raw, target)
        if other is not None and other != col and other not in renames:
            raise CalendarError(
                f"calendar {origin}: column {str(col)!r} is mapped to {target!r}, but the file "
                f"also has a column {str(other)!r}; drop or rename one of them"
            )
    return raw.rename(columns=renames), pre


def find_columns(
    raw: pd.DataFrame, origin: str, preset: CalendarPreset | None = None
) -> tuple[dict[str, Hashable], Hashable, Hashable, Hashable | None]:
    """Columns by case-folded name, and the ticker, date and firm columns.

    Raises
    ------
    CalendarError
        Two columns whose names differ only in case or spaces; no ticker or
        no date column (the message lists the accepted names, the columns
        found and, with a preset, the preset's columns).
    """
    cols: dict[str, Hashable] = {}
    for col in raw.columns:
        key = _key(col)
        if key in cols:
            raise CalendarError(
                f"calendar columns {cols[key]!r} and {col!r} differ only in case or spaces; "
                "rename or drop one"
            )
        cols[key] = col
    fits = [
        p.name
        for p in CALENDAR_PRESETS.values()
        if (preset is None or p.columns != preset.columns)
        and all(any(_lookup(raw, c) is not None for c in p.columns[t]) for t in ("ticker", "date"))
    ]
    if preset is not None:
        hint = f" (preset {preset.name!r} reads {preset.description})"
    else:
        hint = (
            "; map yours with columns='ticker=...,date=...' or preset= one of "
            f"{', '.join(sorted(CALENDAR_PRESETS))} (command line: --calendar-columns, "
            "--calendar-preset)"
        )
    if fits:  # a file of another vendor: name the preset that reads it
        hint += f"; the columns fit preset {' or '.join(repr(f) for f in fits)}"
    ticker = _pick_column(cols, _TICKER_ALIASES, "ticker", origin, hint)
    date = _pick_column(cols, _DATE_ALIASES, "date", origin, hint)
    firm = _pick_column(cols, _FIRM_ALIASES, "firm", origin, None)
    assert ticker is not None and date is not None
    return cols, ticker, date, firm


def _pick_column(
    cols: dict[str, Hashable], aliases: Sequence[str], what: str, origin: str, hint: str | None
) -> Hashable | None:
    """The first alias present; ``hint`` not None makes the column required."""
    found = [a for a in aliases if a in cols]
    if not found:
        if hint is not None:
            raise CalendarError(
                f"calendar {origin} has no {what} column (accepted names: "
                f"{', '.join(aliases)}); columns found: {[str(c) for c in cols.values()]}{hint}"
            )
        return None
    if len(found) > 1 and found[0] != what:
        warnings.warn(
            f"calendar {origin} has several {what} columns ({', '.join(found)}); "
            f"using {found[0]!r}",
            CalendarWarning,
            stacklevel=4,
        )
    return cols[found[0]]
