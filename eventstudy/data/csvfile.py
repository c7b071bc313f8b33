"""Local CSV files (or DataFrames) as a data source.

Two long layouts are read (DESIGN 2.2):

* returns: ``date, ticker, ret`` with simple returns as decimals (or percent,
  declared with ``returns_unit="percent"``; the column ``id`` is accepted for
  ``ticker``);
* prices: ``date, ticker, close`` plus optional ``open, high, low, volume,
  prev_close``; returns are computed close-to-close on each ticker's own
  trading rows (see :func:`returns_from_prices`).

Vendor exports are read through presets (``"csmar"``, ``"tushare"``) or a
plain column mapping such as ``"date=Trddt,ticker=Stkcd"``
(:func:`parse_column_mapping`).  Row numbers in error messages count data
rows from 1, not counting the header line.

The parts live in their own modules and are re-exported here: presets and
column mappings in :mod:`eventstudy.data.presets`, bytes and cells in
:mod:`eventstudy.data.parsing`, :func:`returns_from_prices` in
:mod:`eventstudy.data.base`, dates in :mod:`eventstudy.dates` and the
magnitude checks in :mod:`eventstudy.guards`.  This module holds the readers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.data.base import Panel, returns_from_prices, validate_returns
from eventstudy.data.parsing import PathOrFrame, as_text, parse_number, read_input
from eventstudy.data.presets import (
    COLUMN_TARGETS,
    PRESETS,
    Kind,
    Preset,
    coerce_mapping,
    find_column,
    get_preset,
    parse_column_mapping,
    resolve_columns,
)
from eventstudy.dates import parse_dates
from eventstudy.exceptions import DataError, DataWarning
from eventstudy.guards import check_return_scale, check_unit
from eventstudy.tickers import normalize_tickers

__all__ = [
    "COLUMN_TARGETS",
    "PRESETS",
    "CsvSource",
    "Preset",
    "parse_column_mapping",
    "read_prices_csv",
    "read_returns_csv",
    "read_st_csv",
    "returns_from_prices",
]

_PRICE_COLUMNS: Final = ("open", "high", "low", "close", "prev_close")
#: Given returns this many times larger or smaller than the close-to-close
#: returns of the same rows are in another unit than declared.
_UNIT_RATIO: Final = 10.0


def _tickers(raw: pd.Series, pre: Preset | None, what: str, notes: list[str]) -> pd.Series:
    codes = as_text(raw)
    if codes.isna().any():
        i = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise DataError(f"{what}: row {i + 1} has an empty ticker")
    if pre is not None and pre.pad_codes:
        short = codes.str.isdigit() & (codes.str.len() < 6)
        codes = codes.where(~short, codes.str.zfill(6))
    uniq = pd.Series(pd.unique(codes.to_numpy(dtype=object)), dtype=object)
    normalized, tick_notes = normalize_tickers(uniq)
    notes.extend(tick_notes)
    return codes.astype(object).map(dict(zip(uniq, normalized, strict=True))).astype(str)


def _check_unit_against_closes(
    body: pd.DataFrame, col: str, unit: str, what: str, has_prev: bool
) -> None:
    """Refuse given returns that are ~100x the close-to-close returns of the same rows."""
    order = body.sort_values(["ticker", "date"], kind="stable")
    base = order["close"].groupby(order["ticker"]).shift()
    if has_prev:
        base = order["prev_close"].where(order["prev_close"].notna(), base)
    implied = (order["close"] / base - 1.0).abs()
    given = order["ret"].abs() * (0.01 if unit == "percent" else 1.0)
    both = implied.notna() & given.notna() & (implied > 0) & (given > 0)
    if int(both.sum()) < 5:
        return
    a, b = float(given[both].median()), float(implied[both].median())
    ratio = a / b
    if 1.0 / _UNIT_RATIO <= ratio <= _UNIT_RATIO:
        return
    other = "percent" if ratio > 1 else "decimal"
    raise DataError(
        f"{what}: the returns in column {col!r} (read as {unit}) are about {ratio:.3g} times "
        f"the close-to-close returns of the same rows (median |ret| {a:.3g} against "
        f"{b:.3g}): the column looks like {other}. To fix: declare returns_unit='{other}' "
        f"(command line: --returns-unit {other})"
    )


def _read_panel(
    path_or_frame: PathOrFrame,
    *,
    kind: Kind,
    columns: Mapping[str, str] | str | None,
    preset: str | None,
    returns_unit: str | None = None,
) -> Panel:
    raw, prov, notes = read_input(path_or_frame)
    what = Path(prov["path"]).name if prov["path"] else "frame"
    pre = get_preset(preset)
    unit = check_unit(returns_unit) if returns_unit is not None else None
    mapping = resolve_columns(list(raw.columns), pre, coerce_mapping(columns), kind, what)
    if len(raw) == 0:
        raise DataError(f"{what}: no data rows")
    if kind == "auto":
        kind = "prices" if "close" in mapping else "returns"
    use_ret = "ret" in mapping
    if unit == "percent" and not use_ret:
        raise DataError(
            f"{what}: returns_unit='percent' was given, but the file has no return column: "
            "returns computed from closes are always decimals"
        )
    unit = unit or (pre.ret_unit if pre is not None else "decimal")

    tick = _tickers(raw[mapping["ticker"]], pre, what, notes)
    date = pd.Series(
        parse_dates(
            raw[mapping["date"]],
            what=what,
            fmt=pre.date_format if pre else None,
            header_hint=True,
        ).dates.to_numpy(),
        index=raw.index,
    )

    body = pd.DataFrame({"date": date, "ticker": tick})
    if use_ret:
        body["ret"] = parse_number(raw[mapping["ret"]], mapping["ret"], "return", what, tick, date)
    # duplicates and the remaining checks on the full frame, so row numbers match the file
    validate_returns(body.assign(ret=body["ret"] if use_ret else np.nan), what=what)

    targets = ["volume"] + (list(_PRICE_COLUMNS) if kind == "prices" else [])
    for target in targets:
        if target in mapping:
            label = "close" if target == "close" else target.replace("_", " ")
            body[target] = parse_number(
                raw[mapping[target]],
                mapping[target],
                label,
                what,
                tick,
                date,
                positive=target in _PRICE_COLUMNS,
            )
    if use_ret:
        if "close" in body.columns:
            _check_unit_against_closes(
                body, mapping["ret"], unit, what, "prev_close" in body.columns
            )
        body["ret"] = check_return_scale(
            body["ret"].to_numpy(),
            what=what,
            unit=unit,
            tickers=tick.to_numpy(),
            dates=date.to_numpy(),
            column=mapping["ret"],
        )
        if unit == "percent":
            notes.append(f"returns in column {mapping['ret']!r} are percent; divided by 100")
    if "volume" in body.columns and pre is not None and pre.volume_scale != 1.0:
        body["volume"] = body["volume"] * pre.volume_scale
        notes.append(
            f"volume in column {mapping['volume']!r} is in lots of 100 shares; converted to shares"
        )
    if kind == "prices" and "status" in mapping:
        status = raw[mapping["status"]]
        num = pd.to_numeric(status, errors="coerce")
        body["status"] = num if bool((num.notna() == status.notna()).all()) else status

    # given returns win over closes; returns_from_prices uses ``ret`` when present
    returns, stats = returns_from_prices(
        body[[c for c in body.columns if not use_ret or c in ("date", "ticker", "ret", "volume")]]
    )
    source_desc = (
        f"column {mapping['ret']!r}"
        if use_ret
        else "close / prev_close"
        if "prev_close" in mapping
        else "close-to-close"
    )
    if use_ret and kind == "prices":
        notes.append(
            f"returns taken from column {mapping['ret']!r}; closes kept for the "
            f"price diagnostics only"
        )
    _stat_notes(stats, notes)

    prices = None
    if kind == "prices":
        keep = body["close"].notna()
        if "volume" in body.columns:
            silent = body["ticker"].isin(stats["volume_unreported"])
            keep &= ~((body["volume"] == 0.0) & ~silent)
        order = ("date", "ticker", "open", "high", "low", "close", "volume", "prev_close", "status")
        cols = [c for c in order if c in body.columns]
        prices = (
            body.loc[keep, cols]
            .sort_values(["ticker", "date"], kind="stable")
            .reset_index(drop=True)
        )

    prov.update(
        {
            "kind": kind,
            "preset": pre.name if pre else None,
            "columns": mapping,
            "returns_unit": unit if use_ret else None,
            "rows_read": len(raw),
            "return_rows": len(returns),
            "price_rows": None if prices is None else len(prices),
            "tickers": int(body["ticker"].nunique()),
            "returns_from": source_desc,
            "date_range": [str(date.min().date()), str(date.max().date())],
            "zero_volume_days": stats["zero_volume_days"],
            "volume_unreported": stats["volume_unreported"],
        }
    )
    return Panel(returns=returns, prices=prices, source="csv", provenance=prov, notes=notes)


def _stat_notes(stats: dict[str, Any], notes: list[str]) -> None:
    zv = stats["zero_volume_days"]
    if zv:
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(zv.items()))
        notes.append(
            f"{sum(zv.values())} zero-volume row(s) treated as days without trading "
            f"(missing return): {detail}"
        )
    if stats["volume_unreported"]:
        notes.append(
            "volume is zero or missing on every row of "
            f"{', '.join(stats['volume_unreported'])}; read as not reported, "
            f"not as suspension"
        )


def read_returns_csv(
    path_or_frame: PathOrFrame,
    *,
    columns: Mapping[str, str] | str | None = None,
    preset: str | None = None,
    returns_unit: str | None = None,
) -> Panel:
    """Read a long return file ``date, ticker, ret`` into a :class:`Panel`.

    Parameters
    ----------
    path_or_frame : path or DataFrame
        A CSV file (UTF-8, or GB18030 as a fallback) or a frame (not modified).
    columns : dict or str, optional
        ``{target: file column}`` or ``"date=Trddt,ticker=Stkcd,ret=Dretwd"``;
        overrides the preset.
    preset : {"csmar", "tushare"}, optional
        Vendor layout, see :data:`PRESETS`.
    returns_unit : {"decimal", "percent"}, optional
        Unit of the return column; default the preset's (percent for
        Tushare's ``pct_chg``), else decimal.  Percent is divided by 100.

    Returns
    -------
    Panel
        ``returns`` with ``date, ticker, ret, span`` (decimals); ``prices`` is
        None.  An empty return cell (or a zero-volume row where volume is
        given) is a day without trading and has no row.

    Raises
    ------
    DataError
        Naming the row, ticker and date of the first bad value: a date outside
        the date policy (:mod:`eventstudy.dates`), empty ticker, non-numeric
        or infinite return, duplicate ``(date, ticker)``; and, saying what
        the data look like, returns that do not fit the declared unit or are
        -1 or below (:func:`eventstudy.guards.check_return_scale`).
    """
    return _read_panel(
        path_or_frame, kind="returns", columns=columns, preset=preset, returns_unit=returns_unit
    )


def read_prices_csv(
    path_or_frame: PathOrFrame,
    *,
    columns: Mapping[str, str] | str | None = None,
    preset: str | None = None,
    returns_unit: str | None = None,
) -> Panel:
    """Read a long price file ``date, ticker, close`` (+ ``open, high, low, volume,
    prev_close``) into a :class:`Panel` with returns.

    Returns are close-to-close on each ticker's own trading rows (see
    :func:`returns_from_prices`); when the file also has a return column (as
    the CSMAR and Tushare exports do) the given returns are used and the
    prices serve the limit and volume diagnostics.  The given returns'
    unit is then also checked against the closes: returns about 100 times
    the close-to-close ones (or a hundredth of them) are refused.  Zero-volume
    rows are days without trading; they are dropped from ``prices`` and
    counted in ``notes``.  Parameters as in :func:`read_returns_csv`
    (``returns_unit="percent"`` needs a return column).

    Raises
    ------
    DataError
        As :func:`read_returns_csv`, and for a non-numeric, non-positive or
        infinite price, or a negative volume, naming the row.
    """
    return _read_panel(
        path_or_frame, kind="prices", columns=columns, preset=preset, returns_unit=returns_unit
    )


def read_st_csv(path_or_frame: PathOrFrame) -> pd.DataFrame:
    """Read a list of risk-warning (ST, \\*ST) periods ``ticker, start[, end]``.

    The file is read like the other CSV files (UTF-8, else GB18030/GBK with a
    :class:`~eventstudy.exceptions.DataWarning`); column names are matched
    without regard to case; dates follow :mod:`eventstudy.dates`; tickers are
    normalised (bare codes of fewer than six digits get their leading zeros
    back).  Other columns (a firm name, say) are ignored.

    Returns
    -------
    DataFrame
        ``ticker`` (Yahoo style), ``start`` and ``end`` (datetime64; NaT =
        still under warning), one row per period: what ``EventStudy(st=...)``
        and :func:`eventstudy.market.flags.limit_flags` take.

    Raises
    ------
    DataError
        A missing ``ticker`` or ``start`` column, an empty ticker or start, a
        date outside the policy, or an end before its start (naming the row).
    """
    raw, prov, notes = read_input(path_or_frame)
    what = f"ST list {Path(prov['path']).name}" if prov["path"] else "ST list"
    for note in notes:
        warnings.warn(DataWarning(note), stacklevel=2)
    found = list(raw.columns)
    cols = {t: find_column(found, t) for t in ("ticker", "start", "end")}
    missing = [t for t in ("ticker", "start") if cols[t] is None]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {missing}; expected ticker, start[, end] (found {found})"
        )
    if len(raw) == 0:
        return pd.DataFrame(
            {
                "ticker": pd.Series(dtype=object),
                "start": pd.Series(dtype="datetime64[ns]"),
                "end": pd.Series(dtype="datetime64[ns]"),
            }
        )
    codes = as_text(raw[cols["ticker"]])
    if codes.isna().any():
        i = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise DataError(f"{what}: row {i + 1} has an empty ticker")
    short = codes.str.isdigit() & (codes.str.len() < 6)
    codes = codes.where(~short, codes.str.zfill(6))
    tickers, _ = normalize_tickers(codes.astype(object))
    start = parse_dates(raw[cols["start"]], what=f"{what}, column {cols['start']!r}").dates
    end_col = cols["end"]
    end = (
        parse_dates(raw[end_col], what=f"{what}, column {end_col!r}", allow_missing=True).dates
        if end_col is not None
        else pd.DatetimeIndex(np.full(len(raw), np.datetime64("NaT"), dtype="datetime64[ns]"))
    )
    back = np.asarray(end < start)
    if back.any():
        i = int(np.flatnonzero(back)[0])
        raise DataError(
            f"{what}: row {i + 1} ({tickers.iloc[i]}) ends on {end[i].date()}, before its "
            f"start {start[i].date()}"
        )
    return pd.DataFrame(
        {"ticker": tickers.astype(str).to_numpy(), "start": start.values, "end": end.values}
    )


class CsvSource:
    """A CSV file as a :class:`~eventstudy.data.base.DataSource`.

    The file is read once, on the first :meth:`load`; each call returns the
    requested tickers and dates.

    Parameters
    ----------
    path_or_frame : path or DataFrame
        The file (or frame).
    kind : {"auto", "prices", "returns"}
        ``"auto"`` reads prices when a close column is present, else returns.
    columns, preset, returns_unit
        As in :func:`read_returns_csv`.
    """

    name: str = "csv"

    def __init__(
        self,
        path_or_frame: PathOrFrame,
        *,
        kind: Kind = "auto",
        columns: Mapping[str, str] | str | None = None,
        preset: str | None = None,
        returns_unit: str | None = None,
    ) -> None:
        if kind not in ("auto", "prices", "returns"):
            raise DataError(f"kind: unknown kind {kind!r}; choose auto, prices or returns")
        self.path_or_frame = path_or_frame
        self.kind: Kind = kind
        self.columns = columns
        self.preset = preset
        self.returns_unit = returns_unit
        self._panel: Panel | None = None

    def panel(self) -> Panel:
        """Return the whole file as a :class:`Panel` (read on first use)."""
        if self._panel is None:
            self._panel = _read_panel(
                self.path_or_frame,
                kind=self.kind,
                columns=self.columns,
                preset=self.preset,
                returns_unit=self.returns_unit,
            )
        return self._panel

    def load(self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> Panel:
        """Return ``tickers`` between ``start`` and ``end`` (inclusive).

        Tickers are normalised as in the file; tickers the file lacks are
        listed in ``provenance["missing_tickers"]``.  Spans are computed on
        the whole file, so a return right after ``start`` keeps its span.
        """
        full = self.panel()
        want, notes = normalize_tickers(pd.Series(list(tickers), dtype=object))
        want_list = list(dict.fromkeys(str(t) for t in want))
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            m = frame["ticker"].isin(want_list) & frame["date"].between(lo, hi)
            return frame.loc[m].reset_index(drop=True)

        present = set(full.returns["ticker"])
        if full.prices is not None:
            present |= set(full.prices["ticker"])
        missing = [t for t in want_list if t not in present]
        prov = dict(full.provenance)
        prov.update(
            {
                "requested": {"tickers": want_list, "start": str(lo.date()), "end": str(hi.date())},
                "missing_tickers": missing,
            }
        )
        return Panel(
            returns=cut(full.returns),
            prices=None if full.prices is None else cut(full.prices),
            source=self.name,
            provenance=prov,
            notes=[*full.notes, *notes],
        )
