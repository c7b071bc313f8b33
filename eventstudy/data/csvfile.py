"""Local CSV files (or DataFrames) as a data source.

Two long layouts are read (DESIGN 2.2):

* returns: ``date, ticker, ret`` with simple returns as decimals (the column
  ``id`` is accepted for ``ticker``);
* prices: ``date, ticker, close`` plus optional ``open, high, low, volume,
  prev_close``; returns are computed close-to-close on each ticker's own
  trading rows (see :func:`returns_from_prices`).

Vendor exports are read through presets (``"csmar"``, ``"tushare"``) or a
plain column mapping such as ``"date=Trddt,ticker=Stkcd"``
(:func:`parse_column_mapping`).  Row numbers in error messages count data
rows from 1, not counting the header line.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from eventstudy.data.base import Panel, validate_returns
from eventstudy.exceptions import DataError
from eventstudy.tickers import normalize_tickers

__all__ = [
    "COLUMN_TARGETS",
    "PRESETS",
    "CsvSource",
    "Preset",
    "parse_column_mapping",
    "read_prices_csv",
    "read_returns_csv",
    "returns_from_prices",
]

#: Names a column mapping may assign (``target=source``).
COLUMN_TARGETS: Final = (
    "date",
    "ticker",
    "ret",
    "close",
    "open",
    "high",
    "low",
    "volume",
    "prev_close",
    "status",
)
_PRICE_COLUMNS: Final = ("open", "high", "low", "close", "prev_close")
_ALIASES: Final = {"id": "ticker"}
_NA_TOKENS: Final = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]

Kind = Literal["auto", "returns", "prices"]
PathOrFrame = str | os.PathLike[str] | pd.DataFrame


@dataclass(frozen=True)
class Preset:
    """Column names and units of one vendor's daily file.

    Attributes
    ----------
    name : str
        Preset name as given to ``preset=``.
    columns : dict
        ``target -> source column``; source columns that are absent from a
        file are skipped unless the target is required.
    date_format : str or None
        ``strptime`` format of the date column (None: inferred).
    ret_scale : float
        Factor turning the vendor's return into a decimal (0.01 for percent).
    volume_scale : float
        Factor turning the vendor's volume into shares.
    pad_codes : bool
        Left-pad purely numeric codes to six digits (spreadsheets drop the
        leading zeros of ``000001``).
    """

    name: str
    columns: dict[str, str]
    date_format: str | None = None
    ret_scale: float = 1.0
    volume_scale: float = 1.0
    pad_codes: bool = False


#: Built-in presets; units are documented in ``docs/data.md``.
PRESETS: Final[dict[str, Preset]] = {
    # CSMAR daily stock file (TRD_Dalyr): Dretwd is the daily return with cash
    # dividends reinvested, as a decimal; Dnshrtrd is volume in shares.
    "csmar": Preset(
        name="csmar",
        columns={
            "ticker": "Stkcd",
            "date": "Trddt",
            "close": "Clsprc",
            "ret": "Dretwd",
            "volume": "Dnshrtrd",
            "status": "Trdsta",
            "open": "Opnprc",
            "high": "Hiprc",
            "low": "Loprc",
        },
        pad_codes=True,
    ),
    # Tushare pro ``daily``: pct_chg in percent, vol in lots of 100 shares.
    "tushare": Preset(
        name="tushare",
        columns={
            "ticker": "ts_code",
            "date": "trade_date",
            "close": "close",
            "open": "open",
            "high": "high",
            "low": "low",
            "prev_close": "pre_close",
            "ret": "pct_chg",
            "volume": "vol",
        },
        date_format="%Y%m%d",
        ret_scale=0.01,
        volume_scale=100.0,
    ),
}


def parse_column_mapping(text: str) -> dict[str, str]:
    """Parse ``"date=Trddt,ticker=Stkcd"`` into ``{"date": "Trddt", "ticker": "Stkcd"}``.

    Keys are the library's column names (:data:`COLUMN_TARGETS`), values the
    file's column names.

    Raises
    ------
    DataError
        On an item without ``=``, an empty name, an unknown target or a
        target given twice.

    Examples
    --------
    >>> parse_column_mapping("date=Trddt, ticker=Stkcd, ret=Dretwd")
    {'date': 'Trddt', 'ticker': 'Stkcd', 'ret': 'Dretwd'}
    """
    out: dict[str, str] = {}
    items = [p.strip() for p in str(text).split(",")]
    if not any(items):
        raise DataError("column mapping is empty; expected e.g. 'date=Trddt,ticker=Stkcd'")
    for item in items:
        if not item:
            raise DataError(f"column mapping {text!r}: empty item (doubled or trailing comma?)")
        target, sep, source = item.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise DataError(
                f"column mapping {text!r}: item {item!r} is not of the form "
                f"target=column, e.g. 'date=Trddt'"
            )
        if target not in COLUMN_TARGETS:
            raise DataError(
                f"column mapping {text!r}: unknown target {target!r}; "
                f"allowed targets are {', '.join(COLUMN_TARGETS)}"
            )
        if target in out:
            raise DataError(f"column mapping {text!r}: target {target!r} is given twice")
        out[target] = source
    return out


# --------------------------------------------------------------------------- #
# returns from prices (shared with the yfinance source)
# --------------------------------------------------------------------------- #


def returns_from_prices(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Turn a long price frame into a return frame with ``span``.

    Parameters
    ----------
    frame : DataFrame
        ``date`` (datetime64), ``ticker`` and ``close`` and/or ``ret``;
        optional ``volume`` and ``prev_close``.  Not modified.

    Returns
    -------
    returns : DataFrame
        ``date, ticker, ret, span`` sorted by ticker and date, only rows with
        a return.
    stats : dict
        ``zero_volume_days`` (ticker -> count of rows treated as no trading
        because volume is zero) and ``volume_unreported`` (tickers whose
        volume is zero or missing on every row; for them zero volume is read
        as "not reported", not as a suspension).

    Notes
    -----
    A row is a trading day when it has a value (``ret`` when the frame has
    that column, else ``close``) and, where volume is reported, non-zero
    volume.  Without ``ret`` the return is

    .. math:: r_t = P_t / P_{t^-} - 1,

    with :math:`t^-` the ticker's previous trading row (``prev_close`` is used
    instead of :math:`P_{t^-}` where given, so vendors' ex-rights adjustments
    carry through); the first trading row of a ticker has no return.
    ``span`` counts the panel dates (the union of all dates in ``frame``)
    from :math:`t^-` to :math:`t`: 1 on consecutive sessions, more after a
    suspension.  With ``ret`` given, the first trading row keeps its return
    and its span counts from the ticker's first row.
    """
    df = frame.reset_index(drop=True)
    tick = df["ticker"].astype(str)
    dates = np.sort(pd.unique(df["date"].to_numpy()))
    pos = pd.Series(np.searchsorted(dates, df["date"].to_numpy()), index=df.index)
    has_ret = "ret" in df.columns
    value = df["ret"] if has_ret else df["close"]
    zero = pd.Series(False, index=df.index)
    unreported: list[str] = []
    if "volume" in df.columns:
        vol = df["volume"].astype("float64")
        reported = (vol.fillna(0.0) != 0.0).groupby(tick).transform("any").astype(bool)
        zero = (vol == 0.0) & reported
        unreported = sorted(set(tick[~reported]))
    traded = value.notna() & ~zero
    first_pos = pos.groupby(tick).transform("min")

    t = pd.DataFrame({"date": df["date"], "ticker": tick, "pos": pos})[traded]
    t = t.sort_values(["ticker", "pos"], kind="stable")
    prev_pos = t.groupby("ticker")["pos"].shift()
    if has_ret:
        ret = df.loc[t.index, "ret"].astype("float64")
        span = (t["pos"] - prev_pos).fillna(t["pos"] - first_pos[t.index] + 1)
    else:
        close = df.loc[t.index, "close"].astype("float64")
        base = close.groupby(t["ticker"]).shift()
        if "prev_close" in df.columns:
            given = df.loc[t.index, "prev_close"].astype("float64")
            base = given.where(given.notna() & base.notna(), base)
        ret = close / base - 1.0
        span = t["pos"] - prev_pos
    out = pd.DataFrame({"date": t["date"], "ticker": t["ticker"], "ret": ret, "span": span})
    out = out[out["ret"].notna()]
    out["span"] = out["span"].astype("int64")
    counts = zero.groupby(tick).sum()
    stats: dict[str, Any] = {
        "zero_volume_days": {str(k): int(v) for k, v in counts.items() if v > 0},
        "volume_unreported": unreported,
    }
    return validate_returns(out.reset_index(drop=True)), stats


# --------------------------------------------------------------------------- #
# reading
# --------------------------------------------------------------------------- #


def _read_input(path_or_frame: PathOrFrame) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    notes: list[str] = []
    if isinstance(path_or_frame, pd.DataFrame):
        frame = path_or_frame.copy()
        prov: dict[str, Any] = {"path": None, "sha256": None, "input": "DataFrame"}
    else:
        path = Path(path_or_frame)
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        data = path.read_bytes()
        prov = {
            "path": str(path.resolve()),
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        kwargs: dict[str, Any] = {
            "dtype": str,
            "keep_default_na": False,
            "na_values": _NA_TOKENS,
            "skipinitialspace": True,
        }
        try:
            try:
                frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", **kwargs)
            except UnicodeDecodeError:
                frame = pd.read_csv(io.BytesIO(data), encoding="gb18030", **kwargs)
                notes.append(f"{path.name}: not UTF-8; read as GB18030")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot be read as CSV ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, prov, notes


def _find_column(columns: Sequence[str], name: str) -> str | None:
    if name in columns:
        return name
    hits = [c for c in columns if c.lower() == name.lower()]
    return hits[0] if len(hits) == 1 else None


def _coerce_mapping(columns: Mapping[str, str] | str | None) -> dict[str, str]:
    if columns is None:
        return {}
    if isinstance(columns, str):
        return parse_column_mapping(columns)
    out = dict(columns)
    for target in out:
        if target not in COLUMN_TARGETS:
            raise DataError(
                f"columns: unknown target {target!r}; allowed targets are "
                f"{', '.join(COLUMN_TARGETS)}"
            )
    return out


def _get_preset(name: str | None) -> Preset | None:
    if name is None:
        return None
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise DataError(
            f"preset: unknown preset {name!r}; choose one of "
            f"{', '.join(sorted(PRESETS))}, or give columns="
        ) from None


def _resolve(
    found: Sequence[str], preset: Preset | None, user: dict[str, str], kind: Kind, what: str
) -> dict[str, str]:
    wanted = dict(preset.columns) if preset else {}
    wanted.update(user)
    resolved: dict[str, str] = {}
    for target in COLUMN_TARGETS:
        source = wanted.get(target)
        if source is not None:
            actual = _find_column(found, source)
            if actual is None and target in user:
                raise DataError(
                    f"{what}: column mapping {target}={source}: the file has no "
                    f"column {source!r} (found {list(found)})"
                )
        else:
            actual = _find_column(found, target)
            if actual is None:
                alias = [a for a, t in _ALIASES.items() if t == target]
                actual = next((c for a in alias if (c := _find_column(found, a))), None)
        if actual is not None:
            resolved[target] = actual
    need = ["date", "ticker"] + {"returns": ["ret"], "prices": ["close"], "auto": []}[kind]
    missing = [t for t in need if t not in resolved]
    if kind == "auto" and "ret" not in resolved and "close" not in resolved:
        missing.append("ret or close")
    if missing:
        how = (
            f" (preset {preset.name!r} expects {preset.columns})"
            if preset
            else "; map them with columns='date=...,ticker=...' or a preset"
        )
        raise DataError(f"{what}: missing column(s) {missing}; found {list(found)}{how}")
    return resolved


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _as_text(raw: pd.Series) -> pd.Series:
    """Stripped text with empty cells as missing (vectorised)."""
    text = raw.astype("string").str.strip()
    return text.mask(text == "")


def _parse_dates(raw: pd.Series, fmt: str | None, what: str) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        parsed = raw.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    else:
        if pd.api.types.is_float_dtype(raw):
            raw_int = raw.where(raw.isna() | (raw == raw.round()))
            text = _as_text(raw_int.astype("Int64")).where(
                raw_int.notna() | raw.isna(), _as_text(raw)
            )
        else:
            text = _as_text(raw)
        present = text.dropna()
        if fmt is None and len(present) and bool(present.str.fullmatch(r"\d{8}").all()):
            fmt = "%Y%m%d"
        with warnings.catch_warnings():
            # unparseable values become NaT and are reported below, naming the row
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        later_ok = bool((~bad[i + 1 :]).any())
        hint = (
            " (a second header row, e.g. the labels and units rows of a CSMAR export? delete it)"
            if i < 2 and later_ok
            else ""
        )
        raise DataError(
            f"{what}: row {i + 1} has an unparseable or empty date {_show(raw.iloc[i])}{hint}"
        )
    return parsed.dt.normalize().astype("datetime64[ns]")


def _parse_number(
    raw: pd.Series,
    col: str,
    label: str,
    what: str,
    tick: pd.Series,
    date: pd.Series,
    *,
    positive: bool = False,
) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.astype("float64")
    else:
        text = _as_text(raw)
        num = pd.Series(
            pd.to_numeric(text, errors="coerce").to_numpy("float64", na_value=np.nan),
            index=raw.index,
        )
        bad = (num.isna() & text.notna()).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{what}: row {i + 1} ({tick.iloc[i]}, {date.iloc[i].date()}) has a "
                f"non-numeric {label} {_show(raw.iloc[i])} in column {col!r}"
            )
    arr = num.to_numpy()
    checks = [(np.isinf(arr), "an infinite")]
    if positive:
        checks.append((arr <= 0, "a non-positive"))
    elif label == "volume":
        checks.append((arr < 0, "a negative"))
    for mask, adj in checks:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise DataError(
                f"{what}: row {i + 1} ({tick.iloc[i]}, {date.iloc[i].date()}) has "
                f"{adj} {label} {_show(raw.iloc[i])} in column {col!r}"
            )
    return num


def _read_panel(
    path_or_frame: PathOrFrame,
    *,
    kind: Kind,
    columns: Mapping[str, str] | str | None,
    preset: str | None,
) -> Panel:
    raw, prov, notes = _read_input(path_or_frame)
    what = Path(prov["path"]).name if prov["path"] else "frame"
    pre = _get_preset(preset)
    mapping = _resolve(list(raw.columns), pre, _coerce_mapping(columns), kind, what)
    if len(raw) == 0:
        raise DataError(f"{what}: no data rows")
    if kind == "auto":
        kind = "prices" if "close" in mapping else "returns"

    codes = _as_text(raw[mapping["ticker"]])
    if codes.isna().any():
        i = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise DataError(f"{what}: row {i + 1} has an empty ticker")
    if pre is not None and pre.pad_codes:
        short = codes.str.isdigit() & (codes.str.len() < 6)
        codes = codes.where(~short, codes.str.zfill(6))
    uniq = pd.Series(pd.unique(codes.to_numpy(dtype=object)), dtype=object)
    normalized, tick_notes = normalize_tickers(uniq)
    tick = codes.astype(object).map(dict(zip(uniq, normalized, strict=True))).astype(str)
    notes.extend(tick_notes)
    date = _parse_dates(raw[mapping["date"]], pre.date_format if pre else None, what)

    body = pd.DataFrame({"date": date, "ticker": tick})
    use_ret = "ret" in mapping
    if use_ret:
        ret = _parse_number(raw[mapping["ret"]], mapping["ret"], "return", what, tick, date)
        if pre is not None and pre.ret_scale != 1.0:
            ret = ret * pre.ret_scale
            notes.append(f"returns in column {mapping['ret']!r} are percent; divided by 100")
        body["ret"] = ret
    # duplicates and the remaining checks on the full frame, so row numbers match the file
    validate_returns(body.assign(ret=body["ret"] if use_ret else np.nan), what=what)

    targets = ["volume"] + (list(_PRICE_COLUMNS) if kind == "prices" else [])
    for target in targets:
        if target in mapping:
            label = "close" if target == "close" else target.replace("_", " ")
            body[target] = _parse_number(
                raw[mapping[target]],
                mapping[target],
                label,
                what,
                tick,
                date,
                positive=target in _PRICE_COLUMNS,
            )
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
        cols = [
            c
            for c in (
                "date",
                "ticker",
                "open",
                "high",
                "low",
                "close",
                "volume",
                "prev_close",
                "status",
            )
            if c in body.columns
        ]
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

    Returns
    -------
    Panel
        ``returns`` with ``date, ticker, ret, span``; ``prices`` is None.  An
        empty return cell (or a zero-volume row where volume is given) is a
        day without trading and has no row.

    Raises
    ------
    DataError
        Naming the row, ticker and date of the first bad value: unparseable
        date, empty ticker, non-numeric or infinite return, duplicate
        ``(date, ticker)``.
    """
    return _read_panel(path_or_frame, kind="returns", columns=columns, preset=preset)


def read_prices_csv(
    path_or_frame: PathOrFrame,
    *,
    columns: Mapping[str, str] | str | None = None,
    preset: str | None = None,
) -> Panel:
    """Read a long price file ``date, ticker, close`` (+ ``open, high, low, volume,
    prev_close``) into a :class:`Panel` with returns.

    Returns are close-to-close on each ticker's own trading rows (see
    :func:`returns_from_prices`); when the file also has a return column (as
    the CSMAR and Tushare exports do) the given returns are used and the
    prices serve the limit and volume diagnostics.  Zero-volume rows are days
    without trading; they are dropped from ``prices`` and counted in
    ``notes``.  Parameters as in :func:`read_returns_csv`.

    Raises
    ------
    DataError
        As :func:`read_returns_csv`, and for a non-numeric, non-positive or
        infinite price, or a negative volume, naming the row.
    """
    return _read_panel(path_or_frame, kind="prices", columns=columns, preset=preset)


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
    columns, preset
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
    ) -> None:
        if kind not in ("auto", "prices", "returns"):
            raise DataError(f"kind: unknown kind {kind!r}; choose auto, prices or returns")
        self.path_or_frame = path_or_frame
        self.kind: Kind = kind
        self.columns = columns
        self.preset = preset
        self._panel: Panel | None = None

    def panel(self) -> Panel:
        """Return the whole file as a :class:`Panel` (read on first use)."""
        if self._panel is None:
            self._panel = _read_panel(
                self.path_or_frame, kind=self.kind, columns=self.columns, preset=self.preset
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
