r"""Factor files: a frame of daily factor returns (dates x factors), in decimals.

:func:`read_factors` reads a CSV file (plain, or one of two published
layouts), a DataFrame, or several of them joined on the date, and returns a
:class:`FactorFrame`.  Nothing is downloaded: the user fetches the files
(``docs/data.md``, "Factor files").

Presets
-------
``"french"``
    Kenneth French's daily CSV files (Data Library, e.g.
    ``F-F_Research_Data_Factors_daily.CSV``, ``F-F_Momentum_Factor_daily.CSV``,
    ``F-F_Research_Data_5_Factors_2x3_daily.CSV``): lines of text, a header
    whose first field is empty (``,Mkt-RF,SMB,HML,RF``), rows
    ``YYYYMMDD, values``, then a blank line and a copyright line.  Values are
    **percent**; -99.99 and -999 are French's missing-value codes.
``"ch3"``
    The CH-3 / CH-4 daily files of Liu, Stambaugh & Yuan (2019) from Robert
    Stambaugh's web site (``CH_3_fac_daily_update_YYYYMMDD.csv``).  Assumed
    layout (from published code that reads these files; check your copy):
    a few lines of description, then the header ``date,rf_dly,mktrf,VMG,SMB``
    (CH-4 adds ``PMO``), rows ``YYYYMMDD, values`` in **percent**.  ``mktrf``
    (the CH-3 market factor, already in excess of the one-year deposit rate)
    becomes ``MKT`` and ``rf_dly`` becomes ``RF``.

For both presets the table is the block of rows that start with an 8-digit
date; its header is the last non-empty line before it.  A 6-digit date
(``YYYYMM``) means a monthly file and is an error.

Units rule
----------
``units="percent"`` divides every value (factors and ``RF``) by 100;
``units="decimal"`` keeps them.  The default is the preset's unit (percent
for both), else decimal.
:func:`~eventstudy.data.factors_checks.check_factor_scale` then refuses
values whose size contradicts the declared unit (the shared guard
:func:`eventstudy.guards.check_return_scale` and the factor-only rules).
The parsing helpers and the checks live in
:mod:`eventstudy.data.factors_checks`.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy._hashing import sha256_file
from eventstudy.data.factors_checks import (
    _date_column,
    _numeric,
    _parse_dates,
    _read_text,
    _read_wrapped,
    _where,
    check_factor_scale,
    factor_key,
)
from eventstudy.exceptions import DataError, DataWarning

__all__ = [
    "FACTOR_PRESETS",
    "FactorFrame",
    "factor_key",
    "parse_factor_mapping",
    "read_factors",
    "restore_factors",
]

#: preset -> (units, renames of the file's columns, missing-value codes, description)
FACTOR_PRESETS: dict[str, dict[str, Any]] = {
    "french": {
        "units": "percent",
        "renames": {},
        "missing_codes": (-99.99, -999.0),
        "what": "Kenneth French daily factor file (Data Library)",
    },
    "ch3": {
        "units": "percent",
        "renames": {"mktrf": "MKT", "rf_dly": "RF"},
        "missing_codes": (),
        "what": "Liu-Stambaugh-Yuan CH-3/CH-4 daily factor file",
    },
}
_PRESET_ALIASES = {
    "ken-french": "french",
    "kenfrench": "french",
    "fama-french": "french",
    "ff": "french",
    "ch-3": "ch3",
    "ch4": "ch3",
    "ch-4": "ch3",
    "lsy": "ch3",
    "stambaugh": "ch3",
}


@dataclass(frozen=True, eq=False)
class FactorFrame:
    """Daily factor returns in decimals, indexed by date (one row per date).

    Attributes
    ----------
    data : DataFrame
        ``DatetimeIndex`` named ``date`` (sorted, unique) and one float column
        per factor; ``RF`` (if present) is the risk-free rate.
    provenance : dict
        Where the numbers come from: path, SHA-256, preset, units and the
        conversion applied, the column mapping, rows, date range, missing values.
    notes : tuple of str
        What reading did (conversions, missing-value codes).
    """

    data: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Factor names, ``RF`` included when present."""
        return [str(c) for c in self.data.columns]

    def find(self, *aliases: str) -> str | None:
        """The first column whose :func:`factor_key` matches one of ``aliases``."""
        keys = {factor_key(c): c for c in self.columns}
        for a in aliases:
            if factor_key(a) in keys:
                return keys[factor_key(a)]
        return None

    def align(
        self, dates: pd.DatetimeIndex, columns: Sequence[str]
    ) -> tuple[NDArray[np.float64], list[str]]:
        """Values of ``columns`` on ``dates`` (the market's sessions), NaN where absent.

        Returns the (T x k) array and notes on the alignment: sessions without
        a factor row (inside and outside the file's date range), factor rows on
        dates that are not sessions (ignored), missing values.  Warns
        (:class:`~eventstudy.exceptions.DataWarning`) when more than 10% of the
        sessions inside the file's range have no factor row, or more than 10%
        of its rows in the panel's range fall on non-sessions: factors of
        another market?
        """
        idx = pd.DatetimeIndex(self.data.index)
        dates = pd.DatetimeIndex(dates)
        vals = self.data[list(columns)].to_numpy(dtype=np.float64)
        pos = idx.get_indexer(dates)
        out = np.full((len(dates), len(columns)), np.nan)
        hit = pos >= 0
        out[hit] = vals[pos[hit]]
        first, last = idx[0], idx[-1]
        if not hit.any():
            raise DataError(
                f"factors cover {first.date()}..{last.date()} but the market's sessions are "
                f"{dates[0].date()}..{dates[-1].date()}: no session has factors"
            )
        notes = []
        inside = np.asarray((dates >= first) & (dates <= last))
        gaps = int((inside & ~hit).sum())
        before = int((dates < first).sum())
        after = int((dates > last).sum())
        label = ", ".join(columns)
        if gaps:
            notes.append(
                f"factors ({label}): {gaps} market session(s) between {first.date()} and "
                f"{last.date()} have no factor row; like days without a market return, "
                "they leave the estimation and carry no abnormal return"
            )
        if before or after:
            notes.append(
                f"factors cover {first.date()}..{last.date()}: {before} session(s) of the "
                f"panel before and {after} after have no factors"
            )
        in_rng = np.asarray((idx >= dates[0]) & (idx <= dates[-1]))
        off = int((in_rng & ~idx.isin(dates)).sum())
        if off:
            notes.append(
                f"factors: {off} row(s) fall on dates that are not market sessions and are ignored"
            )
        nan_rows = int((hit & np.isnan(out).any(axis=1)).sum())
        if nan_rows:
            notes.append(
                f"factors: {nan_rows} session(s) have a missing value in {label}; "
                "those days leave the estimation and carry no abnormal return"
            )
        n_in = int(inside.sum())
        if (n_in and gaps > 0.1 * n_in) or (in_rng.sum() and off > 0.1 * in_rng.sum()):
            warnings.warn(
                f"factors and market sessions disagree: {gaps} of {n_in} sessions in the "
                f"factors' range lack a row and {off} factor rows fall on non-sessions; "
                "do the factors belong to this market?",
                DataWarning,
                stacklevel=3,
            )
        return out, notes


def parse_factor_mapping(text: str | Mapping[str, str]) -> dict[str, str]:
    """Parse ``"date=trade_date,MKT-RF=mktrf"`` into ``{"date": "trade_date", "MKT-RF": "mktrf"}``.

    Targets (left) are the names the library uses: ``date``, ``RF`` or any
    factor name; sources (right) are the file's columns.  With a mapping,
    only the mapped columns are kept.

    Raises
    ------
    DataError
        An item without ``=``, an empty name, or a target given twice.
    """
    if isinstance(text, Mapping):
        items = [(str(k).strip(), str(v).strip()) for k, v in text.items()]
    else:
        parts = [p.strip() for p in str(text).split(",")]
        if not any(parts):
            raise DataError("factor column mapping is empty; expected e.g. 'MKT-RF=mktrf,SMB=SMB'")
        items = []
        for item in parts:
            target, sep, source = item.partition("=")
            if not sep:
                raise DataError(
                    f"factor column mapping {text!r}: item {item!r} is not of the form "
                    "name=column, e.g. 'MKT-RF=mktrf'"
                )
            items.append((target.strip(), source.strip()))
    out: dict[str, str] = {}
    for target, source in items:
        if not target or not source:
            raise DataError(f"factor column mapping {text!r}: empty name in {target}={source}")
        if target in out:
            raise DataError(f"factor column mapping {text!r}: target {target!r} is given twice")
        out[target] = source
    return out


def _resolve_preset(preset: str | None) -> str | None:
    if preset is None:
        return None
    key = str(preset).strip().lower().replace("_", "-")
    key = _PRESET_ALIASES.get(key, key)
    if key not in FACTOR_PRESETS:
        raise DataError(
            f"factor preset {preset!r} is not known; choose one of {sorted(FACTOR_PRESETS)}"
        )
    return key


def _read_plain(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A plain factor CSV as text cells: UTF-8 (with or without BOM), else GB18030.

    The separator is the header's: a comma, else a semicolon or a tab (a
    European export, where a semicolon-separated file writes decimals with a
    comma: ``0,0012`` is read as 0.0012, and a note says so).
    """
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{path}: the factor file is empty")
    notes = []
    if not text.isascii():
        try:
            path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            notes.append(f"{path}: not UTF-8; read as GB18030")
    head = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = ","
    if "," not in head:
        sep = ";" if ";" in head else ("\t" if "\t" in head else ",")
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(
            f"{path}: not a plain CSV table ({exc}); for Ken French's or the CH-3 "
            "file use preset='french' or preset='ch3' (CLI --factors-preset)"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if sep != ",":
        what = "semicolon" if sep == ";" else "tab"
        notes.append(f"{path}: {what}-separated")
        if sep == ";":
            dcol = _date_column(frame)
            cols = [c for c in frame.columns if c != dcol]
            comma = frame[cols].apply(lambda c: c.str.fullmatch(r"\s*[-+]?\d*,\d+\s*"))
            if comma.to_numpy(dtype=bool).any():
                frame[cols] = frame[cols].apply(lambda c: c.str.replace(",", ".", regex=False))
                notes[-1] += "; decimal commas read as points (0,0012 = 0.0012)"
    return frame, notes


def _one(
    source: str | Path | pd.DataFrame,
    preset: str | None,
    mapping: dict[str, str] | None,
    units: str,
) -> FactorFrame:
    prov: dict[str, Any] = {"preset": preset}
    read_notes: list[str] = []
    cfg = FACTOR_PRESETS[preset] if preset else {"renames": {}, "missing_codes": ()}
    if isinstance(source, pd.DataFrame):
        label = "factors (DataFrame)"
        frame = source.copy()
        if isinstance(frame.index, pd.DatetimeIndex) and _date_column(frame) is None:
            frame = frame.rename_axis("date").reset_index()
        frame.columns = [str(c).strip() for c in frame.columns]
        lines = np.empty(0, dtype=np.int64)
        prov.update({"path": None, "sha256": None})
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"factor file {path} does not exist")
        label = str(path)
        prov.update({"path": str(path), "sha256": sha256_file(path)})
        if preset:
            frame, lines = _read_wrapped(path)
        else:
            frame, read_notes = _read_plain(path)
            lines = np.arange(2, len(frame) + 2, dtype=np.int64)
            mangled = [c for c in frame.columns if re.fullmatch(r"(.+)\.\d+", c)]
            dups = [c for c in mangled if c.rsplit(".", 1)[0] in frame.columns]
            if dups:  # read_csv renames a repeated header "SMB" to "SMB.1"
                raise DataError(f"{label}: column names repeat in the header: {dups[0]!r}")
    if mapping:
        missing = [s for s in mapping.values() if s not in frame.columns]
        if missing:
            raise DataError(
                f"{label}: column(s) {missing} of the mapping are not in the file; "
                f"it has {list(frame.columns)}"
            )
        if "date" not in mapping and _date_column(frame) is not None:
            mapping = {"date": str(_date_column(frame)), **mapping}
        frame = frame[list(mapping.values())]
        frame.columns = list(mapping)
    else:
        frame = frame.rename(columns={k: v for k, v in cfg["renames"].items() if k in frame})
    dcol = "date" if "date" in frame.columns else _date_column(frame)
    if dcol is None:
        hint = ""
        if not isinstance(source, pd.DataFrame) and not preset:
            hint = (
                "; a file with text lines before the table (Ken French, CH-3) needs "
                "preset='french' or preset='ch3' (CLI --factors-preset)"
            )
        raise DataError(
            f"{label}: no date column (expected 'date', or map one with columns="
            f"{{'date': ...}}); columns are {list(frame.columns)[:10]}{hint}"
        )
    names = [c for c in frame.columns if c != dcol]
    if not names:
        raise DataError(f"{label}: no factor columns besides {dcol!r}")
    empty = [c for c in names if not c or c.lower().startswith("unnamed")]
    if empty:
        raise DataError(f"{label}: a factor column has no name (columns {list(frame.columns)})")
    dup_names = sorted({c for c in names if names.count(c) > 1})
    if dup_names or len({factor_key(c) for c in names}) < len(names):
        raise DataError(f"{label}: factor column names repeat: {names}")
    if len(frame) == 0:
        raise DataError(f"{label}: no rows")
    dates = _parse_dates(frame[dcol], lines, label)
    dup = dates.duplicated(keep=False)
    if dup.any():
        i, j = np.flatnonzero(dup)[:2]
        raise DataError(
            f"{label}: duplicate date {dates[i].date()} ({_where(lines, int(i))} and "
            f"{_where(lines, int(j))}); give one row per date"
        )
    vals, n_codes = _numeric(frame[names], lines, label, tuple(cfg["missing_codes"]))
    notes = list(read_notes)
    if n_codes:
        notes.append(
            f"{label}: missing-value codes {list(cfg['missing_codes'])} read as missing "
            f"({', '.join(f'{k}: {v}' for k, v in n_codes.items())})"
        )
    vals.index = dates
    vals = check_factor_scale(vals, units, label, lines)
    if units == "percent":
        notes.append(f"{label}: values in percent, divided by 100 to give decimals")
    vals = vals.sort_index()
    prov.update(
        {
            "units": units,
            "conversion": "divided by 100" if units == "percent" else "none",
            "mapping": mapping,
            "columns": list(vals.columns),
            "rows": len(vals),
            "date_range": [str(vals.index[0].date()), str(vals.index[-1].date())],
            "missing_values": {c: int(vals[c].isna().sum()) for c in vals.columns},
            "missing_codes": n_codes,
        }
    )
    return FactorFrame(vals, prov, tuple(notes))


def read_factors(
    source: str | Path | pd.DataFrame | FactorFrame | Sequence[str | Path | pd.DataFrame],
    *,
    preset: str | None = None,
    columns: str | Mapping[str, str] | None = None,
    units: str | None = None,
) -> FactorFrame:
    """Read daily factor returns from a CSV file, a DataFrame, or several joined on the date.

    Parameters
    ----------
    source : path, DataFrame, FactorFrame or a list of paths/DataFrames
        A file (plain CSV with a ``date`` column, or a preset layout), a
        DataFrame (a ``date`` column or a DatetimeIndex, one column per
        factor), or several sources whose columns are joined on the date
        (e.g. French's three-factor and momentum files for Carhart).  A
        :class:`FactorFrame` is returned unchanged.
    preset : {"french", "ch3"}, optional
        Layout of the published files (module docstring).
    columns : str or mapping, optional
        ``{name: file column}`` (or ``"name=column,..."``): select and rename
        columns (:func:`parse_factor_mapping`); ``date`` names the date column.
    units : {"decimal", "percent"}, optional
        Unit of the values; default the preset's (percent), else decimal.
        Percent values are divided by 100.

    Returns
    -------
    FactorFrame

    Raises
    ------
    DataError
        A missing file or column, a monthly file, an unparseable date,
        duplicate dates, a non-numeric or infinite value, a second table in
        the file, or values whose size contradicts ``units``
        (:func:`~eventstudy.data.factors_checks.check_factor_scale`).
        Messages name the file, line and column.

    Examples
    --------
    >>> import pandas as pd
    >>> f = read_factors(pd.DataFrame({"date": ["2024-01-02", "2024-01-03"],
    ...                                "MKT-RF": [0.5, -0.25], "RF": [0.02, 0.02]}),
    ...                  units="percent")
    >>> f.data.round(6).to_dict(orient="list")
    {'MKT-RF': [0.005, -0.0025], 'RF': [0.0002, 0.0002]}
    """
    if isinstance(source, FactorFrame):
        if preset or columns or units:
            raise DataError("read_factors: a FactorFrame takes no preset, columns or units")
        return source
    key = _resolve_preset(preset)
    if units is None:
        units = FACTOR_PRESETS[key]["units"] if key else "decimal"
    units = str(units).strip().lower()
    if units not in ("decimal", "percent"):
        raise DataError(f"factor units must be 'decimal' or 'percent', got {units!r}")
    mapping = parse_factor_mapping(columns) if columns is not None else None
    if isinstance(source, (str, Path, pd.DataFrame)):
        return _one(source, key, mapping, units)
    parts = [_one(s, key, mapping, units) for s in source]
    if not parts:
        raise DataError("read_factors: no sources given")
    data = parts[0].data
    for p in parts[1:]:
        clash = [c for c in p.data.columns if c in data.columns]
        for c in clash:
            common = data.index.intersection(p.data.index)
            a, b = data.loc[common, c].to_numpy(), p.data.loc[common, c].to_numpy()
            ok = ~(np.isnan(a) | np.isnan(b))
            if not np.allclose(a[ok], b[ok], rtol=0, atol=1e-12):
                raise DataError(f"factor column {c!r} appears in two sources with different values")
        data = data.join(p.data.drop(columns=clash), how="outer")
    data.index.name = "date"
    prov = {"sources": [p.provenance for p in parts], "columns": [str(c) for c in data.columns]}
    return FactorFrame(data, prov, tuple(n for p in parts for n in p.notes))


def restore_factors(data: pd.DataFrame, recorded: Mapping[str, Any] | None) -> FactorFrame:
    """The factor frame of a finished run, from its snapshot and its recorded description.

    ``data`` is the frame a run kept (``data/factors.parquet``: dates and
    decimals), read and checked again with :func:`read_factors`;
    ``recorded`` is ``config["factors"]`` of its ``summary.json``.  The
    frame gets back the provenance and the reading notes of the original
    file (path, SHA-256, preset, units, conversion), so that ``eventstudy
    reproduce`` rebuilds the same description and notes; the file itself is
    not read again.
    """
    frame = read_factors(data)
    rec = recorded if isinstance(recorded, Mapping) else {}
    prov = rec.get("provenance")
    notes = rec.get("notes")
    return FactorFrame(
        frame.data,
        dict(prov) if isinstance(prov, Mapping) else frame.provenance,
        tuple(str(n) for n in notes) if isinstance(notes, list) else frame.notes,
    )
