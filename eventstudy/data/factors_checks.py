r"""Factor files, the checks: the text layouts, dates, numbers and units.

The helpers of :func:`eventstudy.data.factors.read_factors` that turn the raw
table into dates and decimal floats and refuse what cannot be right; the
public API lives in :mod:`eventstudy.data.factors`.

Units rule
----------
``units="percent"`` divides every value (factors and ``RF``) by 100;
``units="decimal"`` keeps them.  :func:`check_factor_scale` then refuses
values whose size contradicts the declared unit, through the guard every
input boundary shares (:func:`eventstudy.guards.check_return_scale`, with
the bounds of daily factor returns) plus two rules that only factors have:
no daily factor return beyond ±100%, and a risk-free rate that is a daily
rate.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.dates import parse_date_cells
from eventstudy.exceptions import DataError
from eventstudy.guards import check_return_scale

__all__ = [
    "DECIMAL_LIKE",
    "PERCENT_LIKE",
    "RF_MAX",
    "check_factor_scale",
    "factor_key",
]

_DATE_ROW = re.compile(r"^\s*(\d{8}|\d{6}|\d{4}-\d{2}-\d{2})\s*,")
#: a factor whose median absolute daily value, as a decimal, exceeds this is not in decimals
PERCENT_LIKE = 0.05
#: ... and one whose median absolute non-zero value, read as percent, is below this is not
#: in percent (0.02 percent = 0.0002 as a decimal)
DECIMAL_LIKE = 0.02
#: a daily risk-free rate above this (in decimals, about 29% a year over 252 sessions) is
#: not a daily rate: a percent, an annual rate, or a monthly rate (1.5% a year is 0.00125
#: a month)
RF_MAX = 0.001


def factor_key(name: str) -> str:
    """Normalised name for matching: upper case, letters and digits only (``Mkt-RF`` -> ``MKTRF``)."""
    return re.sub(r"[^A-Z0-9]", "", str(name).upper())


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path}: cannot decode the file")  # pragma: no cover - latin-1 decodes all


def _read_wrapped(path: Path) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    """The table of a text-wrapped file: header + rows starting with a date."""
    lines = _read_text(path).splitlines()
    starts = [i for i, ln in enumerate(lines) if _DATE_ROW.match(ln)]
    if not starts:
        raise DataError(
            f"{path}: no data rows (lines starting with a YYYYMMDD date and a comma); "
            "is this a factor file?"
        )
    first = starts[0]
    if re.match(r"^\s*\d{6}\s*,", lines[first]):
        raise DataError(
            f"{path}, line {first + 1}: date {lines[first].split(',')[0].strip()!r} is "
            "YYYYMM: this is a monthly file; event studies need the daily file"
        )
    hdr = next((i for i in range(first - 1, -1, -1) if lines[i].strip()), None)
    if hdr is None:
        raise DataError(f"{path}: no header line before the first data row (line {first + 1})")
    names = [h.strip() for h in lines[hdr].split(",")]
    end = first
    while end < len(lines) and _DATE_ROW.match(lines[end]):
        end += 1
    later = [i for i in starts if i >= end]
    if later:
        raise DataError(
            f"{path}, line {later[0] + 1}: a second table starts after line {end}; a daily "
            "factor file holds one table (monthly files add annual factors): use the daily file"
        )
    rows = [ln.split(",") for ln in lines[first:end]]
    bad = next((i for i, r in enumerate(rows) if len(r) != len(names)), None)
    if bad is not None:
        raise DataError(
            f"{path}, line {first + bad + 1}: {len(rows[bad])} fields where the header "
            f"(line {hdr + 1}) has {len(names)}"
        )
    if not names[0] or factor_key(names[0]) == "DATE":
        names[0] = "date"
    frame = pd.DataFrame([[v.strip() for v in r] for r in rows], columns=names, dtype=object)
    return frame, np.arange(first + 1, end + 1, dtype=np.int64)


def _date_column(frame: pd.DataFrame) -> str | None:
    for c in frame.columns:
        if factor_key(str(c)) in ("DATE", "TRADEDATE", "TRDDT") or str(c).strip() in (
            "日期",
            "交易日期",
        ):
            return str(c)
    return None


def _parse_dates(raw: pd.Series, lines: NDArray[np.int64], label: str) -> pd.DatetimeIndex:
    """Dates of a factor table under the library's date policy (:mod:`eventstudy.dates`).

    Year first only (``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYYMMDD``, optionally
    with a time): ``02/01/2024`` is day-first or month-first and is refused,
    never guessed.  A ``YYYYMM`` date means a monthly file.
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        idx = pd.DatetimeIndex(raw)
        if idx.tz is not None:
            idx = idx.tz_localize(None)
        bad = np.asarray(idx.isna())
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{label}, {_where(lines, i)}: empty date")
        return pd.DatetimeIndex(idx.normalize().astype("datetime64[ns]"), name="date")
    text = raw.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    monthly = text.str.fullmatch(r"\d{6}").fillna(False).to_numpy(dtype=bool)
    if monthly.any():
        i = int(np.flatnonzero(monthly)[0])
        raise DataError(
            f"{label}, {_where(lines, i)}: date {raw.iloc[i]!r} is YYYYMM: monthly factors; "
            "event studies need daily factors"
        )
    cells = parse_date_cells(text.astype(object).where(text.notna(), None))
    precision = cells.per_row(cells.precision, "missing")
    bad = precision != "day"
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        why = cells.per_row(cells.errors, "empty")[i] or "empty"
        raise DataError(
            f"{label}, {_where(lines, i)}: unparseable or empty date {raw.iloc[i]!r} ({why})"
        )
    days = cells.per_row(cells.days, np.datetime64("NaT"))
    return pd.DatetimeIndex(np.asarray(days, dtype="datetime64[ns]"), name="date")


def _where(lines: NDArray[np.int64], i: int) -> str:
    return f"line {int(lines[i])}" if len(lines) else f"row {i + 1}"


def _numeric(
    frame: pd.DataFrame, lines: NDArray[np.int64], label: str, codes: tuple[float, ...]
) -> tuple[pd.DataFrame, dict[str, int]]:
    out = {}
    n_codes: dict[str, int] = {}
    for c in frame.columns:
        raw = frame[c]
        if pd.api.types.is_bool_dtype(raw):
            raise DataError(f"{label}: column {c!r} is boolean, not numeric")
        if pd.api.types.is_numeric_dtype(raw):
            num = raw.astype("float64")
        else:
            text = raw.astype("string").str.strip()
            num = pd.to_numeric(text, errors="coerce")
            blank = text.isna() | text.str.lower().isin(["", "nan", "na", "n/a", "null", "."])
            bad = (num.isna() & ~blank).to_numpy(dtype=bool)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{label}, {_where(lines, i)}: column {c!r} has a non-numeric value "
                    f"{raw.iloc[i]!r}"
                )
        arr = num.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(arr).any():
            i = int(np.flatnonzero(np.isinf(arr))[0])
            raise DataError(f"{label}, {_where(lines, i)}: column {c!r} has an infinite value")
        if codes:
            hit = np.isin(arr, codes)
            if hit.any():
                n_codes[str(c)] = int(hit.sum())
                arr = np.where(hit, np.nan, arr)
        out[str(c)] = arr
    return pd.DataFrame(out, index=frame.index), n_codes


def check_factor_scale(
    values: pd.DataFrame, units: str, label: str, lines: NDArray[np.int64]
) -> pd.DataFrame:
    r"""Convert factor values to decimals and refuse sizes that contradict ``units``.

    ``values`` are as read (in ``units``), indexed by date.  Daily factor
    returns are of the order 0.001-0.02 as decimals (0.1-2 as percent).

    Every column except ``RF`` goes through the shared guard
    :func:`eventstudy.guards.check_return_scale` (one guard per input
    boundary) with the bounds of factor returns,
    ``typical=(DECIMAL_LIKE / 100, PERCENT_LIKE)`` = (0.0002, 0.05) and
    ``min_obs=5``: with :math:`a` the absolute values of one column as
    decimals,

    * :math:`\operatorname{median}(a) > 0.05` (a typical day moving 5%):
      declared decimal, the file is in percent; declared percent, these are
      not daily factor returns even after dividing by 100;
    * declared percent and a median absolute non-zero value below 0.0002
      after dividing by 100: the file holds decimals already;
    * a value of -1 or below (a loss of 100% or more).

    Then the factor rules the shared guard leaves to its callers (a stock's
    return may exceed 100% on a listing day; a long-short or excess factor
    return may not, and a rate is not a return):

    * any :math:`a > 1` after conversion (a daily factor return beyond
      ±100%), naming the line and date;
    * ``RF`` with a median above :data:`RF_MAX` = 0.001 a day after
      conversion (about 29% a year): a percent, an annual or a monthly
      rate, not a daily decimal rate.

    Returns
    -------
    DataFrame
        The values in decimals (a new frame, same index and columns).

    Raises
    ------
    DataError
        Naming the file, the column, what the values look like and the
        option that fixes it (``units=`` / ``--factors-units``).
    """
    out = {}
    dates = np.asarray(values.index)
    for c in values.columns:
        raw = values[c].to_numpy(dtype=np.float64)
        if factor_key(c) == "RF":
            dec = raw / 100.0 if units == "percent" else raw.copy()
            _check_rf(dec, c, units, label)
            out[c] = dec
            continue
        dec = check_return_scale(
            raw,
            what=label,
            unit=units,
            dates=dates,
            column=str(c),
            typical=(DECIMAL_LIKE / 100.0, PERCENT_LIKE),
            min_obs=5,
            unit_arg="units",
            cli_flag="--factors-units",
        )
        with np.errstate(invalid="ignore"):
            huge = np.abs(dec) > 1.0
        if huge.any():
            i = int(np.flatnonzero(huge)[0])
            hint = (
                "; if the file is in percent, declare units='percent' "
                "(command line: --factors-units percent)"
                if units == "decimal"
                else ""
            )
            raise DataError(
                f"{label}, {_where(lines, i)} ({pd.Timestamp(dates[i]).date()}): factor "
                f"{c!r} is {raw[i]:g} ({dec[i]:+.4g} as a decimal), a daily move beyond "
                f"±100%, which no factor return can be{hint}"
            )
        out[c] = dec
    return pd.DataFrame(out, index=values.index)


def _check_rf(dec: NDArray[np.float64], column: str, units: str, label: str) -> None:
    """``RF`` as a daily decimal rate: median at most :data:`RF_MAX`."""
    v = np.abs(dec[np.isfinite(dec)])
    if not len(v):
        return
    med = float(np.median(v))
    if med > RF_MAX:
        hint = (
            "declare units='percent' (command line: --factors-units percent)"
            if units == "decimal"
            else "give a daily rate, not an annual one"
        )
        raise DataError(
            f"{label}: RF column {column!r} has a median of {med:.4g} per day in decimals "
            f"(declared units: {units}), above {RF_MAX} (about 29% a year); it is not a "
            f"daily decimal rate (a percent, an annual or a monthly rate?): check the "
            f"units ({hint})"
        )
